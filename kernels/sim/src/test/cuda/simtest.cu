// The simulated GPU's own test kernels (SimulatedDriverTest and friends): each exercises one CUDA
// built-in whose CPU meaning the simulator provides, with results a Java test can compute exactly.
// Compiled by nvcc to PTX and by g++ for the simulator, like the real kernels.
#include "jclip_cuda.cuh"

// out[b * n + t] = in[b * n + n - 1 - t] for a block of n threads: a block-wide reverse through
// static shared memory (one barrier between the writes and the reads).
extern "C" __global__ void simtest_reverse(float* out, const float* in) {
    __shared__ float tile[1024];
    const unsigned n = blockDim.x, base = blockIdx.x * n, t = threadIdx.x;
    tile[t] = in[base + t];
    __syncthreads();
    out[base + t] = tile[n - 1 - t];
}

// out[b] = sum of in[b * n .. b * n + n) for a power-of-two block of n threads: a tree reduction in
// shared memory with a barrier per level. Integers, so the sum is exact in any order.
extern "C" __global__ void simtest_tree_sum(int* out, const int* in) {
    __shared__ int partial[1024];
    const unsigned t = threadIdx.x;
    partial[t] = in[blockIdx.x * blockDim.x + t];
    __syncthreads();
    for (unsigned stride = blockDim.x / 2; stride > 0; stride /= 2) {
        if (t < stride) partial[t] += partial[t + stride];
        __syncthreads();
    }
    if (t == 0) out[blockIdx.x] = partial[0];
}

// out[b * n + t] = in[b * n + (t + shift) % n], through dynamic shared memory of n floats.
extern "C" __global__ void simtest_rotate(float* out, const float* in, int shift) {
    extern __shared__ float tile[];
    const unsigned n = blockDim.x, base = blockIdx.x * n, t = threadIdx.x;
    tile[t] = in[base + t];
    __syncthreads();
    out[base + t] = tile[(t + shift) % n];
}

// Per warp of in[] (one warp-sized slice per warp, full warps only):
//   xor_sum[i]  = the sum of the warp's 32 values, in every lane (butterfly of __shfl_xor_sync)
//   down_sum[w] = the same sum, from lane 0 of a __shfl_down_sync reduction
//   scan[i]     = inclusive prefix sum over lanes 0..lane (__shfl_up_sync)
//   gather[i]   = the value of lane (7 * lane + 3) % 32 of the warp (__shfl_sync, as float)
//   pairs[i]    = the sum of the lane's value and its neighbour's in segments of 2 (width 2, as double)
extern "C" __global__ void simtest_shuffles(int* xor_sum, int* down_sum, int* scan, float* gather, double* pairs,
                                            const int* in) {
    const unsigned i = blockIdx.x * blockDim.x + threadIdx.x, lane = threadIdx.x % 32;
    const int v = in[i];
    int sum = v;
    for (int mask = 16; mask > 0; mask /= 2) sum += __shfl_xor_sync(0xFFFFFFFFu, sum, mask);
    xor_sum[i] = sum;
    int down = v;
    for (unsigned delta = 16; delta > 0; delta /= 2) down += __shfl_down_sync(0xFFFFFFFFu, down, delta);
    if (lane == 0) down_sum[i / 32] = down;
    int prefix = v;
    for (unsigned delta = 1; delta < 32; delta *= 2) {
        int before = __shfl_up_sync(0xFFFFFFFFu, prefix, delta);
        if (lane >= delta) prefix += before;
    }
    scan[i] = prefix;
    gather[i] = __shfl_sync(0xFFFFFFFFu, static_cast<float>(v), static_cast<int>((7 * lane + 3) % 32));
    const double d = v;
    pairs[i] = d + __shfl_xor_sync(0xFFFFFFFFu, d, 1, 2);
}

// Per warp w: votes[3w] = ballot of in[i] > threshold, votes[3w + 1] = any, votes[3w + 2] = all.
extern "C" __global__ void simtest_votes(unsigned* votes, const float* in, float threshold) {
    const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
    const int above = in[i] > threshold;
    const unsigned ballot = __ballot_sync(0xFFFFFFFFu, above);
    const int any = __any_sync(0xFFFFFFFFu, above);
    const int all = __all_sync(0xFFFFFFFFu, above);
    if (threadIdx.x % 32 == 0) {
        votes[3 * (i / 32)] = ballot;
        votes[3 * (i / 32) + 1] = any;
        votes[3 * (i / 32) + 2] = all;
    }
}

