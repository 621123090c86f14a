package jclip.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import org.junit.jupiter.api.Test;

/*
 * x [N, Cin, H, W], weight [Cout, Cin, kH, kW], bias [Cout], y [N, Cout, Hout, Wout].
 * Conv2d (im2col + Gemm) against Conv2d.Reference (direct loops), against central finite
 * differences of a double-precision convolution written here, and against hand-worked examples.
 */
class Conv2dTest {
    /** Arrays are embedded at this offset in a larger array whose margins must stay untouched. */
    private static final int OFF = 5, TAIL = 3;
    private static final float SENTINEL = 1234.5f;

    /** One convolution configuration. */
    record Cfg(int n, int cIn, int h, int w, int cOut, int kH, int kW, int sH, int sW, int pH, int pW, boolean bias) {
        int hOut() { return Conv2d.outSize(h, kH, sH, pH); }
        int wOut() { return Conv2d.outSize(w, kW, sW, pW); }
        int xLen() { return n * cIn * h * w; }
        int wLen() { return cOut * cIn * kH * kW; }
        int yLen() { return n * cOut * hOut() * wOut(); }
    }

    // ---------------------------------------------------------------------------------------
    // fast path vs reference

    @Test
    void generic3x3Stride1Pad1() {
        compareWithReference(new Cfg(3, 5, 13, 11, 7, 3, 3, 1, 1, 1, 1, true), 1);
    }

    @Test
    void stride2Pad1OddSizesBatch1() {
        compareWithReference(new Cfg(1, 3, 17, 15, 9, 3, 3, 2, 2, 1, 1, true), 2);
    }

    @Test
    void pointwise1x1() {
        compareWithReference(new Cfg(3, 6, 9, 7, 10, 1, 1, 1, 1, 0, 0, true), 3);
        compareWithReference(new Cfg(1, 13, 5, 5, 3, 1, 1, 1, 1, 0, 0, false), 4);
    }

    @Test
    void oneByOneStride2TakesGenericPath() {
        compareWithReference(new Cfg(2, 5, 9, 8, 3, 1, 1, 2, 2, 0, 0, true), 5);
    }

    @Test
    void stem7x7Stride2Pad3() {
        compareWithReference(new Cfg(1, 3, 23, 21, 5, 7, 7, 2, 2, 3, 3, false), 6);
        compareWithReference(new Cfg(3, 3, 12, 9, 4, 7, 7, 2, 2, 3, 3, true), 7);
    }

    @Test
    void patchEmbeddingKernelEqualsStride() {
        compareWithReference(new Cfg(2, 3, 64, 64, 12, 32, 32, 32, 32, 0, 0, false), 8);
        // input not a multiple of the patch: the ragged edge is dropped
        compareWithReference(new Cfg(3, 3, 21, 18, 5, 4, 4, 4, 4, 0, 0, true), 9);
    }

    @Test
    void asymmetricKernelStrideAndPadding() {
        compareWithReference(new Cfg(3, 4, 10, 7, 5, 2, 3, 2, 1, 0, 1, true), 10);
        compareWithReference(new Cfg(1, 2, 6, 11, 3, 3, 1, 1, 3, 1, 0, false), 11);
    }

    @Test
    void paddingLargerThanInputEdges() {
        // kernel larger than the unpadded input; whole output rows and columns lie in the padding
        compareWithReference(new Cfg(1, 2, 2, 3, 3, 3, 3, 1, 1, 1, 1, true), 12);
        compareWithReference(new Cfg(2, 3, 4, 5, 4, 3, 3, 1, 1, 2, 2, true), 13);
        compareWithReference(new Cfg(1, 1, 3, 3, 2, 5, 5, 2, 2, 2, 2, false), 14);
        compareWithReference(new Cfg(1, 2, 1, 1, 3, 3, 3, 1, 1, 1, 1, true), 15);
    }

    @Test
    void largerParallelCase() {
        compareWithReference(new Cfg(4, 16, 28, 27, 24, 3, 3, 1, 1, 1, 1, true), 16);
    }

