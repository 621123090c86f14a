package jclip.kernels.cpu;

/**
 * The compute core of {@link Gemm}: how a KC-deep slice of op(B) is packed, and how a packed block
 * of op(A) times that packed slice is merged into C. Gemm owns everything around it (argument
 * checks, the blocking loops, packing A, threads, scratch buffers) and picks one implementation at
 * class initialisation.
 *
 * <p>Packed A (written by Gemm, the same for every kernel): the block is cut into MR-row panels;
 * panel t starts at {@code t*MR*kc}, and its element (r, p) is at {@code t*MR*kc + p*MR + r}. Rows
 * past the end of the block are zero, so a kernel may always compute MR rows but must store only
 * the valid ones.
 */
interface GemmMicroKernel {
    /** Rows per packed A panel. */
    int mr();

    /** Column granularity of the work split: column ranges given to {@link #multiply} start at multiples of this. */
    int nr();

    /** Short description for {@link Gemm#implementation()}. */
    String name();

    /** A new, empty packed-B buffer for this kernel (Gemm keeps one per thread and reuses it). */
    PackedB newPackedB();

    /** New per-thread working memory for {@link #multiply} (Gemm keeps one per thread). */
    Object newWorkspace();

    /**
     * {@code C[i][j] = beta*C[i][j] + sum_p A[i][p]*B[p][j]} for i in [0, mc), j in [j0, j1), where A
     * is the packed block {@code ap} (mc rows, kc deep, layout above), B the slice of {@code b} that
     * starts at row {@code pc} (kc deep), and C's
     * (0, 0) is {@code c[co]} with rows {@code ldc} apart (column j is {@code c[co + j]}). When
     * {@code beta == 0}, C is written without being read. {@code kc >= 1}, {@code j0} is a multiple
     * of {@link #nr()}.
     */
    void multiply(int mc, int kc, int j0, int j1, float[] ap, PackedB b, int pc, float beta, float[] c, int co,
            int ldc, Object workspace);

    /**
     * {@link #multiply} with the block of A read where it lies instead of packed: row i, element p
     * of the slice, is {@code a[ao + i*lda + p]}; the result is the same bit for bit. This default
     * packs the block into {@code packScratch} (at least mc rounded up to MR, times kc) and
     * multiplies; a kernel that can broadcast from A's rows directly overrides it.
     */
    default void multiplyUnpackedA(int mc, int kc, int j0, int j1, float[] a, int ao, int lda, PackedB b, int pc,
            float beta, float[] c, int co, int ldc, Object workspace, float[] packScratch) {
        Gemm.packA(false, a, ao, lda, 0, mc, 0, kc, 1f, mr(), packScratch);
        multiply(mc, kc, j0, j1, packScratch, b, pc, beta, c, co, ldc, workspace);
    }

    /**
     * Storage for all k rows of columns [jc, jc+nc) of op(B), in the kernel's own layout, cut into
     * slices of {@code kcBlock} rows (the last one shorter) that {@link #multiply} takes one at a time.
     */
    interface PackedB {
        /** Sets the shape of the block about to be packed, growing the storage if needed. */
        void reserve(int k, int nc);

        /**
         * Packs columns [from*NR, min(nc, to*NR)) (relative to jc, NR being {@link #nr()}) of all k rows of
         * op(B), where op(B)(p, j) is {@code b[bo + p*ldb + j]}, or {@code b[bo + j*ldb + p]} when
         * {@code transB}. Disjoint column ranges may be packed concurrently.
         */
        void pack(boolean transB, float[] b, int bo, int ldb, int k, int kcBlock, int jc, int nc, int from, int to);
    }
}
