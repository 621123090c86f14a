// Reductions over the middle dimension of x viewed as [outer, dim, inner] into out [outer, inner]:
// SUM and MAX (F32 out) and ARGMAX (I64 out), as jclip.kernels.cpu.Reduce defines them: MAX lets a
// NaN win, ARGMAX gives the first maximum and counts a NaN as the maximum. Sums accumulate in
// float, in a different order from the CPU's double loop (the tests allow for it).
//
// Two layouts, chosen by the launcher:
//   inner == 1 (rows): a block strides along a contiguous row, then a shuffle + shared-memory
//                      block reduction.
//   inner > 1 (columns): a 32 x COLUMN_WARPS block per 32 adjacent columns of one outer index; the
//                      32 lanes read 32 consecutive floats (coalesced), the warps split dim, and
//                      warp 0 folds their partials in order.
// SUM and MAX may also split dim into `splits` chunks, one block each, when there are too few
// outputs to fill the GPU (a bias gradient: [1, 12800, 512]; a loss: [1, n, 1]): the launcher then
// reduces the [outer, splits, inner] partials with a second launch of the same kernel.
#include "jclip_cuda.cuh"
#include "block_reduce.cuh"

// Largest blockDim.y of the column kernels (the launcher uses min(dim, this)).
#define COLUMN_WARPS 16

// A candidate for the argmax: its value and its index along dim.
struct Arg {
    float v;
    int i;
};

// Whether a beats b: a NaN beats any number, a larger value beats a smaller one, and between equal
// values (or two NaNs) the smaller index wins, which makes the result the first maximum whatever
// order the candidates meet in.
__device__ __forceinline__ bool beats(Arg a, Arg b) {
    bool aNaN = a.v != a.v, bNaN = b.v != b.v;
    if (aNaN != bNaN) return aNaN;
    if (!aNaN && a.v != b.v) return a.v > b.v;
    return a.i < b.i;
}

// No element yet: loses to every real candidate (index past any real one).
__device__ __forceinline__ Arg no_arg() { return {-INFINITY, 0x7fffffff}; }

__device__ __forceinline__ Arg better(Arg a, Arg b) { return beats(b, a) ? b : a; }

__device__ __forceinline__ Arg warp_argmax(Arg a) {
    for (int delta = JCLIP_WARP / 2; delta > 0; delta >>= 1) {
        Arg other = {__shfl_xor_sync(JCLIP_FULL_MASK, a.v, delta), __shfl_xor_sync(JCLIP_FULL_MASK, a.i, delta)};
        a = better(a, other);
    }
    return a;
}

// Shared memory is declared in the kernels and handed down, so that every __shared__ variable sits
// in a __global__ function's body.
template <class Op>
__device__ void reduce_row(const float* x, float* out, int dim, int chunk, int splits, float* partials) {
    const int row = blockIdx.x / splits, begin = (blockIdx.x % splits) * chunk;
    const int end = (int)min((long long)dim, (long long)begin + chunk);
    const float* in = x + (size_t)row * dim;
    float acc = Op::identity();
    for (int d = begin + threadIdx.x; d < end; d += blockDim.x) acc = Op::combine(acc, in[d]);
    acc = block_reduce<Op>(acc, partials);
    if (threadIdx.x == 0) out[blockIdx.x] = acc;
}

// x [outer, dim] (inner == 1), out [outer, splits]: block b reduces elements [c·chunk, (c+1)·chunk)
// of row b / splits, c = b % splits. grid = outer · splits, block = a multiple of 32 (<= 1024).
// op: 0 SUM, 1 MAX (jclip.kernels.ReduceOp's order).
extern "C" __global__ __launch_bounds__(1024) void
jclip_reduce_rows_f32(int op, const float* x, float* out, int dim, int chunk, int splits) {
    __shared__ float partials[JCLIP_WARP];
    if (op == 0) reduce_row<SumF>(x, out, dim, chunk, splits, partials);
    else reduce_row<MaxF>(x, out, dim, chunk, splits, partials);
}

