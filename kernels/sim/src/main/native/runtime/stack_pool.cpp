#include "stack_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <new>

namespace jclip::sim {

namespace {


// Slots are a whole number of pages apart, so the tops of all stacks (where a suspended fiber's
// frames are) would fall into the same cache sets, and a block's fibers would evict each other at
// every switch: measured, this doubled the cost of a barrier. Each top is lowered by a different
// number of cache lines instead ("colouring"); the slot has room for the largest offset.
constexpr std::size_t kColourStep = 3 * 64;
constexpr std::size_t kColours = 32;
// Stacks are mapped this many at a time: one mmap serves a warp's worth, one of each colour.
constexpr std::size_t kStacksPerChunk = kColours;
constexpr std::size_t kColourRoom = 8 * 1024;
static_assert(kColourStep * (kColours - 1) <= kColourRoom, "colour offsets must fit in the slot");

}  // namespace

StackPool::~StackPool() {
    for (auto& [address, bytes] : mappings_) munmap(address, bytes);
}

void* StackPool::acquire() {
    if (free_.empty()) map_chunk();
    void* top = free_.back();
    free_.pop_back();
    return top;
}

void StackPool::release(void* top) { free_.push_back(top); }

bool StackPool::guards(std::uintptr_t address) const {
    for (const auto& [mapped, bytes] : mappings_) {
        const auto first = reinterpret_cast<std::uintptr_t>(mapped);
        if (address >= first && address < first + bytes) return (address - first) % slot_ < page_;
    }
    return false;
}

void StackPool::map_chunk() {
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    const std::size_t slot = page + kColourRoom + kStackBytes;  // guard page at the low end: stacks grow down
    page_ = page;
    slot_ = slot;
    const std::size_t bytes = slot * kStacksPerChunk;
    void* mapped = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapped == MAP_FAILED) throw std::bad_alloc();
    mappings_.emplace_back(mapped, bytes);
    char* base = static_cast<char*>(mapped);
    // Pushed in reverse so that the chunk's first stack is handed out first.
    for (std::size_t i = kStacksPerChunk; i-- > 0;) {
        char* guard = base + i * slot;
        mprotect(guard, page, PROT_NONE);
        free_.push_back(guard + slot - (i % kColours) * kColourStep);
    }
}

}  // namespace jclip::sim
