// Stand-in for CUDA's <cooperative_groups.h>, for kernels compiled by g++: the thread block, its
// tiles of 1 to 32 threads (thread_block_tile<N>, tiled_partition), and thread_group, which either
// can be passed as. Built on the simulator's barrier and warp collectives: a tile's collectives are
// its warp's, with the tile's lanes as the mask and its size as the width (a tile of 8 in lanes
// 8-15 uses mask 0xFF00, width 8), so the simulator checks them as it checks any collective (lanes
// that do not exist or have exited, lanes waiting in another collective: deadlocks). Tiles are
// formed as on a GPU: consecutive ranks of the block (x fastest), which lie within one warp.
// Not stood in for: grid and multi-grid groups (cooperative launches), clusters, coalesced_threads,
// match_any/match_all, and tiles larger than a warp.
#pragma once

#include <type_traits>

#include "cuda_sim.h"

namespace jclip_sim_detail {

inline unsigned block_thread_rank() { return (threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x; }
inline unsigned block_num_threads() { return blockDim.x * blockDim.y * blockDim.z; }

// The warp lanes of the calling thread's tile of `size` threads (a power of 2 up to 32).
inline unsigned tile_mask(unsigned size) {
    const unsigned first = (block_thread_rank() % warpSize) & ~(size - 1);
    return (size == 32 ? 0xFFFFFFFFu : (1u << size) - 1u) << first;
}

// A shuffle of a value of any size, as a tile's shfl allows: 8 bytes at a time.
template <typename T>
T any_shuffle(int op, unsigned mask, T value, int arg, int width) {
    static_assert(std::is_trivially_copyable<T>::value, "tiles shuffle trivially copyable values");
    if constexpr (sizeof(T) <= 8) {
        return shuffle(op, mask, value, arg, width);
    } else {
        unsigned long long words[(sizeof(T) + 7) / 8] = {};
        std::memcpy(words, &value, sizeof value);
        for (unsigned long long& word : words) word = jclip_sim_warp_collective(op, mask, word, arg, width);
        T result;
        std::memcpy(&result, words, sizeof result);
        return result;
    }
}

// Where a tile sits in the group it was cut from (tiled_partition makes it).
struct TilePosition {
    unsigned meta_group_rank, meta_group_size;
};

}  // namespace jclip_sim_detail

namespace cooperative_groups {

// A block or a tile of it, whichever was passed: tile_size_ is 0 for the block. A tile from
// tiled_partition(parent, n) at the end of a block whose size n does not divide holds the threads
// that remain, as on a GPU.
class thread_group {
public:
    void sync() const {
        if (tile_size_ == 0) {
            __syncthreads();
        } else {
            __syncwarp(tile_mask());
        }
    }
    unsigned long long thread_rank() const {
        const unsigned rank = jclip_sim_detail::block_thread_rank();
        return tile_size_ == 0 ? rank : rank % tile_size_;
    }
    unsigned long long num_threads() const {
        const unsigned block = jclip_sim_detail::block_num_threads();
        if (tile_size_ == 0) return block;
        const unsigned first = jclip_sim_detail::block_thread_rank() & ~(tile_size_ - 1);
        return block - first < tile_size_ ? block - first : tile_size_;
    }
    unsigned long long size() const { return num_threads(); }

protected:
    explicit thread_group(unsigned tile_size) : tile_size_(tile_size) {}

private:
    // The tile's lanes, less those past the end of the block.
    unsigned tile_mask() const {
        const unsigned rank = jclip_sim_detail::block_thread_rank();
        const unsigned in_warp = jclip_sim_detail::block_num_threads() - (rank - rank % warpSize);
        const unsigned existing = in_warp >= 32 ? 0xFFFFFFFFu : (1u << in_warp) - 1u;
        return jclip_sim_detail::tile_mask(tile_size_) & existing;
    }

    unsigned tile_size_;

