package jclip.kernels.cpu;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import jclip.kernels.GemmShape;

/**
 * Single-precision matrix multiply on the CPU, row-major like cblas {@code CblasRowMajor}.
 *
 * <p>Structure (after GotoBLAS/BLIS): C is cut into column blocks of at most NC columns. For each
 * block, all of op(B) (k rows) is packed once into the kernel's layout (for the Vector API kernel:
 * KC-deep slices of NR-wide panels); then every row block of at most MC rows runs through the KC
 * slices in turn: pack its MC x KC block of op(A), scaled by alpha, into MR-tall panels, and let the
 * {@link GemmMicroKernel} multiply it into C, one MR x NR register tile at a time. Packing makes
 * every load in the micro-kernel unit-stride whatever the transposes and leading dimensions are;
 * the B panel being worked on stays in L1/L2, the A block in L2 and the packed B block in L3.
 *
 * <p>Threads ({@link Parallel}): a large single product packs B with all cores, then shares out
 * units of (row block, column range), which one task per core pulls off a shared counter; each
 * worker packs its own A blocks, and there are only two hand-offs per column block. A batch of
 * small products is split over the batch instead, each product on one thread. Products (and batches) under
 * {@value #PARALLEL_MIN_WORK} multiply-adds stay on the calling thread, where a hand-off to the
 * pool would cost more than it saves.
 *
 * <p>The kernel is chosen once: the Vector API one ({@code GemmVectorKernel}) when the
 * {@code jdk.incubator.vector} module is in the boot layer and {@code -Djclip.vector=false} is not
 * set, otherwise the plain-Java one ({@link GemmScalarKernel}). {@link #implementation()} says
 * which.
 */
public final class Gemm {
    private Gemm() {}

    // Cache blocking, for the 4x16 AVX2 kernel on the 2-core AMD EPYC this was written on (32 KiB L1d
    // and 512 KiB L2 per core, 32 MiB L3 shared with other tenants). Measured with configurations
    // interleaved in one JVM, medians of samples taken while no other process ran (the machine is
    // shared, so differences under ~5% are noise); GFLOP/s:
    //  - KC = 1024: at 1024^3 on 2 threads 101-106 (KC 256), 97-107 (512), 105-109 (1024); at 2048^3
    //    100 / 107 / 111; at 1024^3 on 1 thread 57 / 64 / 62. Each micro-kernel call ends by loading
    //    and storing its C tile (4 scattered cache lines, often from L3, and Java has no prefetch), so
    //    a deeper slice amortises that over more FMAs. The 1024 x 16 B panel (64 KiB) then lives in
    //    L2 instead of L1, which costs nothing visible: the kernel needs ~20 of the ~32 bytes per
    //    cycle that L2 delivers. For CLIP (k = 64, 768, 3072) most products are a single slice.
    //  - MC = 144: 64, 96, 144 and 256 measured within noise of each other; rows are cut into equal
    //    blocks anyway (and into smaller ones when threads share them out, see computeParallel).
    //  - NC = 3072, and at most B_PACK_MAX floats of packed B: the packed block (k x nc) is shared
    //    by both cores from L3; NC 256 or a 1 MiB cap were ~10% slower (more hand-offs, A packed
    //    more often), and above that it made no difference.
    // (-Djclip.gemm.kc/mc/nc override them, for tuning on other machines.)
    static final int KC = Math.max(1, Integer.getInteger("jclip.gemm.kc", 1024));
    static final int MC = Math.max(1, Integer.getInteger("jclip.gemm.mc", 144));
    static final int NC = Math.max(1, Integer.getInteger("jclip.gemm.nc", 3072));

