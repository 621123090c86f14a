package jclip.kernels.cpu;

import java.util.Arrays;

/**
 * The symmetric contrastive loss's kernels over the logits L = scale·a·bᵀ (see
 * jclip.kernels.Kernels#contrastiveLogSumExp and #contrastiveBackward): the reference, which
 * accumulates in double one logit at a time, and the fast path that CpuKernels runs.
 *
 * <p>The fast path never holds more of L than one tile per thread. Each tile's logits come from
 * {@link Gemm}'s single-threaded entry (the tiles are the parallel work, so a product never forks
 * again), and are then reduced tile by tile:
 *
 * <ul>
 *   <li>forward: one task per row tile walks every column tile, keeping each row's log-sum-exp
 *       online and writing each column's log-sum-exp over the row tile to a partials array
 *       [rowTiles, m] (O(n·m / tile) doubles), which is merged column by column in row-tile order
 *       after the parallel loop, so the result does not depend on the thread count or schedule;
 *   <li>backward: each tile's logits again, G in place of them, then ga_rows += G·b_cols and
 *       gb_cols += Gᵀ·a_rows as two more tile products. Tiles run in steps in which no two share a
 *       row tile or a column tile (step s takes the tiles (r, c) with (c − r) mod max(R, C) = s), so
 *       every ga and gb row has one writer at a time and sums its tiles in the same order on every
 *       run: three products per tile, where owning ga and gb in two separate passes would take four.
 * </ul>
 *
 * <p>Each tile is reduced by a {@link ContrastiveTileKernel}, picked once as Gemm picks its
 * micro-kernel: in float vectors ({@code ContrastiveVectorKernel}) when the jdk.incubator.vector
 * module is in the boot layer and {@code -Djclip.vector=false} is not set, otherwise in double with
 * Math.exp ({@link ContrastiveScalarKernel}).
 */
public final class ContrastiveLoss {
    private ContrastiveLoss() {}

    /**
     * Tile shape: a forward tile of 256 x 512 floats (512 KiB), a backward one of 256 x 256, each
     * in L2 while it is reduced and its products (k = d, or 256) running at the micro-kernel's full
     * speed; row tiles are cut thinner when there would be fewer of them than threads. Measured at
     * n = m = 4096, d = 512 on the 2-core build machine (shared, so only the quietest of several
     * runs count), ms per call with the vector tile kernel: forward 256 x 512 143-150, 256 x 1024
     * 140, 256 x 256 148-152, 128 x 512 165-169; backward 256 x 256 460-503, 256 x 512 436-487,
     * 128 x 256 487-540, 128 x 128 554-564. The sgemm of all 4096² logits alone took 110 ms; the
     * backward's three products per tile would take 330. (With the scalar kernel: forward 200,
     * backward 512.) Square backward tiles keep more tiles per step for more threads.
     */
    static final int ROW_TILE = 256, COL_TILE = 512, BACKWARD_TILE = 256;

    static final ContrastiveTileKernel SCALAR = new ContrastiveScalarKernel();
    private static final ContrastiveTileKernel KERNEL = pickKernel();

    private static ContrastiveTileKernel pickKernel() {
        ContrastiveTileKernel vector = VectorKernels.enabled() ? vectorKernel() : null;
        return vector != null ? vector : SCALAR;
    }

    /** The Vector API tile kernel, or null when the module is not in the boot layer. */
    static ContrastiveTileKernel vectorKernel() {
        return VectorKernels.load(ContrastiveTileKernel.class, "ContrastiveVectorKernel");
    }

    /** Which tile kernel is active. */
    public static String implementation() {
        return KERNEL.name();
    }

    public static void logSumExp(float[] a, int ao, float[] b, int bo, int n, int m, int d, float scale,
            float[] lseRows, float[] lseCols) {
        logSumExp(KERNEL, a, ao, b, bo, n, m, d, scale, lseRows, lseCols, 0, 0);
    }

    public static void backward(float[] a, int ao, float[] b, int bo, int n, int m, int d, float scale,
            float[] lseRows, float[] lseCols, int diagonalOffset, float coefficient, float[] ga, float[] gb, float[] gScale) {
        backward(KERNEL, a, ao, b, bo, n, m, d, scale, lseRows, lseCols, diagonalOffset, coefficient, ga, gb, gScale, 0, 0);
    }