    friend thread_group tiled_partition(const thread_group& parent, unsigned tile_size);
};

class thread_block : public thread_group {
public:
    static void sync() { __syncthreads(); }
    static unsigned thread_rank() { return jclip_sim_detail::block_thread_rank(); }
    static unsigned num_threads() { return jclip_sim_detail::block_num_threads(); }
    static unsigned size() { return num_threads(); }
    static dim3 group_index() { return dim3(blockIdx); }
    static dim3 thread_index() { return dim3(threadIdx); }
    static dim3 dim_threads() { return dim3(blockDim); }
    static dim3 group_dim() { return dim_threads(); }

private:
    thread_block() : thread_group(0) {}
    friend thread_block this_thread_block();
};

inline thread_block this_thread_block() { return thread_block(); }

// A tile of Size threads cut from ParentT (the block, or a larger tile); ParentT void stands for
// any parent, and every tile converts to it.
template <unsigned Size, typename ParentT = void>
class thread_block_tile : public thread_group {
    static_assert(Size >= 1 && Size <= 32 && (Size & (Size - 1)) == 0, "a tile holds 1, 2, 4, 8, 16 or 32 threads");

public:
    explicit thread_block_tile(jclip_sim_detail::TilePosition position) : thread_group(Size), position_(position) {}
    template <typename OtherParent>
    thread_block_tile(const thread_block_tile<Size, OtherParent>& other)
        : thread_block_tile(jclip_sim_detail::TilePosition{other.meta_group_rank(), other.meta_group_size()}) {}

    void sync() const { __syncwarp(mask()); }
    unsigned thread_rank() const { return jclip_sim_detail::block_thread_rank() % Size; }
    static constexpr unsigned num_threads() { return Size; }
    static constexpr unsigned size() { return Size; }
    // This tile's index among the tiles cut from the same parent, and how many there are.
    unsigned meta_group_rank() const { return position_.meta_group_rank; }
    unsigned meta_group_size() const { return position_.meta_group_size; }

    template <typename T>
    T shfl(T var, int src_rank) const {
        return jclip_sim_detail::any_shuffle(JCLIP_SIM_SHFL_IDX, mask(), var, src_rank, Size);
    }
    template <typename T>
    T shfl_down(T var, unsigned delta) const {
        return jclip_sim_detail::any_shuffle(JCLIP_SIM_SHFL_DOWN, mask(), var, static_cast<int>(delta), Size);
    }
    template <typename T>
    T shfl_up(T var, unsigned delta) const {
        return jclip_sim_detail::any_shuffle(JCLIP_SIM_SHFL_UP, mask(), var, static_cast<int>(delta), Size);
    }
    template <typename T>
    T shfl_xor(T var, unsigned lane_mask) const {
        return jclip_sim_detail::any_shuffle(JCLIP_SIM_SHFL_XOR, mask(), var, static_cast<int>(lane_mask), Size);
    }

    // Bit r of the ballot is tile rank r's predicate.
    unsigned ballot(int predicate) const {
        return __ballot_sync(mask(), predicate) >> ((jclip_sim_detail::block_thread_rank() % warpSize) & ~(Size - 1));
    }
    int any(int predicate) const { return ballot(predicate) != 0; }
    int all(int predicate) const { return ballot(predicate) == (Size == 32 ? 0xFFFFFFFFu : (1u << Size) - 1u); }

private:
    static unsigned mask() { return jclip_sim_detail::tile_mask(Size); }

    jclip_sim_detail::TilePosition position_;
};

template <unsigned Size>
thread_block_tile<Size, thread_block> tiled_partition(const thread_block& block) {
    const unsigned threads = block.num_threads();
    return thread_block_tile<Size, thread_block>({block.thread_rank() / Size, (threads + Size - 1) / Size});
}

template <unsigned Size, unsigned ParentSize, typename GrandParent>
thread_block_tile<Size, thread_block_tile<ParentSize, GrandParent>> tiled_partition(
        const thread_block_tile<ParentSize, GrandParent>& parent) {
    static_assert(Size <= ParentSize, "a tile is cut from a larger group");
    return thread_block_tile<Size, thread_block_tile<ParentSize, GrandParent>>({parent.thread_rank() / Size, ParentSize / Size});
}

// Tiles of `tile_size` threads (a power of 2 up to 32) of the block or of a larger tile.
inline thread_group tiled_partition(const thread_group& parent, unsigned tile_size) {
    assert(tile_size >= 1 && tile_size <= 32 && (tile_size & (tile_size - 1)) == 0);
    assert(parent.tile_size_ == 0 || tile_size <= parent.tile_size_);
    return thread_group(tile_size);
}

template <typename Group>
void sync(const Group& group) {
    group.sync();
}

}  // namespace cooperative_groups
