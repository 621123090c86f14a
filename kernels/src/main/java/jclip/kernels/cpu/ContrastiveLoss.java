package jclip.kernels.cpu;

import java.util.Arrays;

/**
 * The symmetric contrastive loss's kernels over the logits L = scale·a·bᵀ (see
 * jclip.kernels.Kernels#contrastiveLogSumExp and #contrastiveBackward): the reference, which
 * accumulates in double one logit at a time, and the fast path that CpuKernels runs.
 *
 * <p>The fast path never holds more of L than one tile per thread. Each tile's logits come from
 * {@link Gemm}'s single-threaded entry (the tiles are the parallel work, so a product never forks
 * again), and are then reduced in double:
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
 * <p>One exp per logit: within a tile whose logits (and the log-sum-exps it is measured against)
 * lie within {@value #ONE_EXP_SPREAD} of the tile's maximum M, exp(L − M) in double neither
 * overflows nor underflows, and both the row and the column sums (forward), or both softmax terms
 * exp(L − M)·(exp(M − lseRows_i) + exp(M − lseCols_j)) (backward), are built from it. A tile that is
 * spread wider (unnormalised features, huge scales) takes two exps per logit against its row and
 * column maxima, as the reference does.
 */
public final class ContrastiveLoss {
    private ContrastiveLoss() {}

    /**
     * Tile shape: a forward tile of 256 x 512 floats (512 KiB), a backward one of 256 x 256, each
     * in L2 while it is reduced and its products (k = d, or 256) running at the micro-kernel's full
     * speed; row tiles are cut thinner when there would be fewer of them than threads. Measured at
     * n = m = 4096, d = 512 on the 2-core build machine, ms per call (three quiet runs): forward
     * 256 x 512 200-217, 256 x 256 184-215, 256 x 1024 190-214, 128 x 512 209-226; backward
     * 256 x 256 512-543, 256 x 512 514-742, 128 x 256 571-649, 128 x 128 592-766. (The sgemm of
     * all 4096² logits alone took 113 ms: the exps and the tile's passes cost about 10 ns a logit
     * per thread, a third of the forward.)
     */
    static final int ROW_TILE = 256, COL_TILE = 512, BACKWARD_TILE = 256;

    /** Widest spread of logits in a tile that one exp per logit handles (e^-600 is far above double's e^-708 underflow). */
    static final double ONE_EXP_SPREAD = 600;

    public static void logSumExp(float[] a, int ao, float[] b, int bo, int n, int m, int d, float scale,
            float[] lseRows, float[] lseCols) {
        logSumExp(a, ao, b, bo, n, m, d, scale, lseRows, lseCols, tile(n, ROW_TILE), Math.min(COL_TILE, Math.max(1, m)));
    }

    public static void backward(float[] a, int ao, float[] b, int bo, int n, int m, int d, float scale,
            float[] lseRows, float[] lseCols, int diagonalOffset, float coefficient, float[] ga, float[] gb, float[] gScale) {
        // Without gb the row tiles are the only parallel work, and column tiles need not be cut for threads.
        int tc = gb == null ? Math.min(COL_TILE, Math.max(1, m)) : tile(m, BACKWARD_TILE);
        backward(a, ao, b, bo, n, m, d, scale, lseRows, lseCols, diagonalOffset, coefficient, ga, gb, gScale,
                tile(n, BACKWARD_TILE), tc);
    }

    /** Rows of a tile: at most max, fewer so that each thread gets a tile, a multiple of 16 (the micro-kernel's widths) unless count is less. */
    static int tile(int count, int max) {
        int perThread = (int) (((long) count + Parallel.threads() - 1) / Parallel.threads());
        return Math.max(1, Math.min(Math.min(max, count), (perThread + 15) / 16 * 16));
    }

    /** {@link #logSumExp} with tiles of tr x tc (tests use small ones to cross many tile edges). */
    static void logSumExp(float[] a, int ao, float[] b, int bo, int n, int m, int d, float scale,
            float[] lseRows, float[] lseCols, int tr, int tc) {
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
                        tileLogSumExp(s, rows, cols, colParts, r * m + j0);
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

    /**
     * Folds the logits tile [rows, cols] (in s.tile) into the running row log-sum-exps s.rowLse, and
     * writes each column's log-sum-exp over the tile to colParts[at + j].
     */
    private static void tileLogSumExp(Scratch s, int rows, int cols, double[] colParts, int at) {
        float[] t = s.tile;
        double[] rowLse = s.rowLse, colSum = s.colSum;
        float max = Float.NEGATIVE_INFINITY, min = Float.POSITIVE_INFINITY;
        for (int e = 0, count = rows * cols; e < count; e++) {
            float v = t[e];
            if (v > max) max = v;
            if (v < min) min = v;
        }
        Arrays.fill(colSum, 0, cols, 0);
        if ((double) max - min <= ONE_EXP_SPREAD) {
            double hi = max;
            for (int i = 0; i < rows; i++) {
                int o = i * cols;
                double rowSum = 0;
                for (int j = 0; j < cols; j++) {
                    double e = Math.exp(t[o + j] - hi);
                    rowSum += e;
                    colSum[j] += e;
                }
                rowLse[i] = logAddExp(rowLse[i], hi + Math.log(rowSum));
            }
            for (int j = 0; j < cols; j++) colParts[at + j] = hi + Math.log(colSum[j]);
            return;
        }
        // Spread too wide (or NaN): each row against its own maximum, each column against its own.
        double[] colMax = s.colMax;
        Arrays.fill(colMax, 0, cols, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < rows; i++) {
            int o = i * cols;
            double rowMax = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                rowMax = Math.max(rowMax, t[o + j]);
                colMax[j] = Math.max(colMax[j], t[o + j]);
            }
            double rowSum = 0;
            for (int j = 0; j < cols; j++) rowSum += Math.exp(t[o + j] - rowMax);
            rowLse[i] = logAddExp(rowLse[i], rowMax + Math.log(rowSum));
        }
        for (int i = 0; i < rows; i++) {
            int o = i * cols;
            for (int j = 0; j < cols; j++) colSum[j] += Math.exp(t[o + j] - colMax[j]);
        }
        for (int j = 0; j < cols; j++) colParts[at + j] = colMax[j] + Math.log(colSum[j]);
    }

