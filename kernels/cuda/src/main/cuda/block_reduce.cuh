// Warp and block reductions shared by the row kernels (reduce.cu, softmax.cu, layernorm.cu).
// Blocks are whole warps (the launchers round up to 32), so full-mask shuffles are defined.
#pragma once

#define JCLIP_WARP 32
#define JCLIP_FULL_MASK 0xffffffffu

struct SumF {
    __device__ static float identity() { return 0.f; }
    __device__ static float combine(float a, float b) { return a + b; }
};

// NaN wins, as in torch.max and cpu.Reduce.max (fmaxf would drop it).
struct MaxF {
    __device__ static float identity() { return -INFINITY; }
    __device__ static float combine(float a, float b) { return (a > b || a != a) ? a : b; }
};

// Butterfly reduction: every lane ends with the warp's result.
template <class Op>
__device__ __forceinline__ float warp_reduce(float v) {
    for (int delta = JCLIP_WARP / 2; delta > 0; delta >>= 1)
        v = Op::combine(v, __shfl_xor_sync(JCLIP_FULL_MASK, v, delta));
    return v;
}

// The block's result in every thread of a 1-D block. `partials` is the caller's __shared__ float[32].
// Each warp reduces the per-warp partials itself, so no broadcast round is needed; the leading
// barrier makes back-to-back calls on the same `partials` safe.
template <class Op>
__device__ __forceinline__ float block_reduce(float v, float* partials) {
    v = warp_reduce<Op>(v);
    const int lane = threadIdx.x % JCLIP_WARP, warp = threadIdx.x / JCLIP_WARP;
    __syncthreads();
    if (lane == 0) partials[warp] = v;
    __syncthreads();
    v = lane < (int)(blockDim.x / JCLIP_WARP) ? partials[lane] : Op::identity();
    return warp_reduce<Op>(v);
}