    /** Rows of a tile: at most max, fewer so that each thread gets a tile, a multiple of 16 (the micro-kernel's widths) unless count is less. */
    static int tile(int count, int max) {
        int perThread = (int) (((long) count + Parallel.threads() - 1) / Parallel.threads());
        return Math.max(1, Math.min(Math.min(max, count), (perThread + 15) / 16 * 16));
    }

    /**
     * {@link #logSumExp} with a given tile kernel and tiles of tr x tc (tests use small ones to cross
     * many tile edges); 0 takes the default size.
     */
    static void logSumExp(ContrastiveTileKernel kernel, float[] a, int ao, float[] b, int bo, int n, int m, int d, float scale,
            float[] lseRows, float[] lseCols, int rowTile, int colTile) {
        int tr = rowTile > 0 ? rowTile : tile(n, ROW_TILE), tc = colTile > 0 ? colTile : Math.min(COL_TILE, Math.max(1, m));
        String op = "contrastiveLogSumExp";
        checkOperands(op, a, ao, b, bo, n, m, d);
        need(op, "lseRows", lseRows, 0, n);
        need(op, "lseCols", lseCols, 0, m);
        if (n == 0 || m == 0) {
            Arrays.fill(lseRows, 0, n, Float.NEGATIVE_INFINITY);
            Arrays.fill(lseCols, 0, m, Float.NEGATIVE_INFINITY);
            return;
        }
        int rowTiles = ceilDiv(n, tr), ld = Math.max(1, d);
        // Each row tile's log-sum-exp of each column, [rowTiles, m].
        double[] colParts = new double[Math.multiplyExact(rowTiles, m)];
        Parallel.forRange(rowTiles, (long) tr * m * Math.max(1, d), (from, to) -> {
            Scratch s = Scratch.take(tr, tc);
            try {
                for (int r = from; r < to; r++) {
                    int i0 = r * tr, rows = Math.min(tr, n - i0);
                    Arrays.fill(s.rowLse, 0, rows, Double.NEGATIVE_INFINITY);
                    for (int j0 = 0; j0 < m; j0 += tc) {
                        int cols = Math.min(tc, m - j0);
                        Gemm.sgemmOnThisThread(false, true, rows, cols, d, scale, a, ao + i0 * d, ld, b, bo + j0 * d, ld,
                                0f, s.tile, 0, cols);
                        kernel.logSumExp(s, rows, cols, colParts, r * m + j0);
                    }
                    for (int i = 0; i < rows; i++) lseRows[i0 + i] = (float) s.rowLse[i];
                }
            } finally {
                s.busy = false;
            }
        });
        Parallel.forRange(m, 2L * rowTiles, (from, to) -> {
            for (int j = from; j < to; j++) {
                double hi = Double.NEGATIVE_INFINITY;
                for (int r = 0; r < rowTiles; r++) hi = Math.max(hi, colParts[r * m + j]);
                if (hi == Double.NEGATIVE_INFINITY) {
                    lseCols[j] = Float.NEGATIVE_INFINITY;
                    continue;
                }
                double sum = 0;
                for (int r = 0; r < rowTiles; r++) sum += Math.exp(colParts[r * m + j] - hi);
                lseCols[j] = (float) (hi + Math.log(sum));
            }
        });
    }

    /** log(e^x + e^y), exact for -inf operands. */
    static double logAddExp(double x, double y) {
        if (x == Double.NEGATIVE_INFINITY) return y;
        if (y == Double.NEGATIVE_INFINITY) return x;
        double hi = Math.max(x, y), lo = Math.min(x, y);
        return hi + Math.log1p(Math.exp(lo - hi));
    }

