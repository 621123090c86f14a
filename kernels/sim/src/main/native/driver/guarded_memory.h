// Where the simulated device puts an allocation, so that a kernel's own loads and stores outside
// it are caught, as compute-sanitizer's memcheck catches them on a GPU. Device memory lives in one
// reserved, inaccessible address range (the arena, 32 TiB of address space and no memory); each
// allocation gets whole pages of it made accessible, followed by a 64 MiB gap that stays
// inaccessible, and addresses are never handed out twice. So a load or store past an allocation's
// end or before its start, near or far (up to the gap), or into freed memory faults at once. The
// allocation ends as close to its last page's end as cudaMalloc's 256-byte alignment of its start
// allows; that padding, and the unused start of its first page, hold a canary, checked after every
// launch that was handed a pointer into the allocation and when it is freed, which catches the
// writes that stay within them (reads there are not caught: they return NaN). Should the arena run
// out, allocations get a mapping of their own between two inaccessible pages, which still catches
// near overruns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace jclip::sim {

struct Placement {
    unsigned char* pages = nullptr;  // the first accessible page; null if there was no memory
    std::size_t page_bytes = 0;
    bool own_mapping = false;  // outside the arena: [pages - a page, pages + page_bytes + a page) is its own
    std::uintptr_t base = 0;
    std::size_t bytes = 0;    // what was asked for
    std::size_t rounded = 0;  // bytes rounded up to the alignment
};

// cudaMalloc's alignment.
constexpr std::size_t kAlignment = 256;

// A fresh allocation of `bytes`: NaN everywhere in it (as float, bf16, half and double) so that an
// output a kernel forgot to write fails the test that reads it; the canary around it.
Placement place(std::size_t bytes);

// Empty while the canary is intact, else which bytes around the allocation were written.
std::string padding_damage(const Placement& placement);

// Freed: inaccessible, its pages given back to the system, the address range kept reserved.
void retire(const Placement& placement);
// The address range given back too, for an allocation outside the arena.
void unmap(const Placement& placement);

}  // namespace jclip::sim