// counts[b] = how many of the block's values exceed threshold, by __syncthreads_count; flags[2b] and
// flags[2b + 1] = __syncthreads_and / __syncthreads_or of the same predicate.
extern "C" __global__ void simtest_barrier_votes(int* counts, int* flags, const float* in, float threshold) {
    const int above = in[blockIdx.x * blockDim.x + threadIdx.x] > threshold;
    const int count = __syncthreads_count(above);
    const int all = __syncthreads_and(above);
    const int any = __syncthreads_or(above);
    if (threadIdx.x == 0) {
        counts[blockIdx.x] = count;
        flags[2 * blockIdx.x] = all;
        flags[2 * blockIdx.x + 1] = any;
    }
}

// bins[v % bin_count] += 1 for each of the n values: atomicAdd from every block (a grid-stride loop).
extern "C" __global__ void simtest_histogram(unsigned* bins, const int* values, int n, int bin_count) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        atomicAdd(&bins[values[i] % bin_count], 1u);
    }
}

// *result = max(*result, in[0..n)) by an atomicCAS loop on the float's bits, and *total += in[i]
// by atomicAdd on doubles (values that sum exactly in any order).
extern "C" __global__ void simtest_atomic_max(float* result, double* total, const float* in, int n) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const float value = in[i];
    int* bits = reinterpret_cast<int*>(result);
    int old = *bits;
    while (__int_as_float(old) < value) {
        const int seen = atomicCAS(bits, old, __float_as_int(value));
        if (seen == old) break;
        old = seen;
    }
    atomicAdd(total, static_cast<double>(value));
}

// 16-bit conversions: bf16[i] and half[i] are the bits of in[i] rounded to nearest even;
// widened[i] = the float value of the half bits half_in[i].
extern "C" __global__ void simtest_convert(unsigned short* bf16, unsigned short* half, float* widened,
                                           const float* in, const unsigned short* half_in, int n) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    bf16[i] = __bfloat16_as_ushort(__float2bfloat16_rn(in[i]));
    half[i] = __half_as_ushort(__float2half_rn(in[i]));
    widened[i] = __half2float(__ushort_as_half(half_in[i]));
}

// out[global thread] = tx + 10 ty + 100 tz + 1000 bx + 10000 by + 100000 bz, where the global
// thread number counts threads in x-fastest order within a block and blocks x-fastest in the grid.
extern "C" __global__ void simtest_indices(int* out) {
    const unsigned block = (blockIdx.z * gridDim.y + blockIdx.y) * gridDim.x + blockIdx.x;
    const unsigned thread = (threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x;
    out[block * blockDim.x * blockDim.y * blockDim.z + thread] = static_cast<int>(
        threadIdx.x + 10 * threadIdx.y + 100 * threadIdx.z + 1000 * blockIdx.x + 10000 * blockIdx.y + 100000 * blockIdx.z);
}

// Deadlocks: lanes 0-15 wait at a barrier for lanes 16-31, which wait in a full-warp __syncwarp
// for lanes 0-15. The simulator must report it (launch failed), not hang.
extern "C" __global__ void simtest_deadlock(int* out) {
    if (threadIdx.x < 16) {
        __syncthreads();
    } else {
        __syncwarp();
    }
    out[threadIdx.x] = 1;
}

// A full-mask shuffle: undefined in a block whose size is not a multiple of 32 (lanes 16-31 of
// the second warp of 48 threads do not exist). The simulator must report it.
extern "C" __global__ void simtest_full_mask_shuffle(int* out) {
    out[threadIdx.x] = __shfl_xor_sync(0xFFFFFFFFu, static_cast<int>(threadIdx.x), 1);
}

// For timing launches: nothing, and the two shapes of the issue's launch-cost figures.
extern "C" __global__ void simtest_empty() {}

// out[b * n + t] = n - 1 - t, through shared memory, with two barriers.
extern "C" __global__ void simtest_two_barriers(float* out) {
    __shared__ float tile[1024];
    const unsigned n = blockDim.x, t = threadIdx.x;
    tile[t] = static_cast<float>(t);
    __syncthreads();
    const float mirrored = tile[n - 1 - t];
    __syncthreads();
    out[blockIdx.x * n + t] = mirrored;
}

// out[b] = sum of in[b * n .. b * n + n): warp sums by shuffles, then the first warp adds them.
extern "C" __global__ void simtest_block_sum(int* out, const int* in) {
    __shared__ int warp_sums[32];
    const unsigned t = threadIdx.x, lane = t % 32, warp = t / 32;
    int v = in[blockIdx.x * blockDim.x + t];
    for (int mask = 16; mask > 0; mask /= 2) v += __shfl_xor_sync(0xFFFFFFFFu, v, mask);
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < blockDim.x / 32 ? warp_sums[lane] : 0;
        for (unsigned delta = 16; delta > 0; delta /= 2) v += __shfl_down_sync(0xFFFFFFFFu, v, delta);
        if (lane == 0) out[blockIdx.x] = v;
    }
    __syncthreads();
}
