package jclip.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/*
 * The contrastive loss's kernels (ContrastiveLoss): the fast tiled path against the double
 * reference on fresh seeded inputs at sizes that are not multiples of a tile, with offsets into a
 * and b, diagonal offsets, and gb absent; the reference against a brute-force composition (the
 * whole logits matrix, log-softmax over rows and over columns) and its gradient against central
 * finite differences of that loss; and the largest CLIP batch in a 512 MiB heap.
 *
 * Tolerances, 2-3 times the worst errors measured (-Dcontrastive.verbose=true prints them): the
 * fast path's logits are float products (about 1e-7 relative), so its log-sum-exps match to 2e-6
 * (|x − ref| <= tol·(|ref| + mean |ref|), as in BackendParity; worst 7.5e-7), and its gradients
 * to 1e-4 of the size of the terms each one sums (see Terms; worst 4.3e-5), 5e-4 for logits
 * spread over ±1300 (worst 1.8e-4).
 */
class ContrastiveLossTest {
    private static final double LSE = 2e-6, GRADIENT = 1e-4, SCALE_GRADIENT = 2e-5;

    /** Tile kernels under test: the Vector API one (when the module is present) and the plain-Java one. */
    static List<ContrastiveTileKernel> kernels() {
        List<ContrastiveTileKernel> ks = new ArrayList<>();
        ContrastiveTileKernel v = ContrastiveLoss.vectorKernel();
        if (v != null) ks.add(v);
        ks.add(ContrastiveLoss.SCALAR);
        return ks;
    }

    /**
     * Rows of unit length, like CLIP's normalised embeddings. With {@code near}, row j leans towards
     * near's row j − offset (where there is one) by noise, as an image's embedding leans towards its
     * caption's during training, so the labelled logits stand out at a large scale.
     */
    static float[] embeddings(SplittableRandom random, int rows, int d, float[] near, int offset, double noise) {
        float[] x = new float[rows * d];
        int nearRows = near == null ? 0 : near.length / Math.max(1, d);
        for (int j = 0; j < rows; j++) {
            int partner = j - offset;
            boolean leans = near != null && partner >= 0 && partner < nearRows;
            double squares = 0;
            for (int c = 0; c < d; c++) {
                double v = leans ? near[partner * d + c] + noise * random.nextGaussian() / Math.sqrt(d) : random.nextGaussian();
                x[j * d + c] = (float) v;
                squares += v * v;
            }
            double inv = 1 / Math.sqrt(squares);
            for (int c = 0; c < d; c++) x[j * d + c] = (float) (x[j * d + c] * inv);
        }
        return x;
    }

    /** One problem: sizes, the logit scale, the label diagonal, offsets into a and b, feature norm (1: embeddings). */
    record Case(int n, int m, int d, float scale, int diagonalOffset, int aOffset, int bOffset, double norm) {
        static Case of(int n, int m, int d, float scale, int diagonalOffset) {
            return new Case(n, m, d, scale, diagonalOffset, 3, 5, 1);
        }

        @Override
        public String toString() {
            return "n=" + n + " m=" + m + " d=" + d + " scale=" + scale + " diagonal+" + diagonalOffset + " norm " + norm;
        }
    }

    /** Inputs of one case: a and b with garbage before their offsets, lse from the reference. */
    private record Inputs(float[] a, float[] b, float[] lseRows, float[] lseCols) {
        static Inputs of(Case c, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            float[] a0 = embeddings(random, c.n, c.d, null, 0, 0);
            float[] b0 = embeddings(random, c.m, c.d, a0, c.diagonalOffset, 0.7);
            float[] a = padded(random, a0, c.aOffset, c.d, c.norm), b = padded(random, b0, c.bOffset, c.d, c.norm);
            float[] lseRows = new float[c.n], lseCols = new float[c.m];
            ContrastiveLoss.logSumExpReference(a, c.aOffset, b, c.bOffset, c.n, c.m, c.d, c.scale, lseRows, lseCols);
            return new Inputs(a, b, lseRows, lseCols);
        }

