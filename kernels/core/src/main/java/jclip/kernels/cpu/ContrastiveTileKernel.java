package jclip.kernels.cpu;

/**
 * How {@link ContrastiveLoss} reduces one tile of logits L [rows, cols] (row-major, rows {@code cols}
 * apart, in the scratch's tile): {@link ContrastiveScalarKernel} in double with Math.exp, on any
 * JVM, or {@code ContrastiveVectorKernel} in float vectors (jdk.incubator.vector), picked once like
 * Gemm's micro-kernel.
 */
interface ContrastiveTileKernel {
    /** Short description, e.g. for benchmarks. */
    String name();

    /**
     * Folds the tile's rows into the running row log-sum-exps {@code s.rowLse[0, rows)} and writes
     * each column's log-sum-exp over the tile's rows to {@code colParts[at + j]}.
     */
    void logSumExp(ContrastiveLoss.Scratch s, int rows, int cols, double[] colParts, int at);

    /**
     * Replaces the tile by G_ij = exp(L_ij − lseRows[r0 + i]) + exp(L_ij − lseCols[c0 + j]) −
     * 2·[j = i + label0] and returns Σ G_ij·L_ij.
     */
    double gradient(ContrastiveLoss.Scratch s, int rows, int cols, float[] lseRows, int r0, float[] lseCols, int c0,
            long label0);
}