    /** {@link #backward} with a given tile kernel and tiles of tr x tc; 0 takes the default size. */
    static void backward(ContrastiveTileKernel kernel, float[] a, int ao, float[] b, int bo, int n, int m, int d, float scale,
            float[] lseRows, float[] lseCols, int diagonalOffset, float coefficient, float[] ga, float[] gb, float[] gScale,
            int rowTile, int colTile) {
        int tr = rowTile > 0 ? rowTile : tile(n, BACKWARD_TILE);
        // Without gb the row tiles are the only parallel work, and column tiles need not be cut for threads.
        int tc = colTile > 0 ? colTile : gb == null ? Math.min(COL_TILE, Math.max(1, m)) : tile(m, BACKWARD_TILE);
        String op = "contrastiveBackward";
        checkOperands(op, a, ao, b, bo, n, m, d);
        need(op, "lseRows", lseRows, 0, n);
        need(op, "lseCols", lseCols, 0, m);
        need(op, "ga", ga, 0, (long) n * d);
        if (gb != null) need(op, "gb", gb, 0, (long) m * d);
        need(op, "gScale", gScale, 0, 1);
        Arrays.fill(ga, 0, n * d, 0f);
        if (gb != null) Arrays.fill(gb, 0, m * d, 0f);
        int rowTiles = n == 0 ? 0 : ceilDiv(n, tr), colTiles = m == 0 ? 0 : ceilDiv(m, tc);
        // Σ G·L of each row tile (one writer per step), summed in row-tile order at the end.
        double[] scaleParts = new double[rowTiles];
        Tiles tiles = new Tiles(kernel, a, ao, b, bo, n, m, d, scale, lseRows, lseCols, diagonalOffset,
                (float) ((double) coefficient * scale), ga, gb, scaleParts, tr, tc);
        long cost = (long) tr * tc * Math.max(1, d) * (gb == null ? 2 : 3);
        if (rowTiles > 0 && colTiles > 0) {
            if (gb == null) {
                Parallel.forRange(rowTiles, cost * colTiles, (from, to) -> {
                    Scratch s = Scratch.take(tr, tc);
                    try {
                        for (int r = from; r < to; r++)
                            for (int c = 0; c < colTiles; c++) tiles.backward(s, r, c);
                    } finally {
                        s.busy = false;
                    }
                });
            } else {
                int steps = Math.max(rowTiles, colTiles), perStep = Math.min(rowTiles, colTiles);
                for (int step = 0; step < steps; step++) {
                    int st = step;
                    Parallel.forRange(perStep, cost, (from, to) -> {
                        Scratch s = Scratch.take(tr, tc);
                        try {
                            for (int q = from; q < to; q++) {
                                if (rowTiles <= colTiles) tiles.backward(s, q, (q + st) % colTiles);
                                else tiles.backward(s, Math.floorMod(q - st, rowTiles), q);
                            }
                        } finally {
                            s.busy = false;
                        }
                    });
                }
            }
        }
        double total = 0;
        for (double part : scaleParts) total += part;
        gScale[0] = (float) (coefficient * total);
    }

    /** One backward call's operands, and the work of one tile. */
    private record Tiles(ContrastiveTileKernel kernel, float[] a, int ao, float[] b, int bo, int n, int m, int d, float scale, float[] lseRows,
            float[] lseCols, int diagonalOffset, float factor, float[] ga, float[] gb, double[] scaleParts, int tr, int tc) {

        /** Tile (r, c): its logits, G in their place, then ga and gb += factor·G·b, factor·Gᵀ·a. */
        void backward(Scratch s, int r, int c) {
            int i0 = r * tr, rows = Math.min(tr, n - i0), j0 = c * tc, cols = Math.min(tc, m - j0), ld = Math.max(1, d);
            float[] t = s.tile;
            Gemm.sgemmOnThisThread(false, true, rows, cols, d, scale, a, ao + i0 * d, ld, b, bo + j0 * d, ld, 0f, t, 0, cols);
            scaleParts[r] += kernel.gradient(s, rows, cols, lseRows, i0, lseCols, j0, (long) i0 + diagonalOffset - j0);
            if (d == 0) return;
            Gemm.sgemmOnThisThread(false, false, rows, d, cols, factor, t, 0, cols, b, bo + j0 * d, d, 1f, ga, i0 * d, d);
            if (gb != null)
                Gemm.sgemmOnThisThread(true, false, cols, d, rows, factor, t, 0, cols, a, ao + i0 * d, d, 1f, gb, j0 * d, d);
        }
    }