    /**
     * Below this many multiply-adds (about 320^3) a product, or a whole batch, runs on the calling
     * thread. A {@link Parallel#forRange} hand-off costs 20-50 us back to back and 70-150 us when the
     * pool has gone idle on this (virtualised) machine: measured, one thread beat two at 128^3 (49
     * vs 19 GFLOP/s), 192^3 (53 vs 39) and 256^3 (62 vs 53), and lost at 320^3 (44 vs 60).
     */
    static final long PARALLEL_MIN_WORK = 1L << 25;
    /** Units of work per thread in a parallel product (see computeParallel; 4, 8, 16 measured alike). */
    static final int UNITS_PER_THREAD = 8;
    /** Row blocks are not cut thinner than this to make more units. */
    static final int MIN_MC = 32;
    /** Below this many floats of op(B), the calling thread packs B alone (saves a hand-off). */
    static final long PARALLEL_PACK_MIN = 1L << 20;
    /** Most floats of packed op(B) held at once (8 MiB): bounds the column block when k is large. */
    static final int B_PACK_MAX = 1 << 21;
    /**
     * Products x·Wᵀ (B transposed, as a weight stored [out, in] is used) with at most this many rows
     * of C take the weight-stationary path ({@link #weightStationary}), which never packs B.
     */
    static final int WEIGHT_STATIONARY_MAX_M = Integer.getInteger("jclip.gemm.wsmax", 256);
    /** Floats of B's rows a weight-stationary block covers (kept in L2 while the packed x passes over it). */
    static final int WEIGHT_STATIONARY_BLOCK = 1 << 16;
    /** Below this many multiply-adds the product skips packing and runs as plain loops. */
    static final long DIRECT_MAX_WORK = 512;

    private static final GemmMicroKernel KERNEL = pickKernel();

    private static GemmMicroKernel pickKernel() {
        GemmMicroKernel vector = VectorKernels.enabled() ? VectorKernels.load(GemmMicroKernel.class, "GemmVectorKernel") : null;
        return vector != null ? vector : new GemmScalarKernel();
    }

    /** Which micro-kernel is active, e.g. "vector (jdk.incubator.vector, 256-bit, 4x16 micro-kernel)". */
    public static String implementation() {
        return KERNEL.name();
    }

    /** The active kernel (for tests and benchmarks in this package). */
    static GemmMicroKernel kernel() {
        return KERNEL;
    }

    /** The Vector API kernel, or null when the module is not in the boot layer (ignores jclip.vector). */
    static GemmMicroKernel vectorKernel() {
        if (KERNEL.getClass().getSimpleName().equals("GemmVectorKernel")) return KERNEL;
        return VectorKernels.load(GemmMicroKernel.class, "GemmVectorKernel");
    }

    /** The plain-Java kernel. */
    static GemmMicroKernel scalarKernel() {
        return KERNEL instanceof GemmScalarKernel ? KERNEL : new GemmScalarKernel();
    }

    /**
     * Batched {@code C_q = alpha * op(A_q) * op(B_q) + beta * C_q} for q in [0, batch), row-major.
     *
     * <p>op(A) is m x k: element (i, p) is {@code A_q[i*lda + p]}, or {@code A_q[p*lda + i]} when
     * {@code transA} (A stored k x m). op(B) is k x n: element (p, j) is {@code B_q[p*ldb + j]}, or
     * {@code B_q[j*ldb + p]} when {@code transB} (B stored n x k). C element (i, j) is
     * {@code C_q[i*ldc + j]}. {@code A_q} starts at {@code a[aOff + q*strideA]}, and likewise for B and
     * C; strideA and strideB may be 0 (the same matrix for every q), the C matrices must not overlap.
     * When {@code beta == 0} C is not read (NaN in C does not propagate); when {@code k == 0} or
     * {@code alpha == 0}, A and B are not read and C becomes {@code beta * C}.
     *
     * @throws IllegalArgumentException naming the argument, for negative sizes, offsets or strides,
     *         leading dimensions below the stored row length, or arrays too short for the last
     *         element touched
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
            float[] a, int aOff, int lda, int strideA,
            float[] b, int bOff, int ldb, int strideB,
            float beta, float[] c, int cOff, int ldc, int strideC, int batch) {
        sgemm(KERNEL, transA, transB, m, n, k, alpha, a, aOff, lda, strideA, b, bOff, ldb, strideB,
                beta, c, cOff, ldc, strideC, batch);
    }

    /** {@link #sgemm} with a given micro-kernel (tests run both kernels through this). */
    static void sgemm(GemmMicroKernel kernel, boolean transA, boolean transB, int m, int n, int k, float alpha,
            float[] a, int aOff, int lda, int strideA,
            float[] b, int bOff, int ldb, int strideB,
            float beta, float[] c, int cOff, int ldc, int strideC, int batch) {
        sgemm(kernel, PARALLEL_MIN_WORK, transA, transB, m, n, k, alpha, a, aOff, lda, strideA, b, bOff, ldb,
                strideB, beta, c, cOff, ldc, strideC, batch);
    }