    /** log(e^x + e^y), exact for -inf operands. */
    static double logAddExp(double x, double y) {
        if (x == Double.NEGATIVE_INFINITY) return y;
        if (y == Double.NEGATIVE_INFINITY) return x;
        double hi = Math.max(x, y), lo = Math.min(x, y);
        return hi + Math.log1p(Math.exp(lo - hi));
    }

    /** {@link #backward} with tiles of tr x tc. */
    static void backward(float[] a, int ao, float[] b, int bo, int n, int m, int d, float scale,
            float[] lseRows, float[] lseCols, int diagonalOffset, float coefficient, float[] ga, float[] gb, float[] gScale,
            int tr, int tc) {
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
        Tiles tiles = new Tiles(a, ao, b, bo, n, m, d, scale, lseRows, lseCols, diagonalOffset,
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
    private record Tiles(float[] a, int ao, float[] b, int bo, int n, int m, int d, float scale, float[] lseRows,
            float[] lseCols, int diagonalOffset, float factor, float[] ga, float[] gb, double[] scaleParts, int tr, int tc) {

        /** Tile (r, c): its logits, G in their place, then ga and gb += factor·G·b, factor·Gᵀ·a. */
        void backward(Scratch s, int r, int c) {
            int i0 = r * tr, rows = Math.min(tr, n - i0), j0 = c * tc, cols = Math.min(tc, m - j0), ld = Math.max(1, d);
            float[] t = s.tile;
            Gemm.sgemmOnThisThread(false, true, rows, cols, d, scale, a, ao + i0 * d, ld, b, bo + j0 * d, ld, 0f, t, 0, cols);
            scaleParts[r] += gradient(s, rows, cols, i0, j0);
            if (d == 0) return;
            Gemm.sgemmOnThisThread(false, false, rows, d, cols, factor, t, 0, cols, b, bo + j0 * d, d, 1f, ga, i0 * d, d);
            if (gb != null)
                Gemm.sgemmOnThisThread(true, false, cols, d, rows, factor, t, 0, cols, a, ao + i0 * d, d, 1f, gb, j0 * d, d);
        }

        /** Replaces the logits tile by G; returns Σ G·L over it. */
        private double gradient(Scratch s, int rows, int cols, int i0, int j0) {
            float[] t = s.tile;
            float max = Float.NEGATIVE_INFINITY;
            for (int e = 0, count = rows * cols; e < count; e++) if (t[e] > max) max = t[e];
            double hi = max, minRow = Double.POSITIVE_INFINITY, minCol = Double.POSITIVE_INFINITY;
            for (int i = 0; i < rows; i++) minRow = Math.min(minRow, lseRows[i0 + i]);
            for (int j = 0; j < cols; j++) minCol = Math.min(minCol, lseCols[j0 + j]);
            double sum = 0;
            if (hi - minRow <= ONE_EXP_SPREAD && hi - minCol <= ONE_EXP_SPREAD) {
                // exp(L − lse) = exp(L − M)·exp(M − lse), every factor within double's range.
                double[] u = s.rowLse, v = s.colSum;
                for (int i = 0; i < rows; i++) u[i] = Math.exp(hi - lseRows[i0 + i]);
                for (int j = 0; j < cols; j++) v[j] = Math.exp(hi - lseCols[j0 + j]);
                for (int i = 0; i < rows; i++) {
                    int o = i * cols;
                    long label = (long) i0 + i + diagonalOffset - j0;
                    double ui = u[i];
                    for (int j = 0; j < cols; j++) {
                        double l = t[o + j];
                        double g = Math.exp(l - hi) * (ui + v[j]);
                        if (j == label) g -= 2;
                        sum += g * l;
                        t[o + j] = (float) g;
                    }
                }
                return sum;
            }
            for (int i = 0; i < rows; i++) {
                int o = i * cols;
                long label = (long) i0 + i + diagonalOffset - j0;
                double lr = lseRows[i0 + i];
                for (int j = 0; j < cols; j++) {
                    double l = t[o + j];
                    double g = Math.exp(l - lr) + Math.exp(l - lseCols[j0 + j]);
                    if (j == label) g -= 2;
                    sum += g * l;
                    t[o + j] = (float) g;
                }
            }
            return sum;
        }
    }

    /** A thread's tile and row and column vectors, grown on demand and kept for the thread's lifetime. */
    private static final class Scratch {
        float[] tile = new float[0];
        double[] rowLse = new double[0], colSum = new double[0], colMax = new double[0];
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
            if (s.rowLse.length < tr) s.rowLse = new double[tr];
            if (s.colSum.length < tc) {
                s.colSum = new double[tc];
                s.colMax = new double[tc];
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
