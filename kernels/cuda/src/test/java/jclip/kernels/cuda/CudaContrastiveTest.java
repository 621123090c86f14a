package jclip.kernels.cuda;

import static jclip.kernels.cuda.BackendParity.check;
import static jclip.kernels.cuda.BackendParity.f32;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.Kernels;
import jclip.kernels.cpu.ContrastiveLoss;
import jclip.kernels.cpu.RowNormalize;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/*
 * contrastive.cu and rownorm.cu against the CPU backend (BackendParity), on seeded random
 * embeddings at sizes that are not multiples of the 64 x 64 tile (1, 7, 33, 257, 1000), with
 * offsets into a and b, diagonal offsets inside and outside the matrix, gb absent, and sizes that
 * take each launch shape: one tile; one row tile with the columns split over blocks (row partials
 * merged); many row tiles (column partials merged). The backward gets its log-sum-exps from the
 * CPU reference, so both sides start from the same values.
 *
 * Tolerances, about 4 times the worst errors measured: the log-sum-exps to 2e-6 (float exp sums
 * against the CPU's double), row normalisation to 1e-6; the gradients to 5e-4 of the buffer's
 * scale: both sides compute the logits as float products, in different orders, and exp(L − lse)
 * turns a logit's ~1e-5 absolute difference at scale 100 into the same relative difference of G,
 * which the labelled G = p + q − 2 then magnifies. The inputs are matched no more than at
 * mid-training (each label's logit about three standard deviations above the rest), where the
 * gradients are not yet cancelled down to that difference. Rows of norms up to 4 (logits up to
 * ±1600, whose float rounding is 16 times larger) get 3e-3.
 */
@Tag("gpu")
class CudaContrastiveTest {
    private static final double LSE = 2e-6, GRADIENT = 5e-4, WIDE_GRADIENT = 3e-3, ROW_NORM = 1e-6;

    /**
     * Unit rows; with near, row j leans towards near's row j − offset, its cosine with it about
     * 3/√d, three standard deviations of an unrelated pair's.
     */
    private static float[] embeddings(Random r, int rows, int d, float[] near, int offset, double norm) {
        float[] x = new float[rows * d];
        int nearRows = near == null ? 0 : near.length / Math.max(1, d);
        double noise = Math.sqrt(d) / 3;
        for (int j = 0; j < rows; j++) {
            int partner = j - offset;
            boolean leans = near != null && partner >= 0 && partner < nearRows;
            double squares = 0;
            for (int c = 0; c < d; c++) {
                double v = leans ? near[partner * d + c] + noise * r.nextGaussian() / Math.sqrt(d) : r.nextGaussian();
                x[j * d + c] = (float) v;
                squares += v * v;
            }
            double rowNorm = norm == 1 ? 1 : Math.pow(norm, 2 * r.nextDouble() - 1);
            for (int c = 0; c < d; c++) x[j * d + c] = (float) (x[j * d + c] * rowNorm / Math.sqrt(squares));
        }
        return x;
    }

    /** x after `offset` elements of garbage, and 3 more after it. */
    private static float[] padded(Random r, float[] x, int offset) {
        float[] p = new float[offset + x.length + 3];
        for (int i = 0; i < p.length; i++) p[i] = (float) (r.nextDouble() * 6 - 3);
        System.arraycopy(x, 0, p, offset, x.length);
        return p;
    }

    private static float[] uniform(Random r, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return v;
    }

    /** n, m, d, the scale, the label diagonal, offsets into a and b, the spread of row norms (1: unit rows). */
    private record Case(int n, int m, int d, float scale, int diagonalOffset, int aOffset, int bOffset, double norm) {
        double gradientTolerance() {
            return norm == 1 ? GRADIENT : WIDE_GRADIENT;
        }

        @Override
        public String toString() {
            return "n=" + n + " m=" + m + " d=" + d + " scale=" + scale + " diagonal+" + diagonalOffset + " norms " + norm;
        }
    }

