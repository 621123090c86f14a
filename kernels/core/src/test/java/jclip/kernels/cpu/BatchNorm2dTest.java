package jclip.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/*
 * x, y, dy, dx [N, C, HW]; gamma, beta, runningMean, runningVar, saveMean, saveInvStd, dGamma, dBeta [C].
 * BatchNorm2d against a double-precision implementation written here, against central finite
 * differences of it, and against a hand-worked example.
 */
class BatchNorm2dTest {
    private static final int OFF = 3, TAIL = 4;
    private static final float SENTINEL = 4321.5f;

    /** Sizes and the distribution of x: offset + spread * U(+-[0.05, 1]). */
    record Cfg(int n, int c, int hw, float offset, float spread, double tol) {}

    private static final Cfg[] CFGS = {
        new Cfg(3, 5, 63, 0.3f, 2f, 1e-5),
        new Cfg(1, 3, 13, -1f, 0.5f, 1e-5),
        new Cfg(2, 33, 1, 0f, 1f, 1e-5),      // two values per channel
        new Cfg(4, 33, 196, 2f, 3f, 1e-5),    // enough work to split over threads
        new Cfg(3, 7, 25, 100f, 1f, 2e-4),    // large mean: float x - mean loses ~1e-5 relative
    };

    /** Double-precision batch statistics: {mean[c], biasedVar[c], unbiasedVar[c]}. */
    private static double[][] stats(double[] x, int n, int c, int hw) {
        double[] mean = new double[c], var = new double[c], unbiased = new double[c];
        int m = n * hw;
        for (int ch = 0; ch < c; ch++) {
            double s = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++) s += x[(i * c + ch) * hw + j];
            mean[ch] = s / m;
            double q = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < hw; j++) {
                    double d = x[(i * c + ch) * hw + j] - mean[ch];
                    q += d * d;
                }
            }
            var[ch] = q / m;
            unbiased[ch] = q / (m - 1);
        }
        return new double[][] {mean, var, unbiased};
    }

    /** y = (x - mean)/sqrt(var + eps)*gamma + beta with the given per-channel mean and var. */
    private static double[] normalise(double[] x, int n, int c, int hw, double[] mean, double[] var,
            double[] gamma, double[] beta, double eps) {
        double[] y = new double[x.length];
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int j = 0; j < hw; j++) {
                    int e = (i * c + ch) * hw + j;
                    y[e] = (x[e] - mean[ch]) / Math.sqrt(var[ch] + eps) * gamma[ch] + beta[ch];
                }
            }
        }
        return y;
    }

    private static double[] trainForwardD(double[] x, int n, int c, int hw, double[] gamma, double[] beta, double eps) {
        double[][] s = stats(x, n, c, hw);
        return normalise(x, n, c, hw, s[0], s[1], gamma, beta, eps);
    }

    // ---------------------------------------------------------------------------------------

    @Test
    void forwardTrainingMatchesDoubleAndUpdatesRunningStats() {
        long seed = 1;
        for (Cfg cfg : CFGS) {
            Random rnd = new Random(seed++);
            int n = cfg.n(), c = cfg.c(), hw = cfg.hw(), len = n * c * hw;
            float[] x = random(rnd, len, cfg.offset(), cfg.spread());
            float[] gamma = random(rnd, c, 0f, 1.5f);
            float[] beta = random(rnd, c, 0f, 1f);
            float[] rm0 = random(rnd, c, 0f, 1f);
            float[] rv0 = random(rnd, c, 1.2f, 0.1f); // positive
            float eps = 1e-5f, momentum = 0.1f;

            float[] y = embed(new float[len], 9f);
            float[] rm = embed(rm0, 0), rv = embed(rv0, 0);
            float[] sm = embed(new float[c], 9f), sis = embed(new float[c], 9f);
            BatchNorm2d.forwardTraining(embed(x, 0), OFF, n, c, hw, embed(gamma, 0), OFF, embed(beta, 0), OFF,
                    eps, momentum, rm, OFF, rv, OFF, y, OFF, sm, OFF, sis, OFF);

            double[] xd = toDouble(x);
            double[][] s = stats(xd, n, c, hw);
            double[] yRef = normalise(xd, n, c, hw, s[0], s[1], toDouble(gamma), toDouble(beta), eps);
            assertClose(yRef, y, cfg.tol(), cfg + " y");
            double[] invStd = new double[c], rmRef = new double[c], rvRef = new double[c];
            for (int ch = 0; ch < c; ch++) {
                invStd[ch] = 1 / Math.sqrt(s[1][ch] + eps);
                rmRef[ch] = (1 - (double) momentum) * rm0[ch] + (double) momentum * s[0][ch];
                rvRef[ch] = (1 - (double) momentum) * rv0[ch] + (double) momentum * s[2][ch];
            }
            assertClose(s[0], sm, 1e-6, cfg + " saveMean");
            assertClose(invStd, sis, 1e-6, cfg + " saveInvStd");
            assertClose(rmRef, rm, 1e-6, cfg + " runningMean");
            assertClose(rvRef, rv, 1e-6, cfg + " runningVar (unbiased)");
            for (float[] a : new float[][] {y, rm, rv, sm, sis}) assertMargins(a);
        }
    }

    @Test
    void forwardEvalMatchesDouble() {
        long seed = 20;
        for (Cfg cfg : CFGS) {
            Random rnd = new Random(seed++);
            int n = cfg.n(), c = cfg.c(), hw = cfg.hw(), len = n * c * hw;
            float[] x = random(rnd, len, cfg.offset(), cfg.spread());
            float[] gamma = random(rnd, c, 0f, 1.5f), beta = random(rnd, c, 0f, 1f);
            float[] rm = random(rnd, c, cfg.offset(), 0.5f), rv = random(rnd, c, 2f, 1f);
            float eps = 1e-3f;
            float[] y = embed(new float[len], 9f);
            BatchNorm2d.forwardEval(embed(x, 0), OFF, n, c, hw, embed(rm, 0), OFF, embed(rv, 0), OFF,
                    embed(gamma, 0), OFF, embed(beta, 0), OFF, eps, y, OFF);
            double[] yRef = normalise(toDouble(x), n, c, hw, toDouble(rm), toDouble(rv),
                    toDouble(gamma), toDouble(beta), eps);
            assertClose(yRef, y, cfg.tol(), cfg + " eval y");
            assertMargins(y);
        }
    }

    @Test
    void backwardTrainingMatchesFiniteDifferences() {
        int[][] sizes = {{2, 3, 5}, {1, 2, 7}, {3, 2, 1}};
        long seed = 40;
        for (int[] sz : sizes) {
            int n = sz[0], c = sz[1], hw = sz[2], len = n * c * hw;
            Random rnd = new Random(seed++);
            float[] x = random(rnd, len, 0.5f, 1f);
            float[] gamma = random(rnd, c, 0f, 1.5f), beta = random(rnd, c, 0f, 1f);
            float[] r = random(rnd, len, 0f, 1f); // L = sum(y * r)
            float eps = 1e-5f;

            float[] y = new float[len], sm = new float[c], sis = new float[c];
            BatchNorm2d.forwardTraining(x, 0, n, c, hw, gamma, 0, beta, 0, eps, 0.1f,
                    null, 0, null, 0, y, 0, sm, 0, sis, 0);
            float[] dx = embed(new float[len], -5f);
            float[] dGamma0 = random(rnd, c, 0f, 1f), dBeta0 = random(rnd, c, 0f, 1f);
            float[] dGamma = embed(dGamma0, 0), dBeta = embed(dBeta0, 0);
            BatchNorm2d.backwardTraining(embed(x, 0), OFF, embed(r, 0), OFF, n, c, hw, embed(sm, 0), OFF,
                    embed(sis, 0), OFF, embed(gamma, 0), OFF, dx, OFF, dGamma, OFF, dBeta, OFF);
            for (float[] a : new float[][] {dx, dGamma, dBeta}) assertMargins(a);

            double[] xd = toDouble(x), gd = toDouble(gamma), bd = toDouble(beta), rd = toDouble(r);
            Loss loss = () -> dot(trainForwardD(xd, n, c, hw, gd, bd, eps), rd);
            checkFd(loss, xd, dx, null, 1e-4, "train dx " + Arrays.toString(sz));
            checkFd(loss, gd, dGamma, dGamma0, 1e-4, "train dGamma " + Arrays.toString(sz));
            checkFd(loss, bd, dBeta, dBeta0, 1e-4, "train dBeta " + Arrays.toString(sz));
        }
    }

    @Test
    void backwardEvalMatchesFiniteDifferences() {
        int n = 2, c = 3, hw = 6, len = n * c * hw;
        Random rnd = new Random(60);
        float[] x = random(rnd, len, 0.5f, 1f);
        float[] gamma = random(rnd, c, 0f, 1.5f), beta = random(rnd, c, 0f, 1f);
        float[] rm = random(rnd, c, 0f, 1f), rv = random(rnd, c, 1.5f, 1f);
        float[] r = random(rnd, len, 0f, 1f);
        float eps = 1e-5f;
        float[] dx = embed(new float[len], -5f);
        float[] dGamma0 = random(rnd, c, 0f, 1f), dBeta0 = random(rnd, c, 0f, 1f);
        float[] dGamma = embed(dGamma0, 0), dBeta = embed(dBeta0, 0);
        BatchNorm2d.backwardEval(embed(x, 0), OFF, embed(r, 0), OFF, n, c, hw, embed(rm, 0), OFF, embed(rv, 0), OFF,
                embed(gamma, 0), OFF, eps, dx, OFF, dGamma, OFF, dBeta, OFF);
        for (float[] a : new float[][] {dx, dGamma, dBeta}) assertMargins(a);

        double[] xd = toDouble(x), gd = toDouble(gamma), bd = toDouble(beta), rd = toDouble(r);
        double[] rmd = toDouble(rm), rvd = toDouble(rv);
        Loss loss = () -> dot(normalise(xd, n, c, hw, rmd, rvd, gd, bd, eps), rd);
        checkFd(loss, xd, dx, null, 1e-4, "eval dx");
        checkFd(loss, gd, dGamma, dGamma0, 1e-4, "eval dGamma");
        checkFd(loss, bd, dBeta, dBeta0, 1e-4, "eval dBeta");
    }

    /*
     * N = 2, C = 1, HW = 2: x = [[1, 3], [1, 3]], gamma = 2, beta = 0.5, eps = 3, momentum = 0.1.
     *   mean = 2, biased var = 1, unbiased var = 4/3, invStd = 1/sqrt(1 + 3) = 0.5
     *   y = (x - 2)*0.5*2 + 0.5 = x - 1.5 = [-0.5, 1.5, -0.5, 1.5]
     *   running mean 0 -> 0.9*0 + 0.1*2 = 0.2;  running var 1 -> 0.9*1 + 0.1*4/3 = 1.0333...
     * Backward with dy = [1, 0, 0, 0]: xhat = [-0.5, 0.5, -0.5, 0.5],
     *   dBeta = sum dy = 1, dGamma = sum dy*xhat = -0.5,
     *   dx = gamma*invStd*(dy - mean(dy) - xhat*mean(dy*xhat)) = dy - 0.25 + 0.125*xhat
     *      = [0.6875, -0.1875, -0.3125, -0.1875]
     * Eval with running mean 0.2, running var 1.0333..., eps = 3: invStd = 1/sqrt(4.0333...);
     *   dx = dy*gamma*invStd = [2/sqrt(4.0333...), 0, 0, 0].
     */
    @Test
    void handExample() {
        float[] x = {1, 3, 1, 3};
        float[] gamma = {2}, beta = {0.5f};
        float[] rm = {0}, rv = {1};
        float[] y = new float[4], sm = new float[1], sis = new float[1];
        BatchNorm2d.forwardTraining(x, 0, 2, 1, 2, gamma, 0, beta, 0, 3f, 0.1f, rm, 0, rv, 0, y, 0, sm, 0, sis, 0);
        assertArrayEquals(new float[] {-0.5f, 1.5f, -0.5f, 1.5f}, y, 1e-7f);
        assertEquals(2f, sm[0], 0f);
        assertEquals(0.5f, sis[0], 0f);
        assertEquals(0.2f, rm[0], 1e-7f);
        assertEquals(0.9 + 0.1 * 4.0 / 3.0, rv[0], 1e-6);

        float[] dy = {1, 0, 0, 0};
        float[] dx = new float[4], dGamma = {10}, dBeta = {10};
        BatchNorm2d.backwardTraining(x, 0, dy, 0, 2, 1, 2, sm, 0, sis, 0, gamma, 0, dx, 0, dGamma, 0, dBeta, 0);
        assertArrayEquals(new float[] {0.6875f, -0.1875f, -0.3125f, -0.1875f}, dx, 1e-6f);
        assertEquals(9.5f, dGamma[0], 1e-6f);
        assertEquals(11f, dBeta[0], 1e-6f);

        BatchNorm2d.backwardEval(x, 0, dy, 0, 2, 1, 2, rm, 0, rv, 0, gamma, 0, 3f, dx, 0, null, 0, null, 0);
        assertArrayEquals(new float[] {(float) (2 / Math.sqrt(3 + rv[0])), 0, 0, 0}, dx, 1e-6f);
    }

    @Test
    void runningStatisticsOverSeveralSteps() {
        int n = 2, c = 3, hw = 4, len = n * c * hw;
        Random rnd = new Random(70);
        float[] rm = {0, 0, 0}, rv = {1, 1, 1}; // PyTorch's initial values
        double[] rmRef = {0, 0, 0}, rvRef = {1, 1, 1};
        float momentum = 0.25f;
        for (int step = 0; step < 3; step++) {
            float[] x = random(rnd, len, step, 1f + step);
            BatchNorm2d.forwardTraining(x, 0, n, c, hw, null, 0, null, 0, 1e-5f, momentum,
                    rm, 0, rv, 0, new float[len], 0, new float[c], 0, new float[c], 0);
            double[][] s = stats(toDouble(x), n, c, hw);
            for (int ch = 0; ch < c; ch++) {
                rmRef[ch] = (1 - momentum) * rmRef[ch] + momentum * s[0][ch];
                rvRef[ch] = (1 - momentum) * rvRef[ch] + momentum * s[2][ch];
                assertEquals(rmRef[ch], rm[ch], 1e-5, "step " + step + " running mean " + ch);
                assertEquals(rvRef[ch], rv[ch], 1e-5, "step " + step + " running var " + ch);
            }
        }
    }

    @Test
    void nullAffineInPlaceAndValidation() {
        int n = 3, c = 4, hw = 5, len = n * c * hw;
        float[] x = random(new Random(80), len, 1f, 2f);
        float[] ones = new float[c], zeros = new float[c];
        Arrays.fill(ones, 1f);
        float[] yAffine = new float[len];
        BatchNorm2d.forwardTraining(x, 0, n, c, hw, ones, 0, zeros, 0, 1e-5f, 0.1f,
                null, 0, null, 0, yAffine, 0, new float[c], 0, new float[c], 0);
        float[] inPlace = x.clone(); // y == x, no affine, no running stats
        BatchNorm2d.forwardTraining(inPlace, 0, n, c, hw, null, 0, null, 0, 1e-5f, 0.1f,
                null, 0, null, 0, inPlace, 0, new float[c], 0, new float[c], 0);
        assertArrayEquals(yAffine, inPlace, 0f);

        assertThrows(IllegalArgumentException.class, () -> BatchNorm2d.forwardTraining(new float[3], 0, 1, 3, 1,
                null, 0, null, 0, 1e-5f, 0.1f, null, 0, null, 0, new float[3], 0, new float[3], 0, new float[3], 0));
        assertThrows(IndexOutOfBoundsException.class, () -> BatchNorm2d.forwardEval(new float[len], 0, n, c, hw,
                new float[c - 1], 0, new float[c], 0, null, 0, null, 0, 1e-5f, new float[len], 0));
    }

    // ---------------------------------------------------------------------------------------

    @FunctionalInterface
    private interface Loss {
        double value();
    }

    /**
     * Central differences of {@code loss} with respect to each element of {@code target} (which the
     * loss reads), compared with grad (embedded at OFF) minus what was there before (initial, or 0).
     */
    private static void checkFd(Loss loss, double[] target, float[] grad, float[] initial, double h, String what) {
        for (int i = 0; i < target.length; i++) {
            double saved = target[i];
            target[i] = saved + h;
            double lp = loss.value();
            target[i] = saved - h;
            double lm = loss.value();
            target[i] = saved;
            double fd = (lp - lm) / (2 * h);
            double got = grad[OFF + i] - (initial == null ? 0 : (double) initial[i]);
            assertEquals(fd, got, 2e-5 + 2e-4 * Math.abs(fd), what + "[" + i + "]");
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** offset + spread * U([-1, -0.05] U [0.05, 1]): never equal to offset. */
    private static float[] random(Random rnd, int len, float offset, float spread) {
        float[] a = new float[len];
        for (int i = 0; i < len; i++) {
            float v = 0.05f + 0.95f * rnd.nextFloat();
            a[i] = offset + spread * (rnd.nextBoolean() ? v : -v);
        }
        return a;
    }

    /** Copies a into a larger array at OFF with SENTINEL margins; the body is then filled with bodyFill unless 0. */
    private static float[] embed(float[] a, float bodyFill) {
        float[] out = new float[OFF + a.length + TAIL];
        Arrays.fill(out, SENTINEL);
        System.arraycopy(a, 0, out, OFF, a.length);
        if (bodyFill != 0) Arrays.fill(out, OFF, OFF + a.length, bodyFill);
        return out;
    }

    private static void assertMargins(float[] embedded) {
        for (int i = 0; i < OFF; i++) assertEquals(SENTINEL, embedded[i], "head margin");
        for (int i = embedded.length - TAIL; i < embedded.length; i++) assertEquals(SENTINEL, embedded[i], "tail margin");
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    /** got (embedded at OFF) close to ref: |got - ref| <= tol * (1 + |ref|). */
    private static void assertClose(double[] ref, float[] got, double tol, String what) {
        for (int i = 0; i < ref.length; i++) {
            double d = Math.abs((double) got[OFF + i] - ref[i]);
            if (!(d <= tol * (1 + Math.abs(ref[i])))) {
                fail(what + ": at " + i + " expected " + ref[i] + " got " + got[OFF + i]);
            }
        }
    }
}