        /**
         * x after garbage of offset elements (and 2 more at the end). With norm > 1 each row is
         * scaled by a norm log-uniform in [1/norm, norm], as unnormalised features are.
         */
        private static float[] padded(SplittableRandom random, float[] x, int offset, int d, double norm) {
            float[] p = new float[offset + x.length + 2];
            for (int i = 0; i < p.length; i++) p[i] = (float) (random.nextDouble() * 8 - 4);
            for (int r = 0; r * d < x.length; r++) {
                double rowNorm = norm == 1 ? 1 : Math.pow(norm, 2 * random.nextDouble() - 1);
                for (int k = 0; k < d; k++) p[offset + r * d + k] = (float) (x[r * d + k] * rowNorm);
            }
            return p;
        }
    }

    private static final List<Case> CASES = List.of(
            Case.of(1, 1, 1, 1f, 0),
            Case.of(1, 7, 3, 14.3f, 0),
            Case.of(7, 1, 64, 100f, 0),
            Case.of(7, 33, 3, 100f, 5),
            Case.of(33, 7, 512, 14.3f, -3),
            Case.of(33, 257, 1, 100f, 0),
            Case.of(257, 33, 64, 100f, 200),
            Case.of(257, 257, 64, 100f, 0),
            Case.of(1000, 257, 3, 14.3f, 0),
            Case.of(257, 1000, 512, 100f, 371),
            Case.of(1000, 1000, 64, 100f, 0));

    @Test
    void fastMatchesReference() {
        long seed = 1;
        for (Case c : CASES) check(c, seed++, 0, 0, LSE, GRADIENT, true);
        // gb absent: only ga and gScale.
        check(Case.of(257, 1000, 64, 100f, 0), seed++, 0, 0, LSE, GRADIENT, false);
        check(Case.of(33, 7, 3, 14.3f, 2), seed++, 0, 0, LSE, GRADIENT, false);
    }

    @Test
    void smallTilesCrossManyEdges() {
        long seed = 100;
        // Tiles that divide nothing: rows and columns end mid-tile, a tile of one row or column.
        check(Case.of(257, 1000, 64, 100f, 3), seed++, 16, 48, LSE, GRADIENT, true);
        check(Case.of(1000, 257, 3, 100f, -5), seed++, 33, 7, LSE, GRADIENT, true);
        check(Case.of(257, 33, 64, 14.3f, 0), seed++, 1, 5, LSE, GRADIENT, true);
        check(Case.of(33, 257, 64, 14.3f, 0), seed++, 7, 1, LSE, GRADIENT, false);
    }

    @Test
    void widelySpreadLogits() {
        // Rows of norms in [1/4, 4] at scale 100: logits up to about ±1300 next to rows whose
        // log-sum-exps are near 0, too wide for the scalar kernel's one exp per logit (its two-exp
        // path runs). Their float products are off by up to ~1e-3 absolute, which exp(L − lse)
        // carries into G.
        Case wide = new Case(257, 300, 64, 100f, 0, 1, 2, 4);
        check(wide, 200, 0, 0, LSE, 5e-4, true);
        check(wide, 201, 16, 48, LSE, 5e-4, true);
    }

