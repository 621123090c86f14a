package jclip.kernels;

/**
 * Sizes and layout of one row-major batched GEMM, C_q = alpha·op(A_q)·op(B_q) + beta·C_q for q in
 * [0, batch): op(A) is m x k, op(B) is k x n, C is m x n (see jclip.kernels.cpu.Gemm for the element
 * addressing). A is stored k x m when {@code transA}, else m x k; B is stored n x k when
 * {@code transB}, else k x n. {@code lda}, {@code ldb} and {@code ldc} are the row lengths of the
 * stored matrices, and {@code strideA}, {@code strideB}, {@code strideC} the distance between batch
 * members (0 for A or B: the same matrix for every member). Offsets, alpha and beta go with the
 * buffers: one layout serves several calls that differ only in where and how much they accumulate.
 */
public record GemmShape(boolean transA, boolean transB, int m, int n, int k, int lda, int ldb, int ldc,
        int strideA, int strideB, int strideC, int batch) {
    public GemmShape {
        if (m < 0) throw bad("m", m, "must be >= 0");
        if (n < 0) throw bad("n", n, "must be >= 0");
        if (k < 0) throw bad("k", k, "must be >= 0");
        if (batch < 0) throw bad("batch", batch, "must be >= 0");
        int aCols = transA ? m : k, bCols = transB ? k : n;
        if (lda < Math.max(1, aCols)) throw bad("lda", lda, "must be >= max(1, " + aCols + ") (row length of stored A)");
        if (ldb < Math.max(1, bCols)) throw bad("ldb", ldb, "must be >= max(1, " + bCols + ") (row length of stored B)");
        if (ldc < Math.max(1, n)) throw bad("ldc", ldc, "must be >= max(1, n = " + n + ")");
        if (strideA < 0) throw bad("strideA", strideA, "must be >= 0");
        if (strideB < 0) throw bad("strideB", strideB, "must be >= 0");
        if (strideC < 0) throw bad("strideC", strideC, "must be >= 0");
        if (batch > 1 && m > 0 && n > 0) {
            long cExtent = (long) (m - 1) * ldc + n;
            if (strideC < cExtent)
                throw bad("strideC", strideC, "must be >= " + cExtent + " so that the " + batch + " C matrices do not overlap");
        }
    }

    /** One product of densely stored matrices: every leading dimension is its stored row length. */
    public static GemmShape of(boolean transA, boolean transB, int m, int n, int k) {
        return new GemmShape(transA, transB, m, n, k, Math.max(1, transA ? m : k), Math.max(1, transB ? k : n),
                Math.max(1, n), 0, 0, 0, 1);
    }

    /** The same matrices, {@code batch} of each at these strides. */
    public GemmShape withBatch(int batch, int strideA, int strideB, int strideC) {
        return new GemmShape(transA, transB, m, n, k, lda, ldb, ldc, strideA, strideB, strideC, batch);
    }

    /** Rows of stored A (k when transposed, else m); its row length is {@link #lda}'s lower bound. */
    public int aRows() {
        return transA ? k : m;
    }

    public int aCols() {
        return transA ? m : k;
    }

    /** Rows of stored B (n when transposed, else k). */
    public int bRows() {
        return transB ? n : k;
    }

    public int bCols() {
        return transB ? k : n;
    }

    /** Whether C has no elements, so that nothing is read or written. */
    public boolean isEmpty() {
        return m == 0 || n == 0 || batch == 0;
    }

    private static IllegalArgumentException bad(String field, int value, String why) {
        return new IllegalArgumentException(field + " = " + value + ": " + why);
    }
}