    private static void compareWithReference(Cfg c, long seed) {
        Random rnd = new Random(seed);
        float[] x = embed(random(rnd, c.xLen()));
        float[] wt = embed(random(rnd, c.wLen()));
        float[] b = c.bias() ? embed(random(rnd, c.cOut())) : null;
        float[] dy = embed(random(rnd, c.yLen()));
        int k = c.cIn() * c.kH() * c.kW();

        // forward
        float[] yFast = embed(new float[c.yLen()]);
        float[] yRef = embed(new float[c.yLen()]);
        fill(yFast, c.yLen(), 77f); // garbage that must be overwritten
        Conv2d.forward(x, OFF, c.n(), c.cIn(), c.h(), c.w(), wt, OFF, b, OFF,
                c.cOut(), c.kH(), c.kW(), c.sH(), c.sW(), c.pH(), c.pW(), yFast, OFF);
        Conv2d.Reference.forward(x, OFF, c.n(), c.cIn(), c.h(), c.w(), wt, OFF, b, OFF,
                c.cOut(), c.kH(), c.kW(), c.sH(), c.sW(), c.pH(), c.pW(), yRef, OFF);
        assertClose(yRef, yFast, 1e-5 * Math.sqrt(k), c + " forward");
        assertMargins(yFast, c.yLen(), "y");

        // backward input
        float[] dxFast = embed(new float[c.xLen()]);
        float[] dxRef = embed(new float[c.xLen()]);
        fill(dxFast, c.xLen(), -55f);
        Conv2d.backwardInput(dy, OFF, wt, OFF, c.n(), c.cIn(), c.h(), c.w(),
                c.cOut(), c.kH(), c.kW(), c.sH(), c.sW(), c.pH(), c.pW(), dxFast, OFF);
        Conv2d.Reference.backwardInput(dy, OFF, wt, OFF, c.n(), c.cIn(), c.h(), c.w(),
                c.cOut(), c.kH(), c.kW(), c.sH(), c.sW(), c.pH(), c.pW(), dxRef, OFF);
        assertClose(dxRef, dxFast, 1e-5 * Math.sqrt(c.cOut() * c.kH() * c.kW()), c + " backwardInput");
        assertMargins(dxFast, c.xLen(), "dx");

        // backward weight: accumulates on top of existing values
        float[] init = random(rnd, c.wLen());
        float[] dwFast = embed(init.clone());
        float[] dwRef = embed(init.clone());
        float[] dbFast = c.bias() ? embed(new float[c.cOut()]) : null;
        float[] dbRef = c.bias() ? embed(new float[c.cOut()]) : null;
        if (c.bias()) {
            fill(dbFast, c.cOut(), 0.25f);
            fill(dbRef, c.cOut(), 0.25f);
        }
        Conv2d.backwardWeight(x, OFF, dy, OFF, c.n(), c.cIn(), c.h(), c.w(),
                c.cOut(), c.kH(), c.kW(), c.sH(), c.sW(), c.pH(), c.pW(), dwFast, OFF, dbFast, OFF);
        Conv2d.Reference.backwardWeight(x, OFF, dy, OFF, c.n(), c.cIn(), c.h(), c.w(),
                c.cOut(), c.kH(), c.kW(), c.sH(), c.sW(), c.pH(), c.pW(), dwRef, OFF, dbRef, OFF);
        double terms = Math.sqrt((double) c.n() * c.hOut() * c.wOut());
        assertClose(dwRef, dwFast, 1e-5 * terms, c + " backwardWeight dW");
        assertMargins(dwFast, c.wLen(), "dW");
        if (c.bias()) {
            assertClose(dbRef, dbFast, 1e-5 * terms, c + " backwardWeight dBias");
            assertMargins(dbFast, c.cOut(), "dBias");
        }
    }

    // ---------------------------------------------------------------------------------------
    // gradients vs central finite differences in double

    @Test
    void gradientsMatchFiniteDifferences() {
        Cfg[] cfgs = {
            new Cfg(2, 3, 7, 6, 4, 3, 3, 2, 2, 1, 1, true),
            new Cfg(1, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1, true),
            new Cfg(2, 4, 3, 5, 3, 1, 1, 1, 1, 0, 0, true),   // pointwise
            new Cfg(1, 3, 8, 8, 5, 4, 4, 4, 4, 0, 0, true),   // patch
            new Cfg(1, 2, 9, 7, 2, 7, 7, 2, 2, 3, 3, false),  // stem-like
        };
        long seed = 100;
        for (Cfg c : cfgs) checkFiniteDifferences(c, seed++);
    }

    private static void checkFiniteDifferences(Cfg c, long seed) {
        Random rnd = new Random(seed);
        float[] x = random(rnd, c.xLen());
        float[] wt = random(rnd, c.wLen());
        float[] b = c.bias() ? random(rnd, c.cOut()) : null;
        float[] r = random(rnd, c.yLen()); // L = sum(y * r), so dL/dy = r

        float[] dx = new float[c.xLen()];
        Conv2d.backwardInput(r, 0, wt, 0, c.n(), c.cIn(), c.h(), c.w(),
                c.cOut(), c.kH(), c.kW(), c.sH(), c.sW(), c.pH(), c.pW(), dx, 0);
        float[] dw = new float[c.wLen()];
        float[] db = c.bias() ? new float[c.cOut()] : null;
        Conv2d.backwardWeight(x, 0, r, 0, c.n(), c.cIn(), c.h(), c.w(),
                c.cOut(), c.kH(), c.kW(), c.sH(), c.sW(), c.pH(), c.pW(), dw, 0, db, 0);

        double[] xd = toDouble(x), wd = toDouble(wt), bd = b == null ? null : toDouble(b), rd = toDouble(r);
        double eps = 1e-3;
        checkFd(c, xd, wd, bd, rd, xd, dx, eps, "dx");
        checkFd(c, xd, wd, bd, rd, wd, dw, eps, "dW");
        if (b != null) checkFd(c, xd, wd, bd, rd, bd, db, eps, "dBias");
    }

