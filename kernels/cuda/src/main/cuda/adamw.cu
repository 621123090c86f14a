// One fused AdamW step in place on p, m, v [n] (grad g [n]), the formula of jclip.kernels.cpu.AdamW
// in float: one read of four arrays and one write of three instead of the dozen passes an unfused
// composition makes. The scalars that depend only on the step (decay = 1 - lr·wd, stepSize =
// lr / (1 - β1^t), invSqrtC2 = 1/√(1 - β2^t)) are computed on the host in double, as the CPU does.
#include "jclip_cuda.cuh"
#include "elements.cuh"

extern "C" __global__ void jclip_adamw_f32(float* p, const float* g, float* m, float* v, int n, float beta1,
                                           float beta2, float eps, float decay, float stepSize, float invSqrtC2) {
    const float b1c = 1.f - beta1, b2c = 1.f - beta2;
    GRID_STRIDE(i, n) {
        float gi = g[i];
        float mi = beta1 * m[i] + b1c * gi;
        float vi = beta2 * v[i] + b2c * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * decay - stepSize * mi / (sqrtf(vi) * invSqrtC2 + eps);
    }
}