    /** The fast path, with every tile kernel, against the reference on one case (tiles 0: the default ones). */
    private static void check(Case c, long seed, int tr, int tc, double lseTolerance, double gradientTolerance, boolean withGb) {
        Inputs in = Inputs.of(c, seed);
        float coefficient = 0.5f / Math.max(c.n, c.m);
        float[] ga = new float[c.n * c.d], gb = new float[c.m * c.d], gScale = new float[1];
        ContrastiveLoss.backwardReference(in.a, c.aOffset, in.b, c.bOffset, c.n, c.m, c.d, c.scale, in.lseRows, in.lseCols,
                c.diagonalOffset, coefficient, ga, gb, gScale);
        Terms terms = Terms.of(c, in, coefficient);
        for (ContrastiveTileKernel kernel : kernels()) {
            String where = c + " " + kernel.name().replaceAll(" .*", "");
            float[] lseRows = filled(c.n, Float.NaN), lseCols = filled(c.m, Float.NaN);
            ContrastiveLoss.logSumExp(kernel, in.a, c.aOffset, in.b, c.bOffset, c.n, c.m, c.d, c.scale, lseRows, lseCols, tr, tc);
            compare(where + " lseRows", lseTolerance, in.lseRows, lseRows);
            compare(where + " lseCols", lseTolerance, in.lseCols, lseCols);
            // Outputs start as NaN, so an element the fast path fails to write shows up.
            float[] fastGa = filled(c.n * c.d, Float.NaN), fastGb = withGb ? filled(c.m * c.d, Float.NaN) : null;
            float[] fastGScale = {Float.NaN};
            ContrastiveLoss.backward(kernel, in.a, c.aOffset, in.b, c.bOffset, c.n, c.m, c.d, c.scale, in.lseRows, in.lseCols,
                    c.diagonalOffset, coefficient, fastGa, fastGb, fastGScale, tr, tc);
            compareTerms(where + " ga", gradientTolerance, ga, fastGa, terms.ga);
            if (withGb) compareTerms(where + " gb", gradientTolerance, gb, fastGb, terms.gb);
            assertTrue(Math.abs(fastGScale[0] - gScale[0]) <= SCALE_GRADIENT * terms.gScale + 1e-30,
                    where + " gScale: reference " + gScale[0] + ", fast " + fastGScale[0] + " (Σ|coefficient·G·L| " + terms.gScale + ")");
        }
    }