    /** Perturbs each element of {@code target} (one of x, w, b) and compares dL/dtarget with {@code grad}. */
    private static void checkFd(Cfg c, double[] x, double[] w, double[] b, double[] r,
            double[] target, float[] grad, double eps, String what) {
        for (int i = 0; i < target.length; i++) {
            double saved = target[i];
            target[i] = saved + eps;
            double lp = loss(c, x, w, b, r);
            target[i] = saved - eps;
            double lm = loss(c, x, w, b, r);
            target[i] = saved;
            double fd = (lp - lm) / (2 * eps);
            assertEquals(fd, grad[i], 1e-4 * (1 + Math.abs(fd)), c + " " + what + "[" + i + "]");
        }
    }

    /** sum(convDouble(x, w, b) * r), a direct double-precision convolution independent of the kernels. */
    private static double loss(Cfg c, double[] x, double[] w, double[] b, double[] r) {
        int hOut = c.hOut(), wOut = c.wOut();
        double total = 0;
        for (int i = 0; i < c.n(); i++) {
            for (int co = 0; co < c.cOut(); co++) {
                for (int oh = 0; oh < hOut; oh++) {
                    for (int ow = 0; ow < wOut; ow++) {
                        double s = b == null ? 0 : b[co];
                        for (int ci = 0; ci < c.cIn(); ci++) {
                            for (int ki = 0; ki < c.kH(); ki++) {
                                for (int kj = 0; kj < c.kW(); kj++) {
                                    int ih = oh * c.sH() - c.pH() + ki, iw = ow * c.sW() - c.pW() + kj;
                                    if (ih < 0 || ih >= c.h() || iw < 0 || iw >= c.w()) continue;
                                    s += x[((i * c.cIn() + ci) * c.h() + ih) * c.w() + iw]
                                            * w[((co * c.cIn() + ci) * c.kH() + ki) * c.kW() + kj];
                                }
                            }
                        }
                        total += s * r[((i * c.cOut() + co) * hOut + oh) * wOut + ow];
                    }
                }
            }
        }
        return total;
    }

    // ---------------------------------------------------------------------------------------
    // hand-worked examples

    /*
     * x (1x1x3x3) = 1 2 3     w (1x1x2x2) = 1 2     bias = 0.5, stride 1, no padding: y is 2x2
     *               4 5 6                   3 4
     *               7 8 9
     * y00 = 1*1 + 2*2 + 4*3 + 5*4 = 37 (+0.5)   y01 = 2*1 + 3*2 + 5*3 + 6*4 = 47 (+0.5)
     * y10 = 4*1 + 5*2 + 7*3 + 8*4 = 67 (+0.5)   y11 = 5*1 + 6*2 + 8*3 + 9*4 = 77 (+0.5)
     * With dy = all ones:
     *   dx[i][j] = sum of the kernel taps that touch (i, j):
     *     1  1+2  2        1  3  2
     *     1+3 1+2+3+4 2+4 = 4 10  6
     *     3  3+4  4        3  7  4
     *   dW[a][b] = sum of the 2x2 window of x starting at (a, b): 1+2+4+5=12, 2+3+5+6=16,
     *              4+5+7+8=24, 5+6+8+9=28;  dBias = 4 (four outputs)
     */
    @Test
    void handExampleStride1() {
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] w = {1, 2, 3, 4};
        float[] b = {0.5f};
        float[] y = new float[4];
        Conv2d.forward(x, 0, 1, 1, 3, 3, w, 0, b, 0, 1, 2, 2, 1, 1, 0, 0, y, 0);
        assertArrayEquals(new float[] {37.5f, 47.5f, 67.5f, 77.5f}, y, 0f);

        float[] ones = {1, 1, 1, 1};
        float[] dx = new float[9];
        Conv2d.backwardInput(ones, 0, w, 0, 1, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, dx, 0);
        assertArrayEquals(new float[] {1, 3, 2, 4, 10, 6, 3, 7, 4}, dx, 0f);

