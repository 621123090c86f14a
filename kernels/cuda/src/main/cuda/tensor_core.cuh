// Tensor-core matrix multiply-accumulate for one warp: the only inline PTX in jclip's kernels. The
// simulated GPU runs the same function lane by lane with the PTX ISA's fragment layout for
// mma.m16n8k16 with .bf16 inputs, so a kernel built on it runs unchanged on both.
#pragma once
#include "jclip_cuda.cuh"

// D = A·B + C, A 16x16 bf16 (row-major), B 16x8 bf16 (column-major), C and D 16x8 float. With
// g = lane / 4 and t = lane % 4, lane `lane` holds (two bf16 per register, the lower index in the
// low half):
//   a[0] = A(g, 2t..2t+1)    a[1] = A(g+8, 2t..2t+1)    a[2] = A(g, 2t+8..2t+9)    a[3] = A(g+8, 2t+8..2t+9)
//   b[0] = B(2t..2t+1, g)    b[1] = B(2t+8..2t+9, g)
//   c[0], c[1] = C(g, 2t), C(g, 2t+1)    c[2], c[3] = C(g+8, 2t), C(g+8, 2t+1)    (d likewise)
// All 32 lanes of the warp must call it together.
__device__ __forceinline__ void jclip_mma_m16n8k16_bf16(float d[4], const unsigned a[4], const unsigned b[2],
                                                        const float c[4]) {
#ifdef __CUDACC__
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%10, %11, %12, %13};"
        : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(c[0]), "f"(c[1]), "f"(c[2]),
          "f"(c[3]));
#else
    // Every lane collects the whole warp's fragments through shuffles (slow, and a simulator only
    // needs to be right), then computes its own four outputs in float.
    const unsigned lane = (threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z)) % 32;
    unsigned warpA[32][4], warpB[32][2];
    for (int source = 0; source < 32; source++) {
        for (int r = 0; r < 4; r++) warpA[source][r] = __shfl_sync(0xffffffffu, a[r], source);
        for (int r = 0; r < 2; r++) warpB[source][r] = __shfl_sync(0xffffffffu, b[r], source);
    }
    auto half = [](unsigned pair, int k) { return __uint_as_float(((k & 1) ? pair >> 16 : pair & 0xffffu) << 16); };
    auto A = [&](int row, int k) { return half(warpA[(row % 8) * 4 + (k % 8) / 2][row / 8 + 2 * (k / 8)], k); };
    auto B = [&](int k, int col) { return half(warpB[col * 4 + (k % 8) / 2][k / 8], k); };
    const int g = lane / 4, t = lane % 4;
    for (int i = 0; i < 4; i++) {
        const int row = g + (i >= 2 ? 8 : 0), col = 2 * t + (i & 1);
        float sum = c[i];
        for (int k = 0; k < 16; k++) sum += A(row, k) * B(k, col);
        d[i] = sum;
    }
#endif
}
