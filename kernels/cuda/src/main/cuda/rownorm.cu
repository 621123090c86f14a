// Row normalisation in place, y_r /= max(‖y_r‖, eps), and its backward, as
// jclip.kernels.cpu.RowNormalize defines them (the epilogue of CLIP's normalised projections). One
// block per row, a multiple of 32 threads striding along it, block reductions in float.
#include "jclip_cuda.cuh"
#include "block_reduce.cuh"

// y [rows, cols] in place, invNorm [rows]: invNorm[r] = 1 / max(‖y_r‖, eps), y_r *= invNorm[r].
// grid = rows, block = min(1024, cols rounded up to 32).
extern "C" __global__ __launch_bounds__(1024) void
jclip_normalize_rows_f32(float* y, float* invNorm, int cols, float eps) {
    __shared__ float partials[JCLIP_WARP];
    float* row = y + (size_t)blockIdx.x * cols;
    float squares = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) squares = fmaf(row[c], row[c], squares);
    const float norm = sqrtf(block_reduce<SumF>(squares, partials));
    // Not fmaxf, which would turn a NaN norm into eps (the CPU's Math.max keeps the NaN).
    const float inv = 1.f / (norm < eps ? eps : norm);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) row[c] *= inv;
    if (threadIdx.x == 0) invNorm[blockIdx.x] = inv;
}

// y (the normalised output), gy, gRaw [rows, cols], invNorm [rows]:
//   gRaw_r = invNorm[r] · (gy_r − y_r · (gy_r·y_r)),  or gy_r · invNorm[r] where the norm was clamped
//   (invNorm[r] >= clampedInv = 1/eps, computed by the launcher as the CPU does). Launched like the forward.
extern "C" __global__ __launch_bounds__(1024) void
jclip_normalize_rows_backward_f32(const float* y, const float* invNorm, const float* gy, float* gRaw, int cols,
                                  float clampedInv) {
    __shared__ float partials[JCLIP_WARP];
    const size_t row = (size_t)blockIdx.x * cols;
    const float inv = invNorm[blockIdx.x];
    if (inv >= clampedInv) {  // the whole block takes this branch: no barrier is split
        for (int c = threadIdx.x; c < cols; c += blockDim.x) gRaw[row + c] = gy[row + c] * inv;
        return;
    }
    float dot = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) dot = fmaf(gy[row + c], y[row + c], dot);
    dot = block_reduce<SumF>(dot, partials);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) gRaw[row + c] = inv * (gy[row + c] - y[row + c] * dot);
}