    private static final Case[] CASES = {
        new Case(1, 1, 1, 1f, 0, 0, 0, 1),          // one tile, both results direct
        new Case(7, 33, 3, 100f, 5, 3, 1, 1),
        new Case(33, 130, 512, 14.3f, -3, 1, 2, 1),  // one row tile, columns split: row partials merged
        new Case(257, 700, 40, 100f, 371, 2, 5, 1),  // both merged
        new Case(1000, 257, 3, 100f, 0, 0, 7, 1),
        new Case(130, 70, 33, 100f, 0, 1, 0, 4),     // row norms in [1/4, 4]: logits over ±1000
        new Case(65, 65, 64, 100f, 1 << 30, 0, 0, 1), // no label inside the matrix
    };

    @Test
    void logSumExpMatchesCpu() {
        Random r = new Random(1);
        for (Case c : CASES) {
            float[] a = embeddings(r, c.n, c.d, null, 0, c.norm), b = embeddings(r, c.m, c.d, a, c.diagonalOffset, c.norm);
            check("contrastiveLogSumExp " + c, LSE,
                    (k, buf) -> k.contrastiveLogSumExp(buf[0], c.aOffset, buf[1], c.bOffset, c.n, c.m, c.d, c.scale, buf[2], buf[3]),
                    f32("a", padded(r, a, c.aOffset)), f32("b", padded(r, b, c.bOffset)),
                    f32("lseRows", uniform(r, c.n, -1, 1)), f32("lseCols", uniform(r, c.m, -1, 1)));
        }
    }

    @Test
    void backwardMatchesCpu() {
        Random r = new Random(2);
        for (Case c : CASES) {
            float[] a = embeddings(r, c.n, c.d, null, 0, c.norm), b = embeddings(r, c.m, c.d, a, c.diagonalOffset, c.norm);
            float[] lseRows = new float[c.n], lseCols = new float[c.m];
            ContrastiveLoss.logSumExpReference(a, 0, b, 0, c.n, c.m, c.d, c.scale, lseRows, lseCols);
            float coefficient = 0.5f / Math.max(c.n, c.m);
            // gb absent: on the cases with n < m (two of them split the ga grid over column blocks).
            for (boolean withGb : c.n > 1 && c.n < c.m ? new boolean[] {true, false} : new boolean[] {true}) {
                check("contrastiveBackward " + c + (withGb ? "" : " without gb"), c.gradientTolerance(),
                        (k, buf) -> k.contrastiveBackward(buf[0], c.aOffset, buf[1], c.bOffset, c.n, c.m, c.d, c.scale, buf[2],
                                buf[3], c.diagonalOffset, coefficient, buf[4], withGb ? buf[5] : null, buf[6]),
                        f32("a", padded(r, a, c.aOffset)), f32("b", padded(r, b, c.bOffset)), f32("lseRows", lseRows),
                        f32("lseCols", lseCols), f32("ga", uniform(r, c.n * c.d, -1, 1)), f32("gb", uniform(r, c.m * c.d, -1, 1)),
                        f32("gScale", new float[] {7f}));
            }
        }
    }

    @Test
    void emptySidesGiveEmptySums() {
        // n = 0: every column's log-sum-exp is -inf and gb is zero; m = 0 likewise; d = 0: logits of 0.
        Random r = new Random(3);
        int[][] sizes = {{0, 5, 4}, {6, 0, 4}, {6, 5, 0}};
        for (int[] s : sizes) {
            int n = s[0], m = s[1], d = s[2];
            check("contrastiveLogSumExp n=" + n + " m=" + m + " d=" + d, LSE,
                    (k, buf) -> k.contrastiveLogSumExp(buf[0], 0, buf[1], 0, n, m, d, 10f, buf[2], buf[3]),
                    f32("a", uniform(r, n * d + 1, -1, 1)), f32("b", uniform(r, m * d + 1, -1, 1)),
                    f32("lseRows", uniform(r, n + 1, -1, 1)), f32("lseCols", uniform(r, m + 1, -1, 1)));
            check("contrastiveBackward n=" + n + " m=" + m + " d=" + d, GRADIENT,
                    (k, buf) -> k.contrastiveBackward(buf[0], 0, buf[1], 0, n, m, d, 10f, buf[2], buf[3], 0, 0.25f, buf[4], buf[5], buf[6]),
                    f32("a", uniform(r, n * d + 1, -1, 1)), f32("b", uniform(r, m * d + 1, -1, 1)),
                    f32("lseRows", uniform(r, n + 1, 1, 2)), f32("lseCols", uniform(r, m + 1, 1, 2)),
                    f32("ga", uniform(r, n * d + 1, -1, 1)), f32("gb", uniform(r, m * d + 1, -1, 1)), f32("gScale", new float[] {7f}));
        }
    }