    /**
     * The size of the terms each gradient element sums, in double: coefficient·scale·Σ_j |G|_ij·|b_jc|
     * for ga, likewise for gb, and coefficient·Σ |G|_ij·|L_ij| for gScale, where |G| = p + q + 2·[label]
     * adds up G = p + q − 2·[label] (the row and column softmax terms) before it cancels. The labelled
     * G cancels the more, the better a and b match, and a float logit's absolute error then stays:
     * so the fast path is judged against these sizes rather than against the (possibly tiny) result.
     */
    private record Terms(double[] ga, double[] gb, double gScale) {
        static Terms of(Case c, Inputs in, float coefficient) {
            int n = c.n, m = c.m, d = c.d;
            double[] ga = new double[n * d], gb = new double[m * d];
            double gScale = 0, factor = (double) coefficient * c.scale;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < m; j++) {
                    int ai = c.aOffset + i * d, bj = c.bOffset + j * d;
                    double l = 0;
                    for (int k = 0; k < d; k++) l += (double) in.a[ai + k] * in.b[bj + k];
                    l *= c.scale;
                    // |p| + |q| + |−2|: the parts of G_ij before they cancel.
                    double g = Math.exp(l - in.lseRows[i]) + Math.exp(l - in.lseCols[j]) + (j == i + c.diagonalOffset ? 2 : 0);
                    gScale += Math.abs(g * l);
                    for (int k = 0; k < d; k++) {
                        ga[i * d + k] += Math.abs(factor * g * in.b[bj + k]);
                        gb[j * d + k] += Math.abs(factor * g * in.a[ai + k]);
                    }
                }
            return new Terms(ga, gb, coefficient * gScale);
        }
    }

    @Test
    void repeatedCallsAgreeBitForBit() {
        // Tiles are reduced in a fixed order whatever the threads do.
        Case c = Case.of(1000, 1000, 64, 100f, 0);
        Inputs in = Inputs.of(c, 300);
        float[][] first = null;
        for (int run = 0; run < 2; run++) {
            float[] lseRows = new float[c.n], lseCols = new float[c.m], ga = new float[c.n * c.d], gb = new float[c.m * c.d];
            float[] gScale = new float[1];
            ContrastiveLoss.logSumExp(in.a, c.aOffset, in.b, c.bOffset, c.n, c.m, c.d, c.scale, lseRows, lseCols);
            ContrastiveLoss.backward(in.a, c.aOffset, in.b, c.bOffset, c.n, c.m, c.d, c.scale, lseRows, lseCols, 0, 1f / c.n,
                    ga, gb, gScale);
            float[][] results = {lseRows, lseCols, ga, gb, gScale};
            if (first == null) first = results;
            else for (int k = 0; k < results.length; k++) assertArrayEquals(first[k], results[k], "output " + k);
        }
    }

    @Test
    void emptySizes() {
        for (ContrastiveTileKernel kernel : kernels()) {
            float[] lseRows = filled(3, 7f), lseCols = new float[0];
            ContrastiveLoss.logSumExp(kernel, new float[6], 0, new float[0], 0, 3, 0, 2, 10f, lseRows, lseCols, 0, 0);
            assertArrayEquals(filled(3, Float.NEGATIVE_INFINITY), lseRows);
            // d = 0: every logit is 0, so each log-sum-exp is log(count); the gradients are empty.
            float[] rows = new float[4], cols = new float[5], gScale = {Float.NaN};
            ContrastiveLoss.logSumExp(kernel, new float[0], 0, new float[0], 0, 4, 5, 0, 10f, rows, cols, 0, 0);
            assertEquals(Math.log(5), rows[3], 1e-6, kernel.name());
            assertEquals(Math.log(4), cols[4], 1e-6, kernel.name());
            ContrastiveLoss.backward(kernel, new float[0], 0, new float[0], 0, 4, 5, 0, 10f, rows, cols, 0, 1f, new float[0],
                    new float[0], gScale, 0, 0);
            assertEquals(0f, gScale[0], 1e-6, kernel.name());
        }
    }

    @Test
    void badArgumentsNameTheOperand() {
        float[] a = new float[12], b = new float[8];
        var e = assertThrows(IllegalArgumentException.class,
                () -> ContrastiveLoss.logSumExp(a, 1, b, 0, 3, 2, 4, 1f, new float[3], new float[2]));
        assertEquals("contrastiveLogSumExp: a needs elements [1, 13) of an array of 12", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ContrastiveLoss.backward(a, 0, b, 0, 3, 2, 4, 1f, new float[3], new float[2], 0, 1f, new float[12], new float[7], new float[1]));
        assertEquals("contrastiveBackward: gb needs elements [0, 8) of an array of 7", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ContrastiveLoss.logSumExp(a, 0, b, 0, -1, 2, 4, 1f, new float[3], new float[2]));
        assertEquals("contrastiveLogSumExp: negative size (n -1, m 2, d 4)", e.getMessage());
    }

    // ---------------------------------------------------------------------------------------------
    // The reference against the composition it stands for

    /** The logits matrix in double. */
    private static double[][] logits(double[] a, double[] b, int n, int m, int d, double scale) {
        double[][] l = new double[n][m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) {
                double dot = 0;
                for (int c = 0; c < d; c++) dot += a[i * d + c] * b[j * d + c];
                l[i][j] = scale * dot;
            }
        return l;
    }

    /** log-softmax over each row (byRows) or each column of l. */
    private static double[][] logSoftmax(double[][] l, boolean byRows) {
        int n = l.length, m = l[0].length;
        double[][] out = new double[n][m];
        for (int outer = 0; outer < (byRows ? n : m); outer++) {
            int len = byRows ? m : n;
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < len; k++) max = Math.max(max, byRows ? l[outer][k] : l[k][outer]);
            double sum = 0;
            for (int k = 0; k < len; k++) sum += Math.exp((byRows ? l[outer][k] : l[k][outer]) - max);
            double lse = max + Math.log(sum);
            for (int k = 0; k < len; k++) {
                if (byRows) out[outer][k] = l[outer][k] - lse;
                else out[k][outer] = l[k][outer] - lse;
            }
        }
        return out;
    }

    /**
     * The loss whose gradient the backward contract gives: coefficient·(Σ_i lseRows_i + Σ_j lseCols_j
     * − 2·Σ L_{i,i+offset}), each log-sum-exp read off a log-softmax as L_ij − logSoftmax_ij.
     */
    private static double loss(double[] a, double[] b, int n, int m, int d, double scale, int offset, double coefficient) {
        double[][] l = logits(a, b, n, m, d, scale);
        double[][] rows = logSoftmax(l, true), cols = logSoftmax(l, false);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += l[i][0] - rows[i][0];
        for (int j = 0; j < m; j++) sum += l[0][j] - cols[0][j];
        for (int i = 0; i < n; i++) if (i + offset >= 0 && i + offset < m) sum -= 2 * l[i][i + offset];
        return coefficient * sum;
    }

    private static double[] widen(float[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i];
        return y;
    }

    @Test
    void referenceLogSumExpsAreTheLogSoftmaxShifts() {
        SplittableRandom random = new SplittableRandom(400);
        int n = 13, m = 9, d = 5;
        float scale = 30f;
        float[] a = embeddings(random, n, d, null, 0, 0), b = embeddings(random, m, d, a, 1, 0.5);
        float[] lseRows = new float[n], lseCols = new float[m];
        ContrastiveLoss.logSumExpReference(a, 0, b, 0, n, m, d, scale, lseRows, lseCols);
        double[][] l = logits(widen(a), widen(b), n, m, d, scale);
        double[][] rows = logSoftmax(l, true), cols = logSoftmax(l, false);
        for (int i = 0; i < n; i++) assertEquals(l[i][2] - rows[i][2], lseRows[i], 1e-6 * Math.abs(lseRows[i]) + 1e-6, "row " + i);
        for (int j = 0; j < m; j++) assertEquals(l[4][j] - cols[4][j], lseCols[j], 1e-6 * Math.abs(lseCols[j]) + 1e-6, "column " + j);
    }

    @Test
    void contractLossIsClipsMeanOfBothCrossEntropies() {
        // n = m, labels on the diagonal, coefficient 1/(2n): the loss the backward differentiates is
        // CLIP's (cross-entropy over each row + cross-entropy over each column) / 2.
        SplittableRandom random = new SplittableRandom(401);
        int n = 6, d = 4;
        double[] a = widen(embeddings(random, n, d, null, 0, 0)), b = widen(embeddings(random, n, d, null, 0, 0));
        double[][] l = logits(a, b, n, n, d, 20);
        double[][] rows = logSoftmax(l, true), cols = logSoftmax(l, false);
        double imageToText = 0, textToImage = 0;
        for (int i = 0; i < n; i++) {
            imageToText -= rows[i][i] / n;
            textToImage -= cols[i][i] / n;
        }
        assertEquals((imageToText + textToImage) / 2, loss(a, b, n, n, d, 20, 0, 1.0 / (2 * n)), 1e-12);
    }

    @Test
    void referenceBackwardMatchesFiniteDifferences() {
        SplittableRandom random = new SplittableRandom(402);
        for (int offset : new int[] {0, 1, -2}) {
            int n = 4, m = 5, d = 3;
            float scale = 7f, coefficient = 0.3f;
            float[] a = embeddings(random, n, d, null, 0, 0), b = embeddings(random, m, d, a, offset, 0.5);
            float[] lseRows = new float[n], lseCols = new float[m], ga = new float[n * d], gb = new float[m * d], gScale = new float[1];
            ContrastiveLoss.logSumExpReference(a, 0, b, 0, n, m, d, scale, lseRows, lseCols);
            ContrastiveLoss.backwardReference(a, 0, b, 0, n, m, d, scale, lseRows, lseCols, offset, coefficient, ga, gb, gScale);
            double[] da = widen(a), db = widen(b);
            double h = 1e-5;
            for (int e = 0; e < n * d + m * d; e++) {
                double[] x = e < n * d ? da : db;
                int k = e < n * d ? e : e - n * d;
                double saved = x[k];
                x[k] = saved + h;
                double up = loss(da, db, n, m, d, scale, offset, coefficient);
                x[k] = saved - h;
                double down = loss(da, db, n, m, d, scale, offset, coefficient);
                x[k] = saved;
                double numeric = (up - down) / (2 * h), analytic = e < n * d ? ga[k] : gb[k];
                assertEquals(numeric, analytic, 1e-5 * (1 + Math.abs(numeric)), "offset " + offset + (e < n * d ? " ga[" : " gb[") + k + "]");
            }
            // gScale is the gradient for log(scale).
            double up = loss(da, db, n, m, d, scale * Math.exp(h), offset, coefficient);
            double down = loss(da, db, n, m, d, scale * Math.exp(-h), offset, coefficient);
            assertEquals((up - down) / (2 * h), gScale[0], 1e-5 * (1 + Math.abs(gScale[0])), "offset " + offset + " gScale");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Memory

    @Test
    void clipsLargestBatchRunsInA512MiBHeap() throws Exception {
        // The 16,384² logits would take 1 GiB; a, b, ga and gb take 32 MiB each.
        System.out.print(SmallHeap.run(ContrastiveLossMemoryCheck.class, "512m"));
    }

    // ---------------------------------------------------------------------------------------------

    private static float[] filled(int n, float value) {
        float[] x = new float[n];
        java.util.Arrays.fill(x, value);
        return x;
    }

    /** Error relative to the size of the terms summed (see Terms); NaN never passes. */
    static void compareTerms(String where, double tolerance, float[] expected, float[] actual, double[] terms) {
        int bad = 0, first = -1;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double error = expected[i] == actual[i] ? 0 : Math.abs((double) actual[i] - expected[i]) / terms[i];
            if (!(error <= tolerance)) {
                if (first < 0) first = i;
                bad++;
            }
            worst = Math.max(worst, Double.isNaN(error) ? Double.POSITIVE_INFINITY : error);
        }
        if (Boolean.getBoolean("contrastive.verbose")) System.out.printf("%-60s worst %.2e (of the terms)%n", where, worst);
        if (bad > 0)
            fail(where + ": " + bad + " of " + expected.length + " elements differ beyond " + tolerance + " of their terms' size (worst "
                    + worst + "); first at [" + first + "]: reference " + expected[first] + ", fast " + actual[first] + ", terms "
                    + terms[first]);
    }

    /** As BackendParity.compare: scaled relative error, NaN never equal to a number. */
    static void compare(String where, double tolerance, float[] expected, float[] actual) {
        double scale = 0;
        for (float v : expected) scale += Math.abs(v);
        scale /= Math.max(1, expected.length);
        int bad = 0, first = -1;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double error = Math.abs((double) actual[i] - expected[i]) / (Math.abs(expected[i]) + scale);
            if (expected[i] == actual[i]) error = 0;
            if (!(error <= tolerance)) {
                if (first < 0) first = i;
                bad++;
            }
            worst = Math.max(worst, Double.isNaN(error) ? Double.POSITIVE_INFINITY : error);
        }
        if (Boolean.getBoolean("contrastive.verbose")) System.out.printf("%-60s worst %.2e%n", where, worst);
        if (bad > 0)
            fail(where + ": " + bad + " of " + expected.length + " elements differ beyond " + tolerance + " (worst " + worst
                    + "); first at [" + first + "]: reference " + expected[first] + ", fast " + actual[first]);
    }
}
