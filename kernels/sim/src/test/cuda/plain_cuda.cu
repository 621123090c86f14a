// Kernels written as CUDA code is written outside this project: CUDA's own headers, extern
// __shared__, cooperative groups, partial-mask shuffles, atomicCAS loops, 16-bit floats, and none of
// jclip's headers. The simulator must compile them unchanged (PlainCudaTest checks their results);
// nvcc compiles them to PTX like every other kernel.
#include <cooperative_groups.h>
#include <cooperative_groups/reduce.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <math_constants.h>

namespace cg = cooperative_groups;

// ---- dynamic shared memory ---------------------------------------------------------------------

// At file scope, as much CUDA code declares it.
extern __shared__ float file_scope_floats[];

// out[b * n + t] = in[b * n + n - 1 - t] for blocks of n threads, through the file-scope array.
extern "C" __global__ void plain_reverse(float* __restrict__ out, const float* __restrict__ in) {
    const unsigned n = blockDim.x, base = blockIdx.x * n, t = threadIdx.x;
    file_scope_floats[t] = in[base + t];
    __syncthreads();
    out[base + t] = file_scope_floats[n - 1 - t];
}

// A copy of 4n floats per block of n threads in which no float stays with the thread that loaded
// it: thread t stores float4 t of the block through one name for the dynamic shared memory, then
// reads floats t, t + n, t + 2n, t + 3n through another.
extern "C" __global__ void __launch_bounds__(256) plain_aliased_copy(float* __restrict__ out,
                                                                     const float4* __restrict__ in) {
    extern __shared__ __align__(16) unsigned char shared_bytes[];
    extern __shared__ float shared_floats[];
    const unsigned n = blockDim.x, t = threadIdx.x;
    reinterpret_cast<float4*>(shared_bytes)[t] = __ldg(&in[blockIdx.x * n + t]);
    __syncthreads();
#pragma unroll
    for (unsigned k = 0; k < 4; ++k) out[4 * blockIdx.x * n + k * n + t] = shared_floats[k * n + t];
}

// The usual way to reach dynamic shared memory from a template: one untyped array, viewed as T.
template <typename T>
__device__ T* dynamic_shared_as() {
    extern __shared__ __align__(sizeof(double)) unsigned char dynamic_shared_bytes[];
    return reinterpret_cast<T*>(dynamic_shared_bytes);
}

// out[b * n + t] = in[b * n + (t + shift) % n], through dynamic shared memory of n values of T.
template <typename T>
__device__ void rotate(T* __restrict__ out, const T* __restrict__ in, int shift) {
    T* tile = dynamic_shared_as<T>();
    const unsigned n = blockDim.x, base = blockIdx.x * n, t = threadIdx.x;
    tile[t] = in[base + t];
    __syncthreads();
    out[base + t] = tile[(t + shift) % n];
}

extern "C" __global__ void plain_rotate_doubles(double* out, const double* in, int shift) { rotate(out, in, shift); }
extern "C" __global__ void plain_rotate_shorts(short* out, const short* in, int shift) { rotate(out, in, shift); }

// ---- warps with partial masks ------------------------------------------------------------------

// Per warp, the two halves work apart, each with its own mask:
//   lanes 0-15:  result = the half's sum (__shfl_xor_sync, 0x0000FFFF), broadcast = in of lane 5
//   lanes 16-31: result = inclusive prefix sum from lane 16 (__shfl_up_sync, 0xFFFF0000, width 16),
//                broadcast = in of lane 23
extern "C" __global__ void plain_half_warps(int* __restrict__ result, int* __restrict__ broadcast,
                                            const int* __restrict__ in) {
    const unsigned i = blockIdx.x * blockDim.x + threadIdx.x, lane = threadIdx.x % 32;
    int v = in[i];
    if (lane < 16) {
        const unsigned lower = 0x0000FFFFu;
#pragma unroll
        for (int offset = 8; offset > 0; offset /= 2) v += __shfl_xor_sync(lower, v, offset);
        broadcast[i] = __shfl_sync(lower, in[i], 5);
    } else {
        const unsigned upper = 0xFFFF0000u;
#pragma unroll
        for (unsigned delta = 1; delta < 16; delta *= 2) {
            const int before = __shfl_up_sync(upper, v, delta, 16);
            if (lane - 16 >= delta) v += before;
        }
        broadcast[i] = __shfl_sync(upper, in[i], 23);
    }
    result[i] = v;
}

// ---- cooperative groups ------------------------------------------------------------------------

