// Layer normalisation over the last dimension, as jclip.kernels.cpu.LayerNorm defines it:
// x, y, gy, gx [rows, cols]; gamma, beta, gGamma, gBeta [cols]; mean, rstd [rows].
// The row kernels take one block per row (a multiple of 32 threads striding along it) and reduce in
// float; the variance is the two-pass Σ(x - mean)², which does not cancel the way E[x²] - mean² does.
#include "jclip_cuda.cuh"
#include "block_reduce.cuh"

// Rows of the parameter-gradient kernel per thread block: blockDim.y.
#define PARAM_ROWS_Y 8

// y = (x - mean)·rstd·gamma + beta, saving mean and rstd = 1/√(var + eps).
// grid = rows, block = min(1024, cols rounded up to 32).
extern "C" __global__ __launch_bounds__(1024) void
jclip_layernorm_forward_f32(const float* x, const float* gamma, const float* beta, float eps, float* y,
                            float* mean, float* rstd, int cols) {
    __shared__ float partials[JCLIP_WARP];
    const size_t row = (size_t)blockIdx.x * cols;
    float sum = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) sum += x[row + c];
    const float m = block_reduce<SumF>(sum, partials) / cols;
    float squares = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        float d = x[row + c] - m;
        squares += d * d;
    }
    // Division and sqrtf are correctly rounded (rsqrtf is not), as close to the CPU's double as float gets.
    const float rs = 1.f / sqrtf(block_reduce<SumF>(squares, partials) / cols + eps);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) y[row + c] = (x[row + c] - m) * rs * gamma[c] + beta[c];
    if (threadIdx.x == 0) {
        mean[blockIdx.x] = m;
        rstd[blockIdx.x] = rs;
    }
}

// With x̂ = (x - mean)·rstd and g = gy·gamma: gx = rstd · (g - mean(g) - x̂ · mean(g·x̂)), written.
// Launched like the forward.
extern "C" __global__ __launch_bounds__(1024) void
jclip_layernorm_backward_f32(const float* x, const float* gamma, const float* mean, const float* rstd,
                             const float* gy, float* gx, int cols) {
    __shared__ float partials[JCLIP_WARP];
    const size_t row = (size_t)blockIdx.x * cols;
    const float m = mean[blockIdx.x], rs = rstd[blockIdx.x];
    float sumG = 0.f, sumGX = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        float g = gy[row + c] * gamma[c];
        sumG += g;
        sumGX += g * (x[row + c] - m) * rs;
    }
    const float meanG = block_reduce<SumF>(sumG, partials) / cols;
    const float meanGX = block_reduce<SumF>(sumGX, partials) / cols;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        float g = gy[row + c] * gamma[c];
        gx[row + c] = rs * (g - meanG - (x[row + c] - m) * rs * meanGX);
    }
}

// gGamma += Σ_rows gy·x̂, gBeta += Σ_rows gy: column sums over rows. block = 32 x PARAM_ROWS_Y:
// the lanes take 32 adjacent columns (coalesced), the warps split the block's rows.
// grid = (ceil(cols / 32), chunks): each block sums rowsPerChunk rows and adds its partial with
// atomicAdd, so enough blocks run when cols is small and rows many; the order of the adds varies
// from run to run (rounding-level differences only).
extern "C" __global__ __launch_bounds__(JCLIP_WARP * PARAM_ROWS_Y) void
jclip_layernorm_backward_params_f32(const float* x, const float* mean, const float* rstd, const float* gy,
                                    float* gGamma, float* gBeta, int rows, int cols, int rowsPerChunk) {
    __shared__ float gammaPartials[PARAM_ROWS_Y][JCLIP_WARP];
    __shared__ float betaPartials[PARAM_ROWS_Y][JCLIP_WARP];
    const int c = blockIdx.x * JCLIP_WARP + threadIdx.x;
    const int first = blockIdx.y * rowsPerChunk;
    const int last = min(rows, first + rowsPerChunk);
    float sg = 0.f, sb = 0.f;
    if (c < cols) {
        for (int r = first + threadIdx.y; r < last; r += PARAM_ROWS_Y) {
            float g = gy[(size_t)r * cols + c];
            sg += g * (x[(size_t)r * cols + c] - mean[r]) * rstd[r];
            sb += g;
        }
    }
    gammaPartials[threadIdx.y][threadIdx.x] = sg;
    betaPartials[threadIdx.y][threadIdx.x] = sb;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        for (int y = 1; y < PARAM_ROWS_Y; y++) {
            sg += gammaPartials[y][threadIdx.x];
            sb += betaPartials[y][threadIdx.x];
        }
        atomicAdd(gGamma + c, sg);
        atomicAdd(gBeta + c, sb);
    }
}
