package jclip.kernels.cpu;

/** Placeholder body until the blocked kernel lands: plain loops with the final signature. */
public final class Gemm {
    private Gemm() {}

    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
            float[] a, int aOff, int lda, int strideA,
            float[] b, int bOff, int ldb, int strideB,
            float beta, float[] c, int cOff, int ldc, int strideC, int batch) {
        for (int q = 0; q < batch; q++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        float av = transA ? a[aOff + q * strideA + p * lda + i] : a[aOff + q * strideA + i * lda + p];
                        float bv = transB ? b[bOff + q * strideB + j * ldb + p] : b[bOff + q * strideB + p * ldb + j];
                        s += (double) av * bv;
                    }
                    int ci = cOff + q * strideC + i * ldc + j;
                    c[ci] = (float) (alpha * s + (beta == 0 ? 0 : beta * c[ci]));
                }
            }
        }
    }
}