    @Test
    void normalizeRowsMatchesCpu() {
        Random r = new Random(4);
        int[][] shapes = {{1, 1}, {7, 33}, {257, 512}, {33, 1000}, {3, 2000}};
        for (int[] s : shapes) {
            int rows = s[0], cols = s[1];
            float[] y = uniform(r, rows * cols, -2, 2);
            // One row below eps in norm: clamped, its norm has no gradient.
            for (int c = 0; c < cols; c++) y[(rows / 2) * cols + c] *= 1e-7f;
            float eps = 1e-6f;
            check("normalizeRows " + rows + "x" + cols, ROW_NORM, (k, b) -> k.normalizeRows(b[0], b[1], rows, cols, eps),
                    f32("y", y), f32("invNorm", uniform(r, rows, -1, 1)));
            float[] out = y.clone(), invNorm = new float[rows];
            RowNormalize.forward(out, invNorm, rows, cols, eps);
            check("normalizeRowsBackward " + rows + "x" + cols, ROW_NORM,
                    (k, b) -> k.normalizeRowsBackward(b[0], b[1], b[2], b[3], rows, cols, eps),
                    f32("y", out), f32("invNorm", invNorm), f32("gy", uniform(r, rows * cols, -1, 1)),
                    f32("gRaw", uniform(r, rows * cols, -1, 1)));
        }
    }

    @Test
    void badArgumentsAreNamed() {
        Kernels k = CudaDevice.get(0).kernels();
        try (Buffer x = k.allocate(DType.F32, 40); Buffer small = k.allocate(DType.F32, 3); Buffer ints = k.allocate(DType.I32, 10)) {
            assertMessage(IndexOutOfBoundsException.class, "contrastiveLogSumExp: a needs elements [5, 45) of a buffer of 40",
                    () -> k.contrastiveLogSumExp(x, 5, x, 0, 10, 2, 4, 1f, x, x));
            assertMessage(IllegalArgumentException.class, "contrastiveLogSumExp: lseCols must be F32, got a I32 buffer",
                    () -> k.contrastiveLogSumExp(x, 0, x, 0, 2, 3, 4, 1f, x, ints));
            assertMessage(IllegalArgumentException.class, "contrastiveBackward: d = -1 is negative",
                    () -> k.contrastiveBackward(x, 0, x, 0, 2, 3, -1, 1f, x, x, 0, 1f, x, x, x));
            assertMessage(IndexOutOfBoundsException.class, "contrastiveBackward: gb needs elements [0, 12) of a buffer of 3",
                    () -> k.contrastiveBackward(x, 0, x, 0, 2, 3, 4, 1f, x, x, 0, 1f, x, small, x));
            assertMessage(IndexOutOfBoundsException.class, "normalizeRows: invNorm needs elements [0, 4) of a buffer of 3",
                    () -> k.normalizeRows(x, small, 4, 10, 1e-6f));
            assertMessage(IllegalArgumentException.class, "normalizeRowsBackward: cols = -2 is negative",
                    () -> k.normalizeRowsBackward(x, x, x, x, 1, -2, 1e-6f));
        }
    }

    private static void assertMessage(Class<? extends RuntimeException> type, String part, Runnable call) {
        RuntimeException e = assertThrows(type, call::run);
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should name '" + part + "'");
    }
}
