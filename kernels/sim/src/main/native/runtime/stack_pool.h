// Fiber stacks for the GPU threads of the blocks one OS thread runs. Stacks are mapped once and
// reused for the life of the thread (a launch of 1,024-thread blocks needs them again for every
// block); each has an inaccessible guard page below it, so that a kernel that overflows its stack
// faults at once instead of silently corrupting its neighbour's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace jclip::sim {

class StackPool {
public:
    // Every stack has at least this much. Enough for kernels that keep their big arrays in shared
    // memory, as GPU kernels do; 4 KiB sufficed for simple kernels, 2 KiB crashed (GPU.md).
    static constexpr std::size_t kStackBytes = 64 * 1024;

    StackPool() = default;
    StackPool(const StackPool&) = delete;
    StackPool& operator=(const StackPool&) = delete;
    ~StackPool();

    // The top (highest address, exclusive) of a free stack with kStackBytes below it.
    void* acquire();
    void release(void* top);

    // Whether `address` lies in the guard page below one of the stacks (a stack overflow).
    bool guards(std::uintptr_t address) const;

private:
    void map_chunk();

    std::vector<void*> free_;
    std::vector<std::pair<void*, std::size_t>> mappings_;
    std::size_t page_ = 0;
    std::size_t slot_ = 0;  // a guard page, colouring room and a stack
};

}  // namespace jclip::sim
