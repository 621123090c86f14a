// Softmax and log-softmax over the last dimension of [rows, cols], forward and backward, as
// jclip.kernels.cpu.Softmax defines them (max-subtracted; a row of all -inf gives NaN). One block
// per row, a multiple of 32 threads striding along it, block reductions in float.
#include "jclip_cuda.cuh"
#include "block_reduce.cuh"

// x, y [rows, cols]; grid = rows, block = min(1024, cols rounded up to 32). logSoftmax != 0: log-softmax.
extern "C" __global__ __launch_bounds__(1024) void
jclip_softmax_forward_f32(int logSoftmax, const float* x, float* y, int cols) {
    __shared__ float partials[JCLIP_WARP];
    const float* in = x + (size_t)blockIdx.x * cols;
    float* out = y + (size_t)blockIdx.x * cols;
    float max = MaxF::identity();
    for (int c = threadIdx.x; c < cols; c += blockDim.x) max = MaxF::combine(max, in[c]);
    max = block_reduce<MaxF>(max, partials);
    float sum = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) sum += expf(in[c] - max);
    sum = block_reduce<SumF>(sum, partials);
    if (logSoftmax) {
        float shift = max + logf(sum);
        for (int c = threadIdx.x; c < cols; c += blockDim.x) out[c] = in[c] - shift;
    } else {
        float inv = 1.f / sum;
        for (int c = threadIdx.x; c < cols; c += blockDim.x) out[c] = expf(in[c] - max) * inv;
    }
}

// y, gy, gx [rows, cols]; launched like the forward.
//   softmax:     gx = y · (gy - Σ gy·y)
//   log-softmax: gx = gy - exp(y) · Σ gy
extern "C" __global__ __launch_bounds__(1024) void
jclip_softmax_backward_f32(int logSoftmax, const float* y, const float* gy, float* gx, int cols) {
    __shared__ float partials[JCLIP_WARP];
    const size_t row = (size_t)blockIdx.x * cols;
    float dot = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) dot += logSoftmax ? gy[row + c] : gy[row + c] * y[row + c];
    dot = block_reduce<SumF>(dot, partials);
    if (logSoftmax) {
        for (int c = threadIdx.x; c < cols; c += blockDim.x) gx[row + c] = gy[row + c] - expf(y[row + c]) * dot;
    } else {
        for (int c = threadIdx.x; c < cols; c += blockDim.x) gx[row + c] = y[row + c] * (gy[row + c] - dot);
    }
}