        float[] dw = {100, 100, 100, 100}; // accumulated onto
        float[] db = {-1};
        Conv2d.backwardWeight(x, 0, ones, 0, 1, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, dw, 0, db, 0);
        assertArrayEquals(new float[] {112, 116, 124, 128}, dw, 0f);
        assertArrayEquals(new float[] {3}, db, 0f);
    }

    /*
     * Same x and w, stride 2, padding 1, no bias: the padded input is 5x5, Hout = (3+2-2)/2+1 = 2.
     * Each output sees a 2x2 window of the padded input starting at padded (2*oh, 2*ow):
     *   y00: only x00 under w11           = 1*4             = 4
     *   y01: x01 under w10, x02 under w11 = 2*3 + 3*4       = 18
     *   y10: x10 under w01, x20 under w11 = 4*2 + 7*4       = 36
     *   y11: x11 x12 x21 x22 under w      = 5*1+6*2+8*3+9*4 = 77
     * The windows do not overlap, so with dy = all ones every x gets exactly one tap:
     *   dx = 4 3 4 / 2 1 2 / 4 3 4
     * and dW[a][b] = sum of the x values seen through tap (a, b):
     *   w00 sees x11 = 5, w01 sees x10 + x12 = 10, w10 sees x01 + x21 = 10,
     *   w11 sees x00 + x02 + x20 + x22 = 20
     */
    @Test
    void handExampleStride2Pad1() {
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] w = {1, 2, 3, 4};
        assertEquals(2, Conv2d.outSize(3, 2, 2, 1));
        float[] y = new float[4];
        Conv2d.forward(x, 0, 1, 1, 3, 3, w, 0, null, 0, 1, 2, 2, 2, 2, 1, 1, y, 0);
        assertArrayEquals(new float[] {4, 18, 36, 77}, y, 0f);

        float[] ones = {1, 1, 1, 1};
        float[] dx = new float[9];
        Conv2d.backwardInput(ones, 0, w, 0, 1, 1, 3, 3, 1, 2, 2, 2, 2, 1, 1, dx, 0);
        assertArrayEquals(new float[] {4, 3, 4, 2, 1, 2, 4, 3, 4}, dx, 0f);

        float[] dw = new float[4];
        Conv2d.backwardWeight(x, 0, ones, 0, 1, 1, 3, 3, 1, 2, 2, 2, 2, 1, 1, dw, 0, null, 0);
        assertArrayEquals(new float[] {5, 10, 10, 20}, dw, 0f);
    }

    @Test
    void outSizeAndValidation() {
        assertEquals(112, Conv2d.outSize(224, 3, 2, 1));
        assertEquals(7, Conv2d.outSize(224, 32, 32, 0));
        assertEquals(112, Conv2d.outSize(224, 7, 2, 3));
        assertEquals(56, Conv2d.outSize(56, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> Conv2d.outSize(2, 5, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Conv2d.outSize(8, 3, 0, 1));
        float[] small = new float[3];
        assertThrows(IndexOutOfBoundsException.class, () -> Conv2d.forward(small, 0, 1, 1, 3, 3,
                new float[4], 0, null, 0, 1, 2, 2, 1, 1, 0, 0, new float[4], 0));
    }

    // ---------------------------------------------------------------------------------------
    // helpers

    /** Uniform in [-1, -0.05] U [0.05, 1]: never zero. */
    static float[] random(Random rnd, int len) {
        float[] a = new float[len];
        for (int i = 0; i < len; i++) {
            float v = 0.05f + 0.95f * rnd.nextFloat();
            a[i] = rnd.nextBoolean() ? v : -v;
        }
        return a;
    }

    /** Copies a into a larger array at OFF, with SENTINEL margins. */
    static float[] embed(float[] a) {
        float[] out = new float[OFF + a.length + TAIL];
        java.util.Arrays.fill(out, SENTINEL);
        System.arraycopy(a, 0, out, OFF, a.length);
        return out;
    }

    static void fill(float[] embedded, int len, float v) {
        java.util.Arrays.fill(embedded, OFF, OFF + len, v);
    }

    static void assertMargins(float[] embedded, int len, String what) {
        for (int i = 0; i < OFF; i++) assertEquals(SENTINEL, embedded[i], what + " head margin");
        for (int i = OFF + len; i < embedded.length; i++) assertEquals(SENTINEL, embedded[i], what + " tail margin");
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    /** |got - ref| <= tol * (1 + |ref|) elementwise. */
    static void assertClose(float[] ref, float[] got, double tol, String what) {
        assertEquals(ref.length, got.length, what + " length");
        for (int i = 0; i < ref.length; i++) {
            double d = Math.abs((double) got[i] - ref[i]);
            if (!(d <= tol * (1 + Math.abs(ref[i])))) {
                fail(what + ": at " + i + " expected " + ref[i] + " got " + got[i]);
            }
        }
    }
}