// x [outer, dim] (inner == 1), out [outer] I64; grid = outer, block = a multiple of 32 (<= 1024).
// Never split: the partials would have to carry indices, and argmax over long rows is rare.
extern "C" __global__ __launch_bounds__(1024) void
jclip_argmax_rows_f32(const float* x, long long* out, int dim) {
    __shared__ Arg partials[JCLIP_WARP];
    const float* row = x + (size_t)blockIdx.x * dim;
    Arg best = no_arg();
    for (int d = threadIdx.x; d < dim; d += blockDim.x) best = better(best, Arg{row[d], d});
    best = warp_argmax(best);
    const int lane = threadIdx.x % JCLIP_WARP, warp = threadIdx.x / JCLIP_WARP;
    if (lane == 0) partials[warp] = best;
    __syncthreads();
    if (warp == 0) {
        best = warp_argmax(lane < (int)(blockDim.x / JCLIP_WARP) ? partials[lane] : no_arg());
        if (lane == 0) out[blockIdx.x] = best.i;
    }
}

template <class Op>
__device__ void reduce_columns(const float* x, float* out, int dim, int inner, int columnBlocks, int chunk,
                               int splits, float (*partials)[JCLIP_WARP]) {
    const int j = (blockIdx.x % columnBlocks) * JCLIP_WARP + threadIdx.x;
    const int part = blockIdx.x / columnBlocks % splits, o = blockIdx.x / columnBlocks / splits;
    const int end = (int)min((long long)dim, (long long)(part + 1) * chunk);
    float acc = Op::identity();
    if (j < inner) {
        const float* column = x + (size_t)o * dim * inner + j;
        for (int d = part * chunk + threadIdx.y; d < end; d += blockDim.y) acc = Op::combine(acc, column[(size_t)d * inner]);
    }
    partials[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && j < inner) {
        for (int y = 1; y < (int)blockDim.y; y++) acc = Op::combine(acc, partials[y][threadIdx.x]);
        out[((size_t)o * splits + part) * inner + j] = acc;
    }
}

// x [outer, dim, inner], out [outer, splits, inner]: each block reduces rows [c·chunk, (c+1)·chunk) of
// dim for 32 columns. grid = outer · splits · columnBlocks (columnBlocks = ceil(inner / 32)),
// block = 32 x min(chunk, COLUMN_WARPS). op: 0 SUM, 1 MAX.
extern "C" __global__ __launch_bounds__(JCLIP_WARP * COLUMN_WARPS) void
jclip_reduce_columns_f32(int op, const float* x, float* out, int dim, int inner, int columnBlocks, int chunk,
                         int splits) {
    __shared__ float partials[COLUMN_WARPS][JCLIP_WARP];
    if (op == 0) reduce_columns<SumF>(x, out, dim, inner, columnBlocks, chunk, splits, partials);
    else reduce_columns<MaxF>(x, out, dim, inner, columnBlocks, chunk, splits, partials);
}

// x [outer, dim, inner], out [outer, inner] I64; launched like jclip_reduce_columns_f32.
extern "C" __global__ __launch_bounds__(JCLIP_WARP * COLUMN_WARPS) void
jclip_argmax_columns_f32(const float* x, long long* out, int dim, int inner, int columnBlocks) {
    __shared__ Arg partials[COLUMN_WARPS][JCLIP_WARP];
    const int o = blockIdx.x / columnBlocks;
    const int j = (blockIdx.x % columnBlocks) * JCLIP_WARP + threadIdx.x;
    Arg best = no_arg();
    if (j < inner) {
        const float* column = x + (size_t)o * dim * inner + j;
        // Each thread meets its indices in increasing order, so a strict "beats" keeps the first.
        for (int d = threadIdx.y; d < dim; d += blockDim.y) best = better(best, Arg{column[(size_t)d * inner], d});
    }
    partials[threadIdx.y][threadIdx.x] = best;
    __syncthreads();
    if (threadIdx.y == 0 && j < inner) {
        for (int y = 1; y < (int)blockDim.y; y++) best = better(best, partials[y][threadIdx.x]);
        out[(size_t)o * inner + j] = best.i;
    }
}