    /**
     * One product (batch 1) of {@link #sgemm}, on the calling thread whatever its size: for callers
     * that already run one task per core over many products (ContrastiveLoss's tiles), where a
     * product forking onto the pool again would only add hand-offs. Same checks and semantics.
     */
    static void sgemmOnThisThread(boolean transA, boolean transB, int m, int n, int k, float alpha,
            float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        sgemm(KERNEL, Long.MAX_VALUE, transA, transB, m, n, k, alpha, a, aOff, lda, 0, b, bOff, ldb, 0,
                beta, c, cOff, ldc, 0, 1);
    }

    /**
     * {@link #sgemm} with a given kernel and threshold for going parallel (tests pass 0 to run the
     * parallel paths on small problems).
     */
    static void sgemm(GemmMicroKernel kernel, long parallelMinWork, boolean transA, boolean transB, int m, int n,
            int k, float alpha, float[] a, int aOff, int lda, int strideA,
            float[] b, int bOff, int ldb, int strideB,
            float beta, float[] c, int cOff, int ldc, int strideC, int batch) {
        validate(transA, transB, m, n, k, alpha, a, aOff, lda, strideA, b, bOff, ldb, strideB,
                c, cOff, ldc, strideC, batch);
        if (batch == 0 || m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f) {
            for (int q = 0; q < batch; q++) scaleC(m, n, beta, c, cOff + q * strideC, ldc);
            return;
        }
        long work = (long) m * n * k;
        if (batch == 1 || work * batch < parallelMinWork) {
            boolean fork = batch == 1 && work >= parallelMinWork;
            for (int q = 0; q < batch; q++) {
                single(kernel, transA, transB, m, n, k, alpha, a, aOff + q * strideA, lda,
                        b, bOff + q * strideB, ldb, beta, c, cOff + q * strideC, ldc, fork);
            }
            return;
        }
        int threads = Parallel.threads();
        boolean overBatch = batch >= 4 * threads || work < parallelMinWork
                || (batch >= threads && work < 4 * parallelMinWork);
        if (overBatch) {
            // Many products: one per task, each on one thread (no nested hand-offs).
            Parallel.forRange(batch, work, (from, to) -> {
                for (int q = from; q < to; q++) {
                    single(kernel, transA, transB, m, n, k, alpha, a, aOff + q * strideA, lda,
                            b, bOff + q * strideB, ldb, beta, c, cOff + q * strideC, ldc, false);
                }
            });
        } else {
            // Few large products: one after the other, each split over the threads.
            for (int q = 0; q < batch; q++) {
                single(kernel, transA, transB, m, n, k, alpha, a, aOff + q * strideA, lda,
                        b, bOff + q * strideB, ldb, beta, c, cOff + q * strideC, ldc, true);
            }
        }
    }

