#include "shared_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <new>

namespace jclip::sim {

namespace {
// Fresh dynamic shared memory holds NaN bit patterns (as float, bf16, half and double), so a kernel
// that reads shared memory it never wrote shows it in its results.
constexpr unsigned char kPoison[4] = {0xFF, 0x7F, 0xFF, 0x7F};
}  // namespace

SharedMemory::SharedMemory() : page_(static_cast<std::size_t>(sysconf(_SC_PAGESIZE))) {
    const std::size_t region = (kMaxBytes + page_ - 1) / page_ * page_;
    mapping_bytes_ = page_ + region + page_;  // guard, region, guard
    void* mapped = mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapped == MAP_FAILED) throw std::bad_alloc();
    mapping_ = static_cast<unsigned char*>(mapped);
    base_ = mapping_ + page_;
    for (std::size_t i = 0; i < region; ++i) base_[i] = kPoison[i % 4];
    mprotect(mapping_, page_, PROT_NONE);
    mprotect(base_, mapping_bytes_ - page_, PROT_NONE);
    accessible_ = 0;
}

SharedMemory::~SharedMemory() { munmap(mapping_, mapping_bytes_); }

void SharedMemory::prepare(std::size_t bytes) {
    bytes_ = bytes;
    const std::size_t wanted = (bytes + page_ - 1) / page_ * page_;
    if (wanted > accessible_) {
        mprotect(base_ + accessible_, wanted - accessible_, PROT_READ | PROT_WRITE);
    } else if (wanted < accessible_) {
        mprotect(base_ + wanted, accessible_ - wanted, PROT_NONE);
    }
    accessible_ = wanted;
}

bool SharedMemory::holds(std::uintptr_t address) const {
    const auto first = reinterpret_cast<std::uintptr_t>(mapping_);
    return address >= first && address < first + mapping_bytes_;
}

}  // namespace jclip::sim
