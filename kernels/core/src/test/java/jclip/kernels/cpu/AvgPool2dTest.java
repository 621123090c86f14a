package jclip.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/*
 * x [N, C, H, W], y [N, C, Hout, Wout]; PyTorch nn.AvgPool2d defaults (count_include_pad = true,
 * ceil_mode = false). AvgPool2d against naive double loops written here, against central finite
 * differences, and against hand-worked examples.
 */
class AvgPool2dTest {
    private static final int OFF = 7, TAIL = 2;
    private static final float SENTINEL = -999.25f;

    record Cfg(int n, int c, int h, int w, int kH, int kW, int sH, int sW, int pH, int pW) {
        int hOut() { return AvgPool2d.outSize(h, kH, sH, pH); }
        int wOut() { return AvgPool2d.outSize(w, kW, sW, pW); }
        int xLen() { return n * c * h * w; }
        int yLen() { return n * c * hOut() * wOut(); }
    }

    private static final Cfg[] CFGS = {
        new Cfg(3, 5, 7, 9, 2, 2, 2, 2, 0, 0),    // AvgPool2d(2) on odd sizes: last row/col dropped
        new Cfg(1, 5, 11, 10, 3, 3, 2, 2, 1, 1),  // stride 2 with padding 1
        new Cfg(3, 3, 9, 8, 3, 3, 1, 1, 1, 1),    // overlapping windows with padding
        new Cfg(1, 4, 6, 5, 1, 1, 1, 1, 0, 0),    // AvgPool2d(1): identity
        new Cfg(3, 2, 8, 7, 2, 2, 1, 1, 0, 0),    // overlapping, no padding
        new Cfg(2, 3, 10, 7, 3, 2, 2, 1, 1, 0),   // asymmetric kernel, stride and padding
        new Cfg(1, 2, 13, 13, 7, 7, 3, 3, 3, 3),  // large kernel, padding = k/2
        new Cfg(3, 9, 33, 31, 4, 4, 4, 4, 0, 0),  // AvgPool2d(stride) with stride 4, larger (parallel)
    };

    @Test
    void forwardAndBackwardMatchNaiveLoops() {
        long seed = 1;
        for (Cfg c : CFGS) {
            Random rnd = new Random(seed++);
            float[] x = random(rnd, c.xLen());
            float[] dy = random(rnd, c.yLen());

            float[] y = embed(new float[c.yLen()], 3f);
            AvgPool2d.forward(embed(x, 0), OFF, c.n(), c.c(), c.h(), c.w(),
                    c.kH(), c.kW(), c.sH(), c.sW(), c.pH(), c.pW(), y, OFF);
            assertClose(naiveForward(c, toDouble(x)), y, c + " forward");
            assertMargins(y, c.yLen(), c + " y");

            float[] dx = embed(new float[c.xLen()], -8f); // garbage to be overwritten
            AvgPool2d.backward(embed(dy, 0), OFF, c.n(), c.c(), c.h(), c.w(),
                    c.kH(), c.kW(), c.sH(), c.sW(), c.pH(), c.pW(), dx, OFF);
            assertClose(naiveBackward(c, toDouble(dy)), dx, c + " backward");
            assertMargins(dx, c.xLen(), c + " dx");
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        Cfg[] small = {
            new Cfg(2, 2, 5, 4, 3, 3, 2, 2, 1, 1),
            new Cfg(1, 3, 5, 5, 2, 2, 2, 2, 0, 0),
            new Cfg(2, 1, 4, 6, 2, 3, 1, 2, 1, 1),
        };
        long seed = 50;
        for (Cfg c : small) {
            Random rnd = new Random(seed++);
            float[] x = random(rnd, c.xLen());
            float[] r = random(rnd, c.yLen()); // L = sum(y * r)
            float[] dx = new float[c.xLen()];
            AvgPool2d.backward(r, 0, c.n(), c.c(), c.h(), c.w(),
                    c.kH(), c.kW(), c.sH(), c.sW(), c.pH(), c.pW(), dx, 0);
            double[] xd = toDouble(x), rd = toDouble(r);
            double eps = 1e-3;
            for (int i = 0; i < xd.length; i++) {
                double saved = xd[i];
                xd[i] = saved + eps;
                double lp = dot(naiveForward(c, xd), rd);
                xd[i] = saved - eps;
                double lm = dot(naiveForward(c, xd), rd);
                xd[i] = saved;
                double fd = (lp - lm) / (2 * eps);
                assertEquals(fd, dx[i], 1e-5 * (1 + Math.abs(fd)), c + " dx[" + i + "]");
            }
        }
    }

    /*
     * x (1x1x3x3) = 1 2 3
     *               4 5 6
     *               7 8 9
     * kernel 2, stride 1, no padding: y = (1+2+4+5)/4 (2+3+5+6)/4 / (4+5+7+8)/4 (5+6+8+9)/4 = 3 4 / 6 7.
     * With dy = all ones, dx = (number of windows covering the element)/4 = .25 .5 .25 / .5 1 .5 / .25 .5 .25.
     * kernel 2, stride 2, padding 1 (padded input 5x5, Hout = (3+2-2)/2+1 = 2); padding counts in the
     * divisor, which is always 4:
     *   y00 = x00/4 = 0.25, y01 = (x01+x02)/4 = 1.25, y10 = (x10+x20)/4 = 2.75, y11 = (5+6+8+9)/4 = 7.
     * The windows do not overlap, so dy = all ones gives dx = 0.25 everywhere.
     */
    @Test
    void handExamples() {
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] y = new float[4];
        AvgPool2d.forward(x, 0, 1, 1, 3, 3, 2, 2, 1, 1, 0, 0, y, 0);
        assertArrayEquals(new float[] {3, 4, 6, 7}, y, 0f);
        float[] dx = new float[9];
        AvgPool2d.backward(new float[] {1, 1, 1, 1}, 0, 1, 1, 3, 3, 2, 2, 1, 1, 0, 0, dx, 0);
        assertArrayEquals(new float[] {.25f, .5f, .25f, .5f, 1, .5f, .25f, .5f, .25f}, dx, 0f);

        AvgPool2d.forward(x, 0, 1, 1, 3, 3, 2, 2, 2, 2, 1, 1, y, 0);
        assertArrayEquals(new float[] {0.25f, 1.25f, 2.75f, 7f}, y, 0f);
        AvgPool2d.backward(new float[] {1, 1, 1, 1}, 0, 1, 1, 3, 3, 2, 2, 2, 2, 1, 1, dx, 0);
        float[] quarter = new float[9];
        Arrays.fill(quarter, 0.25f);
        assertArrayEquals(quarter, dx, 0f);
    }

