// Stand-in for CUDA's <cooperative_groups/reduce.h>: cooperative_groups::reduce over a tile, and
// the operations it takes.
#pragma once

#include <type_traits>
#include <utility>

#include <cooperative_groups.h>

namespace cooperative_groups {

template <typename T>
struct plus {
    T operator()(T a, T b) const { return a + b; }
};
// The smaller of the two; a itself unless b is smaller.
template <typename T>
struct less {
    T operator()(T a, T b) const { return b < a ? b : a; }
};
// The larger of the two; a itself unless b is larger.
template <typename T>
struct greater {
    T operator()(T a, T b) const { return a < b ? b : a; }
};
template <typename T>
struct bit_and {
    T operator()(T a, T b) const { return a & b; }
};
template <typename T>
struct bit_or {
    T operator()(T a, T b) const { return a | b; }
};
template <typename T>
struct bit_xor {
    T operator()(T a, T b) const { return a ^ b; }
};

// `op` over the values of all the tile's threads, in every thread: a butterfly of shfl_xor, each
// step combining with the thread whose rank differs in one bit.
template <typename Tile, typename T, typename Op>
auto reduce(const Tile& tile, T&& value, Op&& op) -> decltype(op(value, value)) {
    using Value = std::decay_t<decltype(op(value, value))>;
    Value result = std::forward<T>(value);
    for (unsigned distance = tile.num_threads() / 2; distance > 0; distance /= 2) {
        result = op(result, tile.shfl_xor(result, distance));
    }
    return result;
}

}  // namespace cooperative_groups
