package jclip.kernels.cpu;

/**
 * The compute core of {@link Attention}'s fused forward and backward: a small unpacked matrix
 * product over one tile, and the row maximum and exponential of the online softmax. Attention owns
 * everything around them (tiling, masks, the running statistics, threads) and picks one
 * implementation at class initialisation, as {@link Gemm} does: the Vector API one
 * ({@code AttentionVectorKernel}) when {@code jdk.incubator.vector} is in the boot layer and
 * {@code -Djclip.vector=false} is not set, otherwise {@link AttentionScalarKernel}.
 */
interface AttentionTileKernel {
    /** Short description for {@link Attention#implementation()}. */
    String name();

    /**
     * The column granularity this kernel is fastest at: Attention pads the key dimension of its
     * score tiles to a multiple of it (the padding is zero in the packed operand, −∞ in the scores).
     */
    int align();

    /**
     * {@code C = alpha·A·B + (accumulate ? beta_r·C : 0)} for r in [0, m), j in [0, n): element (r, j)
     * of C is {@code c[co + r*ldc + j]}, A(r, p) is {@code a[ao + r*ars + p*aps]} (any strides, so
     * that A may be a transposed tile), B(p, j) is {@code b[bo + p*ldb + j]}, and beta_r is
     * {@code rowScale[rso + r]}, or 1 when rowScale is null. When {@code accumulate} is false C is
     * written without being read. p runs over [0, k).
     */
    void multiply(int m, int n, int k, float alpha, float[] a, int ao, int ars, int aps, float[] b, int bo, int ldb,
            float[] c, int co, int ldc, boolean accumulate, float[] rowScale, int rso);

    /** The largest of x[o .. o+n) (−∞ when n is 0; NaN if one is NaN). */
    float max(float[] x, int o, int n);

    /** x[o+j] = exp(x[o+j] − shift) in place for j in [0, n); returns their sum. */
    float expSum(float[] x, int o, int n, float shift);
}