    /**
     * The CPU reference: the textbook triple loop, accumulating in double, with the same semantics,
     * argument checks and exceptions as {@link #sgemm}. Slow; for tests and for checking other
     * kernels (e.g. CUDA) against.
     */
    public static void reference(boolean transA, boolean transB, int m, int n, int k, float alpha,
            float[] a, int aOff, int lda, int strideA,
            float[] b, int bOff, int ldb, int strideB,
            float beta, float[] c, int cOff, int ldc, int strideC, int batch) {
        validate(transA, transB, m, n, k, alpha, a, aOff, lda, strideA, b, bOff, ldb, strideB,
                c, cOff, ldc, strideC, batch);
        for (int q = 0; q < batch; q++) {
            int ao = aOff + q * strideA, bo = bOff + q * strideB, co = cOff + q * strideC;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    if (alpha != 0f) {
                        for (int p = 0; p < k; p++) {
                            float av = transA ? a[ao + p * lda + i] : a[ao + i * lda + p];
                            float bv = transB ? b[bo + j * ldb + p] : b[bo + p * ldb + j];
                            s += (double) av * bv;
                        }
                    }
                    int ci = co + i * ldc + j;
                    double old = beta == 0f ? 0.0 : (double) beta * c[ci];
                    c[ci] = (float) ((double) alpha * s + old);
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Argument checks

    /** The sizes, leading dimensions and strides as {@link GemmShape} checks them, then offsets and array lengths. */
    private static void validate(boolean transA, boolean transB, int m, int n, int k, float alpha,
            float[] a, int aOff, int lda, int strideA,
            float[] b, int bOff, int ldb, int strideB,
            float[] c, int cOff, int ldc, int strideC, int batch) {
        GemmShape s = new GemmShape(transA, transB, m, n, k, lda, ldb, ldc, strideA, strideB, strideC, batch);
        if (aOff < 0) throw bad("aOff", aOff, "must be >= 0");
        if (bOff < 0) throw bad("bOff", bOff, "must be >= 0");
        if (cOff < 0) throw bad("cOff", cOff, "must be >= 0");
        if (s.isEmpty()) return;
        checkLength("c", c, cOff, strideC, batch, m, n, ldc);
        if (k == 0 || alpha == 0f) return; // A and B are not read
        checkLength("a", a, aOff, strideA, batch, s.aRows(), s.aCols(), lda);
        checkLength("b", b, bOff, strideB, batch, s.bRows(), s.bCols(), ldb);
    }

    private static void checkLength(String name, float[] x, int off, int stride, int batch, int rows, int cols, int ld) {
        if (x == null) throw new IllegalArgumentException(name + " is null");
        long last = off + (long) (batch - 1) * stride + (long) (rows - 1) * ld + (cols - 1);
        if (last >= x.length) {
            throw new IllegalArgumentException(name + " too short: length " + x.length + ", but the last element touched is at "
                    + last + " (" + name + "Off, stride" + Character.toUpperCase(name.charAt(0)) + ", ld" + name + ", batch and sizes)");
        }
        if (last > Integer.MAX_VALUE) throw new IllegalArgumentException(name + ": index overflows int");
    }

    private static IllegalArgumentException bad(String arg, int value, String why) {
        return new IllegalArgumentException(arg + " = " + value + ": " + why);
    }

    // ---------------------------------------------------------------------------------------------
    // One product

    /** C = beta * C over an m x n block (beta == 0 writes zeros without reading C). */
    private static void scaleC(int m, int n, float beta, float[] c, int co, int ldc) {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++) {
            int r = co + i * ldc;
            if (beta == 0f) {
                Arrays.fill(c, r, r + n, 0f);
            } else {
                for (int j = 0; j < n; j++) c[r + j] *= beta;
            }
        }
    }

    /** Per-thread buffers, grown on demand and kept for the thread's lifetime. */
    private static final class Scratch {
        float[] a = new float[0];
        GemmMicroKernel owner;
        GemmMicroKernel.PackedB b;
        Object work;
        boolean busy;
        /** The next level, for a nested multiply on the same thread while this one is busy. */
        Scratch next;

        /** Makes the kernel-specific buffers match {@code kernel} (tests alternate kernels). */
        Scratch forKernel(GemmMicroKernel kernel) {
            if (owner != kernel) {
                owner = kernel;
                b = kernel.newPackedB();
                work = kernel.newWorkspace();
            }
            return this;
        }

        float[] packA(int size) {
            if (a.length < size) a = new float[size];
            return a;
        }

        /** A block of Cᵀ for {@link #weightStationary}. */
        float[] t = new float[0];

        float[] transposed(int size) {
            if (t.length < size) t = new float[size];
            return t;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * This thread's first scratch that is not in use further up its stack: a pool worker that waits
     * in a nested fork/join may run another task that also multiplies (e.g. when sgemm is called
     * from inside a Parallel.forRange body). Each level is allocated once and then reused.
     */
    private static Scratch takeScratch(GemmMicroKernel kernel) {
        Scratch s = SCRATCH.get();
        while (s.busy) {
            if (s.next == null) s.next = new Scratch();
            s = s.next;
        }
        s.busy = true;
        return s.forKernel(kernel);
    }

    /**
     * One product. Columns are taken in blocks of at most NC (fewer when k is large, so that the
     * packed k x nc block stays under {@value #B_PACK_MAX} floats); for each block all of op(B) is
     * packed once (in KC-deep slices), then every MC-row block of C runs through all the slices:
     * pack the MC x KC block of op(A), multiply it into C. Rows are cut into equal blocks, as many
     * as a multiple of the thread count when the row blocks are shared out, so no thread is left
     * with a short last block.
     */
    private static void single(GemmMicroKernel kernel, boolean transA, boolean transB, int m, int n, int k, float alpha,
            float[] a, int ao, int lda, float[] b, int bo, int ldb, float beta, float[] c, int co, int ldc,
            boolean mayFork) {
        long work = (long) m * n * k;
        if (work <= DIRECT_MAX_WORK) {
            direct(transA, transB, m, n, k, alpha, a, ao, lda, b, bo, ldb, beta, c, co, ldc);
            return;
        }
        int threads = Parallel.threads();
        boolean parallel = mayFork && threads > 1;
        if (weightStationary(transB, alpha, m, n, k)) {
            weightStationary(kernel, transA, m, n, k, a, ao, lda, b, bo, ldb, beta, c, co, ldc, parallel);
            return;
        }
        int mr = kernel.mr(), nr = kernel.nr();
        int ncMax = Math.max(nr, Math.min(NC, B_PACK_MAX / k) / nr * nr);
        int mBlocks = (m + MC - 1) / MC;
        if (parallel) {
            // Enough row blocks (down to MIN_MC rows) for UNITS_PER_THREAD per thread, a multiple of the
            // thread count, so that no thread is left with a short last block.
            mBlocks = Math.max(mBlocks, Math.min((m + MIN_MC - 1) / MIN_MC, UNITS_PER_THREAD * threads));
            mBlocks = (mBlocks + threads - 1) / threads * threads;
        }
        int mc = Math.min(roundUp(m, mr), roundUp((m + mBlocks - 1) / mBlocks, mr));
        Scratch s = takeScratch(kernel);
        try {
            GemmMicroKernel.PackedB bp = s.b;
            for (int jc = 0; jc < n; jc += ncMax) {
                int nc = Math.min(ncMax, n - jc);
                int nUnits = (nc + nr - 1) / nr;
                bp.reserve(k, nc);
                if (parallel) {
                    if ((long) k * nc >= PARALLEL_PACK_MIN) {
                        final int jcF = jc;
                        Parallel.forRange(nUnits, (long) k * nr,
                                (from, to) -> bp.pack(transB, b, bo, ldb, k, KC, jcF, nc, from, to));
                    } else {
                        bp.pack(transB, b, bo, ldb, k, KC, jc, nc, 0, nUnits);
                    }
                    computeParallel(kernel, transA, a, ao, lda, alpha, m, mc, k, nc, bp, beta, c, co + jc, ldc);
                } else {
                    bp.pack(transB, b, bo, ldb, k, KC, jc, nc, 0, nUnits);
                    float[] ap = s.packA(mc * Math.min(KC, k));
                    for (int ic = 0; ic < m; ic += mc) {
                        rowBlock(kernel, transA, a, ao, lda, alpha, ic, Math.min(mc, m - ic), k, ap, bp, 0, nc,
                                beta, c, co + jc, ldc, s.work);
                    }
                }
            }
        } finally {
            s.busy = false;
        }
    }

    /**
     * Whether a product takes {@link #weightStationary}: measured against the packed path at
     * ViT-B/32's shapes (k 768 and 3,072, n 768 to 3,072, 2 threads), 2.0-2.6 times as fast at 50
     * rows, 1.4 at 100, 1.2 at 200, even near 300, and 0.8-0.9 at 800.
     */
    private static boolean weightStationary(boolean transB, float alpha, int m, int n, int k) {
        return transB && alpha == 1f && m <= WEIGHT_STATIONARY_MAX_M && m <= n && (long) k * m <= B_PACK_MAX;
    }

    /**
     * C = x·Wᵀ (+ beta·C) for few rows of x, computed as its transpose W·xᵀ. Packing B (the weight,
     * n x k, a transposing copy of every element) costs as much as the multiply-adds of a 50-row
     * product, and packing x once per column range adds more; here the roles swap: W's rows are the
     * kernel's broadcast operand, read in place, and x (m x k, small) is packed once as its B panels.
     * Blocks of W's rows are shared out over the threads; each block of Cᵀ goes to a scratch and is
     * transposed into C's columns, slice by slice with the beta the packed path would use, so every
     * element is the same FMA chain in the same order: the result equals the packed path's bit for bit.
     */
    private static void weightStationary(GemmMicroKernel kernel, boolean transA, int m, int n, int k, float[] a,
            int ao, int lda, float[] w, int wo, int ldw, float beta, float[] c, int co, int ldc, boolean parallel) {
        int mr = kernel.mr();
        int kcMax = Math.min(KC, k);
        int rows = Math.max(mr, Math.min(roundUp(n, mr), WEIGHT_STATIONARY_BLOCK / kcMax / mr * mr));
        int blocks = (n + rows - 1) / rows;
        Scratch s = takeScratch(kernel);
        try {
            GemmMicroKernel.PackedB xp = s.b;
            xp.reserve(k, m);
            // op(x)ᵀ as the kernel's B: element (p, i) is op(x)(i, p).
            xp.pack(!transA, a, ao, lda, k, KC, 0, m, 0, (m + kernel.nr() - 1) / kernel.nr());
            Parallel.RangeBody body = (from, to) -> {
                Scratch ws = takeScratch(kernel);
                try {
                    float[] t = ws.transposed(rows * m), pack = ws.packA(roundUp(rows, mr) * kcMax);
                    for (int blk = from; blk < to; blk++) {
                        int j0 = blk * rows, nj = Math.min(rows, n - j0);
                        for (int pc = 0; pc < k; pc += KC) {
                            int kc = Math.min(KC, k - pc);
                            kernel.multiplyUnpackedA(nj, kc, 0, m, w, wo + j0 * ldw + pc, ldw, xp, pc, 0f, t, 0, m,
                                    ws.work, pack);
                            float sliceBeta = pc == 0 ? beta : 1f;
                            for (int i = 0; i < m; i++) {
                                int ci = co + i * ldc + j0;
                                if (sliceBeta == 0f) {
                                    for (int r = 0; r < nj; r++) c[ci + r] = t[r * m + i];
                                } else {
                                    for (int r = 0; r < nj; r++) c[ci + r] = Math.fma(sliceBeta, c[ci + r], t[r * m + i]);
                                }
                            }
                        }
                    }
                } finally {
                    ws.busy = false;
                }
            };
            if (parallel && blocks > 1) Parallel.forRange(blocks, (long) rows * m * k, body);
            else body.run(0, blocks);
        } finally {
            s.busy = false;
        }
    }

    /**
     * Rows [ic, ic+mc) x columns [j0, j1) of the current column block (whose first column is
     * {@code c[co]}), through all KC slices of k.
     */
    private static void rowBlock(GemmMicroKernel kernel, boolean transA, float[] a, int ao, int lda, float alpha,
            int ic, int mc, int k, float[] ap, GemmMicroKernel.PackedB bp, int j0, int j1, float beta,
            float[] c, int co, int ldc, Object work) {
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            packA(transA, a, ao, lda, ic, mc, pc, kc, alpha, kernel.mr(), ap);
            kernel.multiply(mc, kc, j0, j1, ap, bp, pc, pc == 0 ? beta : 1f, c, co + ic * ldc, ldc, work);
        }
    }

    /**
     * One column block, split over the pool: units are (row block, column range) pairs, row-block
     * major, at least {@value #UNITS_PER_THREAD} per thread (column ranges are added when there are
     * too few row blocks). One task per thread pulls units off a shared counter until none are left,
     * so a thread that starts late or runs slow (another process on its core) simply takes fewer.
     * The packed B block is shared; each unit packs its own A blocks.
     */
    private static void computeParallel(GemmMicroKernel kernel, boolean transA, float[] a, int ao, int lda,
            float alpha, int m, int mc, int k, int nc, GemmMicroKernel.PackedB bp, float beta, float[] c, int co,
            int ldc) {
        int nr = kernel.nr();
        int threads = Parallel.threads();
        int mBlocks = (m + mc - 1) / mc;
        int nUnits = (nc + nr - 1) / nr;
        int nParts = Math.min(nUnits, Math.max(1, (UNITS_PER_THREAD * threads + mBlocks - 1) / mBlocks));
        int units = mBlocks * nParts;
        AtomicInteger next = new AtomicInteger();
        int workers = Math.min(threads, units);
        long costPerWorker = (long) m * nc * k / workers;
        Parallel.forRange(workers, costPerWorker, (from, to) -> {
            Scratch s = takeScratch(kernel);
            try {
                float[] ap = s.packA(mc * Math.min(KC, k));
                for (int u = next.getAndIncrement(); u < units; u = next.getAndIncrement()) {
                    int ic = (u / nParts) * mc, part = u % nParts;
                    int u0 = (int) ((long) nUnits * part / nParts), u1 = (int) ((long) nUnits * (part + 1) / nParts);
                    rowBlock(kernel, transA, a, ao, lda, alpha, ic, Math.min(mc, m - ic), k, ap, bp,
                            u0 * nr, Math.min(nc, u1 * nr), beta, c, co, ldc, s.work);
                }
            } finally {
                s.busy = false;
            }
        });
    }

    /**
     * Packs rows [ic, ic+mc) x columns [pc, pc+kc) of op(A), times alpha, into MR-tall panels:
     * panel t holds rows ic+t*MR.., element (r, p) at {@code ap[t*MR*kc + p*MR + r]}; rows past mc
     * are zero.
     */
    static void packA(boolean transA, float[] a, int ao, int lda, int ic, int mc, int pc, int kc,
            float alpha, int mr, float[] ap) {
        for (int ir = 0; ir < mc; ir += mr) {
            int mrr = Math.min(mr, mc - ir);
            int dst = ir * kc;
            if (!transA) {
                // A(i, p) = a[ao + i*lda + p]: each row is contiguous in p. The panel is written in
                // order, one column (mr rows) per step, reading mr rows side by side; a row at a time
                // wrote with a stride of mr floats and was up to three times slower.
                int src = ao + (ic + ir) * lda + pc;
                if (mr == 4 && mrr == 4) {
                    for (int p = 0, d = dst; p < kc; p++, d += 4) {
                        ap[d] = alpha * a[src + p];
                        ap[d + 1] = alpha * a[src + lda + p];
                        ap[d + 2] = alpha * a[src + 2 * lda + p];
                        ap[d + 3] = alpha * a[src + 3 * lda + p];
                    }
                } else if (mr == 8 && mrr == 8) {
                    // The AVX-512 tile's height, written out as the 4-row case is: the generic loop
                    // below took 11 % of encodeImage's samples, against 7 % for packing B.
                    int s1 = src + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda, s6 = s5 + lda, s7 = s6 + lda;
                    for (int p = 0, d = dst; p < kc; p++, d += 8) {
                        ap[d] = alpha * a[src + p];
                        ap[d + 1] = alpha * a[s1 + p];
                        ap[d + 2] = alpha * a[s2 + p];
                        ap[d + 3] = alpha * a[s3 + p];
                        ap[d + 4] = alpha * a[s4 + p];
                        ap[d + 5] = alpha * a[s5 + p];
                        ap[d + 6] = alpha * a[s6 + p];
                        ap[d + 7] = alpha * a[s7 + p];
                    }
                } else {
                    for (int p = 0; p < kc; p++) {
                        for (int r = 0; r < mrr; r++) ap[dst + p * mr + r] = alpha * a[src + r * lda + p];
                    }
                }
            } else if (mrr == 8) {
                // As below, unrolled for the AVX-512 tile (the loop took 9 % of a Fashion-MNIST step:
                // the weight gradients' products read their A transposed).
                for (int p = 0; p < kc; p++) {
                    int src = ao + (pc + p) * lda + ic + ir;
                    int d = dst + p * mr;
                    ap[d] = alpha * a[src];
                    ap[d + 1] = alpha * a[src + 1];
                    ap[d + 2] = alpha * a[src + 2];
                    ap[d + 3] = alpha * a[src + 3];
                    ap[d + 4] = alpha * a[src + 4];
                    ap[d + 5] = alpha * a[src + 5];
                    ap[d + 6] = alpha * a[src + 6];
                    ap[d + 7] = alpha * a[src + 7];
                }
            } else {
                // A(i, p) = a[ao + p*lda + i]: each column p is contiguous in i.
                for (int p = 0; p < kc; p++) {
                    int src = ao + (pc + p) * lda + ic + ir;
                    int d = dst + p * mr;
                    for (int r = 0; r < mrr; r++) ap[d + r] = alpha * a[src + r];
                }
            }
            if (mrr < mr) {
                for (int p = 0; p < kc; p++) {
                    for (int r = mrr; r < mr; r++) ap[dst + p * mr + r] = 0f;
                }
            }
        }
    }

    /** Tiny products: plain loops, no packing. */
    private static void direct(boolean transA, boolean transB, int m, int n, int k, float alpha,
            float[] a, int ao, int lda, float[] b, int bo, int ldb, float beta, float[] c, int co, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[ao + p * lda + i] : a[ao + i * lda + p];
                    float bv = transB ? b[bo + j * ldb + p] : b[bo + p * ldb + j];
                    s = Math.fma(av, bv, s);
                }
                int ci = co + i * ldc + j;
                c[ci] = beta == 0f ? alpha * s : Math.fma(beta, c[ci], alpha * s);
            }
        }
    }

    private static int roundUp(int x, int multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }
}
