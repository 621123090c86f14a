// A block's dynamic shared memory (the launch's sharedMemBytes): one fixed mapping per OS thread,
// as large as an H100 allows a block (227 KiB), reused by every block the thread runs. Fixed, so
// that `extern __shared__` arrays can be bound once per OS thread (cuda_sim.h); guarded, so that a
// kernel indexing past the launch's dynamic shared memory faults instead of reading what an earlier
// launch left there: an inaccessible page lies before the region, and every page past the launch's
// size (rounded up to a page) is made inaccessible while its blocks run. An overrun that stays
// inside the last, partly used page is not caught.
#pragma once

#include <cstddef>
#include <cstdint>

namespace jclip::sim {

class SharedMemory {
public:
    static constexpr std::size_t kMaxBytes = 227 * 1024;

    SharedMemory();
    SharedMemory(const SharedMemory&) = delete;
    SharedMemory& operator=(const SharedMemory&) = delete;
    ~SharedMemory();

    // Makes the first `bytes` accessible and the rest not; a system call only when `bytes` needs a
    // different number of pages than the launch before.
    void prepare(std::size_t bytes);

    void* base() const { return base_; }
    std::size_t bytes() const { return bytes_; }

    // Whether `address` lies in the region or its leading guard page (a fault there is a shared
    // memory overrun).
    bool holds(std::uintptr_t address) const;

private:
    unsigned char* mapping_ = nullptr;
    std::size_t mapping_bytes_ = 0;
    std::size_t page_ = 0;
    unsigned char* base_ = nullptr;
    std::size_t accessible_ = 0;  // bytes from base_ currently readable and writable (whole pages)
    std::size_t bytes_ = 0;       // the current launch's size
};

}  // namespace jclip::sim
