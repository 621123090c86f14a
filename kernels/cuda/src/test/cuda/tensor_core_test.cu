// One warp multiplies a 16x16 by a 16x8 bf16 matrix on the tensor cores (jclip_mma_m16n8k16_bf16),
// loading its fragments from plain row-major matrices with the layout tensor_core.cuh documents.
#include "tensor_core.cuh"

__device__ unsigned pack_bf16(__nv_bfloat16 low, __nv_bfloat16 high) {
    return (unsigned)__bfloat16_as_ushort(low) | ((unsigned)__bfloat16_as_ushort(high) << 16);
}

// a [16, 16] and b [16, 8] row-major bf16, c and d [16, 8] row-major float; one block of 32 threads.
extern "C" __global__ void jclip_test_mma_m16n8k16(const __nv_bfloat16* a, const __nv_bfloat16* b, const float* c,
                                                   float* d) {
    const int lane = threadIdx.x, g = lane / 4, t = lane % 4;
    unsigned fa[4], fb[2];
    float fc[4], fd[4];
    for (int r = 0; r < 4; r++) {
        const int row = g + 8 * (r & 1), col = 2 * t + 8 * (r >> 1);
        fa[r] = pack_bf16(a[row * 16 + col], a[row * 16 + col + 1]);
    }
    for (int r = 0; r < 2; r++) {
        const int k = 2 * t + 8 * r;
        fb[r] = pack_bf16(b[k * 8 + g], b[(k + 1) * 8 + g]);
    }
    for (int i = 0; i < 4; i++) fc[i] = c[(g + 8 * (i >> 1)) * 8 + 2 * t + (i & 1)];
    jclip_mma_m16n8k16_bf16(fd, fa, fb, fc);
    for (int i = 0; i < 4; i++) d[(g + 8 * (i >> 1)) * 8 + 2 * t + (i & 1)] = fd[i];
}