// What the tile collectives give each thread of a block (2-D blocks: the rank counts x fastest),
// as field f of thread i at out[f * n + i], i = block * threads + rank:
enum TileField {
    kTileSum,        // cg::reduce over its tile of 8, plus
    kTileMax,        // ... greater
    kTileMin,        // ... less
    kTileBallot,     // tile.ballot(value > threshold): bit r for tile rank r
    kTileVotes,      // tile.any(...) + 2 * tile.all(...)
    kTileDown,       // tile.shfl_down(value, 3)
    kTileUp,         // tile.shfl_up(value, 2)
    kTileXor,        // tile.shfl_xor(value, 5)
    kTileIndex,      // tile.shfl(value, 6)
    kTileRanks,      // tile.thread_rank() + 100 * tile.meta_group_rank() + 10000 * tile.meta_group_size()
    kQuarterRanks,   // the same for a tile of 4 cut from the thread's tile of 32
    kWarpSum,        // cg::reduce over the tile of 32
    kBlockSum,       // the block's sum: tile-of-32 sums through shared memory, block.sync()
    kGroupRank,      // a thread_group tile of 16: thread_rank() + 100 * size()
    kTileFields
};

extern "C" __global__ void plain_tile_collectives(int* __restrict__ out, const int* __restrict__ in, int threshold) {
    __shared__ int warp_sums[32];
    cg::thread_block block = cg::this_thread_block();
    cg::thread_block_tile<8> tile = cg::tiled_partition<8>(block);
    cg::thread_block_tile<32> warp = cg::tiled_partition<32>(block);
    const auto quarter = cg::tiled_partition<4>(warp);
    const unsigned n = gridDim.x * block.num_threads();
    const unsigned i = block.group_index().x * block.num_threads() + block.thread_rank();
    const int value = __ldg(&in[i]);
    const bool above = value > threshold;

    out[kTileSum * n + i] = cg::reduce(tile, value, cg::plus<int>());
    out[kTileMax * n + i] = cg::reduce(tile, value, cg::greater<int>());
    out[kTileMin * n + i] = cg::reduce(tile, value, cg::less<int>());
    out[kTileBallot * n + i] = static_cast<int>(tile.ballot(above));
    out[kTileVotes * n + i] = tile.any(above) + 2 * tile.all(above);
    out[kTileDown * n + i] = tile.shfl_down(value, 3);
    out[kTileUp * n + i] = tile.shfl_up(value, 2);
    out[kTileXor * n + i] = tile.shfl_xor(value, 5);
    out[kTileIndex * n + i] = tile.shfl(value, 6);
    out[kTileRanks * n + i] = tile.thread_rank() + 100 * tile.meta_group_rank() + 10000 * tile.meta_group_size();
    out[kQuarterRanks * n + i] =
            quarter.thread_rank() + 100 * quarter.meta_group_rank() + 10000 * quarter.meta_group_size();
    tile.sync();

    const int warp_sum = cg::reduce(warp, value, cg::plus<int>());
    out[kWarpSum * n + i] = warp_sum;
    if (warp.thread_rank() == 0) warp_sums[warp.meta_group_rank()] = warp_sum;
    block.sync();
    int block_sum = 0;
    for (unsigned w = 0; w < warp.meta_group_size(); ++w) block_sum += warp_sums[w];
    out[kBlockSum * n + i] = block_sum;

    cg::thread_group sixteen = cg::tiled_partition(block, 16);
    sixteen.sync();
    out[kGroupRank * n + i] = static_cast<int>(sixteen.thread_rank() + 100 * sixteen.size());
}

// A deadlock through a tile: in each tile of 16, ranks 0-7 wait in tile.sync() for ranks 8-15, which
// wait at the block's barrier for them. The simulator must report it, not hang.
extern "C" __global__ void plain_tile_deadlock(int* out) {
    cg::thread_block block = cg::this_thread_block();
    cg::thread_block_tile<16> tile = cg::tiled_partition<16>(block);
    if (tile.thread_rank() < 8) {
        tile.sync();
    } else {
        block.sync();
    }
    out[block.thread_rank()] = 1;
}

// ---- atomics from many blocks ------------------------------------------------------------------

// The float maximum by compare-and-swap on its bits, the classic loop.
__device__ float atomic_max_float(float* address, float value) {
    unsigned int* bits = reinterpret_cast<unsigned int*>(address);
    unsigned int old = *bits, assumed;
    do {
        assumed = old;
        if (__uint_as_float(assumed) >= value) break;
        old = atomicCAS(bits, assumed, __float_as_uint(value));
    } while (old != assumed);
    return __uint_as_float(old);
}