    /** A thread's tile and row and column vectors, grown on demand and kept for the thread's lifetime. */
    static final class Scratch {
        float[] tile = new float[0];
        double[] rowLse = new double[0], colSum = new double[0], colMax = new double[0];
        float[] rowMaxF = new float[0], colMaxF = new float[0], colSumF = new float[0];
        /** One vector's lanes, for summing them in a fixed order. */
        final float[] lanes = new float[64];
        boolean busy;
        /** The next level, for a call on a thread whose scratch is in use further up its stack. */
        Scratch next;

        private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

        static Scratch take(int tr, int tc) {
            Scratch s = SCRATCH.get();
            while (s.busy) {
                if (s.next == null) s.next = new Scratch();
                s = s.next;
            }
            s.busy = true;
            if (s.tile.length < tr * tc) s.tile = new float[tr * tc];
            if (s.rowLse.length < tr) {
                s.rowLse = new double[tr];
                s.rowMaxF = new float[tr];
            }
            if (s.colSum.length < tc) {
                s.colSum = new double[tc];
                s.colMax = new double[tc];
                s.colMaxF = new float[tc];
                s.colSumF = new float[tc];
            }
            return s;
        }
    }

    private static int ceilDiv(int x, int y) {
        return (int) (((long) x + y - 1) / y);
    }

    private static void checkOperands(String op, float[] a, int ao, float[] b, int bo, int n, int m, int d) {
        if (n < 0 || m < 0 || d < 0) throw new IllegalArgumentException(op + ": negative size (n " + n + ", m " + m + ", d " + d + ")");
        need(op, "a", a, ao, (long) n * d);
        need(op, "b", b, bo, (long) m * d);
    }

    private static void need(String op, String name, float[] x, long offset, long count) {
        if (x == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        if (offset < 0 || offset + count > x.length)
            throw new IllegalArgumentException(op + ": " + name + " needs elements [" + offset + ", " + (offset + count)
                    + ") of an array of " + x.length);
    }

    private static double logit(float[] a, int ao, float[] b, int bo, int d, float scale, int i, int j) {
        double dot = 0;
        for (int c = 0; c < d; c++) dot += (double) a[ao + i * d + c] * b[bo + j * d + c];
        return scale * dot;
    }

    public static void logSumExpReference(float[] a, int ao, float[] b, int bo, int n, int m, int d, float scale,
            float[] lseRows, float[] lseCols) {
        double[] logits = new double[m];
        double[] colMax = new double[m], colSum = new double[m];
        java.util.Arrays.fill(colMax, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < m; j++) max = Math.max(max, logits[j] = logit(a, ao, b, bo, d, scale, i, j));
            double sum = 0;
            for (int j = 0; j < m; j++) {
                sum += Math.exp(logits[j] - max);
                // Online column log-sum-exp: rescale the running sum when the column's maximum grows.
                if (logits[j] > colMax[j]) {
                    colSum[j] = colSum[j] * Math.exp(colMax[j] - logits[j]) + 1;
                    colMax[j] = logits[j];
                } else {
                    colSum[j] += Math.exp(logits[j] - colMax[j]);
                }
            }
            lseRows[i] = (float) (max + Math.log(sum));
        }
        for (int j = 0; j < m; j++) lseCols[j] = (float) (n == 0 ? Double.NEGATIVE_INFINITY : colMax[j] + Math.log(colSum[j]));
    }

    public static void backwardReference(float[] a, int ao, float[] b, int bo, int n, int m, int d, float scale,
            float[] lseRows, float[] lseCols, int diagonalOffset, float coefficient, float[] ga, float[] gb, float[] gScale) {
        double[] gaAcc = new double[n * d], gbAcc = new double[m * d];
        double dScale = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) {
                double l = logit(a, ao, b, bo, d, scale, i, j);
                double g = Math.exp(l - lseRows[i]) + Math.exp(l - lseCols[j]) - (j == i + diagonalOffset ? 2 : 0);
                dScale += g * l;
                for (int c = 0; c < d; c++) {
                    gaAcc[i * d + c] += g * b[bo + j * d + c];
                    gbAcc[j * d + c] += g * a[ao + i * d + c];
                }
            }
        double factor = (double) coefficient * scale;
        for (int e = 0; e < n * d; e++) ga[e] = (float) (factor * gaAcc[e]);
        if (gb != null) for (int e = 0; e < m * d; e++) gb[e] = (float) (factor * gbAcc[e]);
        gScale[0] = (float) (coefficient * dScale);
    }
}