    @Test
    void identityMayRunInPlace() {
        float[] x = random(new Random(9), 2 * 3 * 4 * 5);
        float[] copy = x.clone();
        AvgPool2d.forward(x, 0, 2, 3, 4, 5, 1, 1, 1, 1, 0, 0, x, 0);
        assertArrayEquals(copy, x, 0f);
        AvgPool2d.backward(x, 0, 2, 3, 4, 5, 1, 1, 1, 1, 0, 0, x, 0);
        assertArrayEquals(copy, x, 0f);
    }

    @Test
    void outSizeAndValidation() {
        assertEquals(3, AvgPool2d.outSize(7, 2, 2, 0));
        assertEquals(56, AvgPool2d.outSize(112, 3, 2, 1));
        assertEquals(7, AvgPool2d.outSize(7, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> AvgPool2d.outSize(8, 3, 1, 2)); // pad > k/2
        assertThrows(IllegalArgumentException.class, () -> AvgPool2d.outSize(2, 3, 1, 0));
        assertThrows(IndexOutOfBoundsException.class,
                () -> AvgPool2d.forward(new float[8], 0, 1, 1, 3, 3, 2, 2, 1, 1, 0, 0, new float[4], 0));
    }

    // ---------------------------------------------------------------------------------------

    /** Direct definition: sum over the whole kernel window with zero padding, divided by kH*kW. */
    private static double[] naiveForward(Cfg c, double[] x) {
        int hOut = c.hOut(), wOut = c.wOut();
        double[] y = new double[c.yLen()];
        for (int p = 0; p < c.n() * c.c(); p++) {
            for (int oh = 0; oh < hOut; oh++) {
                for (int ow = 0; ow < wOut; ow++) {
                    double s = 0;
                    for (int ki = 0; ki < c.kH(); ki++) {
                        for (int kj = 0; kj < c.kW(); kj++) {
                            int ih = oh * c.sH() - c.pH() + ki, iw = ow * c.sW() - c.pW() + kj;
                            if (ih >= 0 && ih < c.h() && iw >= 0 && iw < c.w()) s += x[(p * c.h() + ih) * c.w() + iw];
                        }
                    }
                    y[(p * hOut + oh) * wOut + ow] = s / (c.kH() * c.kW());
                }
            }
        }
        return y;
    }

    private static double[] naiveBackward(Cfg c, double[] dy) {
        int hOut = c.hOut(), wOut = c.wOut();
        double[] dx = new double[c.xLen()];
        for (int p = 0; p < c.n() * c.c(); p++) {
            for (int oh = 0; oh < hOut; oh++) {
                for (int ow = 0; ow < wOut; ow++) {
                    double g = dy[(p * hOut + oh) * wOut + ow] / (c.kH() * c.kW());
                    for (int ki = 0; ki < c.kH(); ki++) {
                        for (int kj = 0; kj < c.kW(); kj++) {
                            int ih = oh * c.sH() - c.pH() + ki, iw = ow * c.sW() - c.pW() + kj;
                            if (ih >= 0 && ih < c.h() && iw >= 0 && iw < c.w()) dx[(p * c.h() + ih) * c.w() + iw] += g;
                        }
                    }
                }
            }
        }
        return dx;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** Uniform in [-1, -0.05] U [0.05, 1]: never zero. */
    private static float[] random(Random rnd, int len) {
        float[] a = new float[len];
        for (int i = 0; i < len; i++) {
            float v = 0.05f + 0.95f * rnd.nextFloat();
            a[i] = rnd.nextBoolean() ? v : -v;
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

    private static void assertMargins(float[] embedded, int len, String what) {
        for (int i = 0; i < OFF; i++) assertEquals(SENTINEL, embedded[i], what + " head margin");
        for (int i = OFF + len; i < embedded.length; i++) assertEquals(SENTINEL, embedded[i], what + " tail margin");
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    /** got (embedded at OFF) close to ref elementwise. */
    private static void assertClose(double[] ref, float[] got, String what) {
        for (int i = 0; i < ref.length; i++) {
            double d = Math.abs((double) got[OFF + i] - ref[i]);
            if (!(d <= 2e-6 * (1 + Math.abs(ref[i])))) {
                fail(what + ": at " + i + " expected " + ref[i] + " got " + got[OFF + i]);
            }
        }
    }
}