// A lock-free double accumulation by compare-and-swap, as written before atomicAdd(double*) existed.
__device__ double atomic_add_double(double* address, double value) {
    unsigned long long* bits = reinterpret_cast<unsigned long long*>(address);
    unsigned long long old = *bits, assumed;
    do {
        assumed = old;
        const double sum = __longlong_as_double(static_cast<long long>(assumed)) + value;
        old = atomicCAS(bits, assumed, static_cast<unsigned long long>(__double_as_longlong(sum)));
    } while (old != assumed);
    return __longlong_as_double(static_cast<long long>(old));
}

// Over values[0..n), from a grid-stride loop in every block: *sum (integer atomicAdd of warp sums),
// *max (atomic_max_float of warp maxima) and *total (atomic_add_double of each thread's sum).
extern "C" __global__ void plain_sum_and_max(unsigned long long* sum, float* max, double* total,
                                             const int* __restrict__ values, int n) {
    cg::thread_block_tile<32> warp = cg::tiled_partition<32>(cg::this_thread_block());
    long long partial = 0;
    float largest = -CUDART_INF_F;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        partial += values[i];
        largest = fmaxf(largest, static_cast<float>(values[i]));
    }
    atomic_add_double(total, static_cast<double>(partial));
    const long long warp_sum = cg::reduce(warp, partial, cg::plus<long long>());
    const float warp_max = cg::reduce(warp, largest, cg::greater<float>());
    if (warp.thread_rank() == 0) {
        atomicAdd(sum, static_cast<unsigned long long>(warp_sum));
        atomic_max_float(max, warp_max);
    }
}

// ---- 16-bit floats -----------------------------------------------------------------------------

// What each 16-bit format gives element i, as bits, at out[f * n + i]; x, y and z are a[i], b[i]
// and c[i] converted to the format:
enum SixteenBitField {
    kRounded,     // a[i] converted (round to nearest even)
    kSum,         // x + y
    kDifference,  // __hsub(x, y)
    kProduct,     // __hmul(x, y)
    kQuotient,    // x / y
    kFused,       // __hfma(x, y, z)
    kPairSum,     // the low half of (x, y) + (z, x) as pairs (__hadd2)
    kPairHigh,    // its high half
    kNegated,     // -x
    kMaximum,     // __hmax(x, y)
    kSixteenBitFields
};

// widened[i] = x as float; integers[i] = __half2int_rn(x) (or the bf16 one).
extern "C" __global__ void plain_bf16(unsigned short* out, float* widened, int* integers, const float* a, const float* b,
                                      const float* c, int n) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const __nv_bfloat16 x = __float2bfloat16(a[i]), y = __float2bfloat16_rn(b[i]), z = __float2bfloat16(c[i]);
    const __nv_bfloat162 pair = __hadd2(__halves2bfloat162(x, y), __halves2bfloat162(z, x));
    const __nv_bfloat16 results[kSixteenBitFields] = {
        x, x + y, __hsub(x, y), __hmul(x, y), x / y, __hfma(x, y, z), __low2bfloat16(pair), __high2bfloat16(pair), -x,
        __hmax(x, y)};
    for (int f = 0; f < kSixteenBitFields; ++f) out[f * n + i] = __bfloat16_as_ushort(results[f]);
    widened[i] = __bfloat162float(x);
    integers[i] = __bfloat162int_rn(x);
}

extern "C" __global__ void plain_half(unsigned short* out, float* widened, int* integers, const float* a, const float* b,
                                      const float* c, int n) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const __half x = __float2half(a[i]), y = __float2half_rn(b[i]), z = __float2half(c[i]);
    const __half2 pair = __hadd2(__halves2half2(x, y), __halves2half2(z, x));
    const __half results[kSixteenBitFields] = {
        x, x + y, __hsub(x, y), __hmul(x, y), x / y, __hfma(x, y, z), __low2half(pair), __high2half(pair), -x,
        __hmax(x, y)};
    for (int f = 0; f < kSixteenBitFields; ++f) out[f * n + i] = __half_as_ushort(results[f]);
    widened[i] = __half2float(x);
    integers[i] = __half2int_rn(x);
}

// ---- math constants ----------------------------------------------------------------------------

extern "C" __global__ void plain_math_constants(float* f, double* d) {
    const float floats[] = {CUDART_PI_F,  CUDART_INF_F,        CUDART_NAN_F,        CUDART_SQRT_TWO_F,
                            CUDART_LN2_F, CUDART_MAX_NORMAL_F, CUDART_MIN_DENORM_F, CUDART_NEG_ZERO_F};
    const double doubles[] = {CUDART_PI, CUDART_INF, CUDART_NAN, CUDART_L2E, CUDART_SQRT_HALF, CUDART_TWO_TO_M1022};
    for (int k = 0; k < 8; ++k) f[k] = floats[k];
    for (int k = 0; k < 6; ++k) d[k] = doubles[k];
}
