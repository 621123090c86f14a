package jclip.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/*
 * Reduce (sum, max, argmax over the middle of [outer, dim, inner]), Softmax and LayerNorm
 * forward against plain double loops written here, plus the NaN, tie, overflow and masking
 * cases. Gradients go through autograd in tensor's OpsTest; only the accumulation contract of
 * the layer-norm parameter gradients is checked here.
 */
class ReductionKernelsTest {

    private static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    // ---------------------------------------------------------------------------------------
    // Reduce

    /** Checks sum, max and argmax of x[xo ..] viewed as [outer, dim, inner] against loops. */
    private static void checkReduce(float[] x, int xo, int outer, int dim, int inner) {
        int oo = 2, n = outer * inner;
        float[] sum = new float[oo + n + 1], max = new float[oo + n + 1];
        long[] arg = new long[oo + n + 1];
        Arrays.fill(sum, -9f);
        Arrays.fill(max, -9f);
        Arrays.fill(arg, -9);
        Reduce.sum(x, xo, outer, dim, inner, sum, oo);
        Reduce.max(x, xo, outer, dim, inner, max, oo);
        Reduce.argmax(x, xo, outer, dim, inner, arg, oo);
        for (int k : new int[] {0, 1, oo + n}) {
            assertEquals(-9f, sum[k], "sum wrote outside its output");
            assertEquals(-9f, max[k], "max wrote outside its output");
            assertEquals(-9, arg[k], "argmax wrote outside its output");
        }
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++) {
                double s = 0;
                float m = Float.NEGATIVE_INFINITY;
                int best = -1;
                for (int d = 0; d < dim; d++) {
                    float v = x[xo + (o * dim + d) * inner + i];
                    s += v;
                    if (best < 0 || v > m) {
                        m = v;
                        best = d;
                    }
                }
                String at = "[" + o + ", :, " + i + "] of [" + outer + ", " + dim + ", " + inner + "]";
                assertEquals((float) s, sum[oo + o * inner + i], 1e-6f * (1 + Math.abs((float) s)), "sum " + at);
                assertEquals(m, max[oo + o * inner + i], 0f, "max " + at);
                assertEquals(best, arg[oo + o * inner + i], "argmax " + at);
            }
    }

    @Test
    void reduceMatchesLoopsWithInnerGreaterThanOne() {
        Random r = new Random(1);
        checkReduce(random(r, 3 + 3 * 5 * 4), 3, 3, 5, 4);
        checkReduce(random(r, 7 * 2), 0, 1, 7, 2);
        checkReduce(random(r, 6), 0, 6, 1, 1);          // dim 1
        checkReduce(random(r, 5 * 9), 0, 5, 9, 1);      // inner 1
        // small integers: many ties
        float[] ties = new float[4 * 6 * 3];
        for (int i = 0; i < ties.length; i++) ties[i] = r.nextInt(3);
        checkReduce(ties, 0, 4, 6, 3);
    }

    @Test
    void reduceOnParallelPathMatchesLoops() {
        Random r = new Random(2);
        checkReduce(random(r, 1 + 4096 * 33 * 3), 1, 4096, 33, 3);
    }

    @Test
    void sumAccumulatesInDouble() {
        // in float, 1e8 + 1 - 1e8 is 0
        float[] x = {1e8f, 1f, -1e8f, 0.5f};
        float[] out = new float[1];
        Reduce.sum(x, 0, 1, 4, 1, out, 0);
        assertEquals(1.5f, out[0]);
        float[] many = new float[100_000];
        Arrays.fill(many, 0.1f);
        Reduce.sum(many, 0, 1, many.length, 1, out, 0);
        assertEquals((float) (100_000 * (double) 0.1f), out[0]); // float accumulation drifts by ~1e-3 relative
    }

    @Test
    void firstIndexWinsTies() {
        long[] arg = new long[2];
        Reduce.argmax(new float[] {1, 3, 3, 2, 3}, 0, 1, 5, 1, arg, 0);
        assertEquals(1, arg[0]);
        // inner 2: column 0 = {5, 5, 5}, column 1 = {0, 7, 7}
        Reduce.argmax(new float[] {5, 0, 5, 7, 5, 7}, 0, 1, 3, 2, arg, 0);
        assertArrayEquals(new long[] {0, 1}, arg);
        // -0 and +0 are equal: the first one wins
        Reduce.argmax(new float[] {-0f, 0f}, 0, 1, 2, 1, arg, 0);
        assertEquals(0, arg[0]);
        // all -inf: the first element
        Reduce.argmax(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, 0, 1, 2, 1, arg, 0);
        assertEquals(0, arg[0]);
        float[] max = new float[1];
        Reduce.max(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, 0, 1, 2, 1, max, 0);
        assertEquals(Float.NEGATIVE_INFINITY, max[0]);
    }

    @Test
    void nanWinsMaxAndArgmaxAsInPyTorch() {
        float nan = Float.NaN;
        // columns of [1, 4, 3] (inner 3): NaN first, middle, last; and two NaNs
        float[][] cols = {
            {nan, 5, 9, 1}, // NaN at 0
            {1, nan, 9, 2}, // NaN at 1, a larger value after it
            {1, 2, 9, nan}, // NaN last
        };
        int dim = 4, inner = cols.length;
        float[] x = new float[dim * inner];
        for (int d = 0; d < dim; d++) for (int i = 0; i < inner; i++) x[d * inner + i] = cols[i][d];
        float[] max = new float[inner];
        long[] arg = new long[inner];
        Reduce.max(x, 0, 1, dim, inner, max, 0);
        Reduce.argmax(x, 0, 1, dim, inner, arg, 0);
        for (int i = 0; i < inner; i++) assertTrue(Float.isNaN(max[i]), "max of column " + i + " = " + max[i]);
        assertArrayEquals(new long[] {0, 1, 3}, arg);
        // two NaNs: the first one's index
        Reduce.argmax(new float[] {0, nan, 1, nan}, 0, 1, 4, 1, arg, 0);
        assertEquals(1, arg[0]);
        // NaN and +inf
        Reduce.argmax(new float[] {Float.POSITIVE_INFINITY, nan}, 0, 1, 2, 1, arg, 0);
        assertEquals(1, arg[0]);
        // a NaN in one row does not leak into another
        float[] two = {nan, 1, 2, 3};
        float[] m2 = new float[2];
        Reduce.max(two, 0, 2, 2, 1, m2, 0);
        assertTrue(Float.isNaN(m2[0]));
        assertEquals(3f, m2[1]);
        // sum: NaN propagates
        float[] s = new float[1];
        Reduce.sum(new float[] {1, nan, 2}, 0, 1, 3, 1, s, 0);
        assertTrue(Float.isNaN(s[0]));
    }

    @Test
    void maxOverEmptyDimensionThrows() {
        assertThrows(IllegalArgumentException.class, () -> Reduce.max(new float[0], 0, 2, 0, 1, new float[2], 0));
        assertThrows(IllegalArgumentException.class, () -> Reduce.argmax(new float[0], 0, 2, 0, 1, new long[2], 0));
        float[] s = {7f, 7f};
        Reduce.sum(new float[0], 0, 2, 0, 1, s, 0); // an empty sum is 0
        assertArrayEquals(new float[] {0f, 0f}, s);
    }

    // ---------------------------------------------------------------------------------------
    // Softmax

    private static double[] softmaxRef(float[] x, int off, int cols) {
        double m = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < cols; c++) m = Math.max(m, x[off + c]);
        double s = 0;
        for (int c = 0; c < cols; c++) s += Math.exp(x[off + c] - m);
        double[] y = new double[cols];
        for (int c = 0; c < cols; c++) y[c] = Math.exp(x[off + c] - m) / s;
        return y;
    }

    private static void checkSoftmax(float[] x, int xo, int rows, int cols) {
        int yo = 3;
        float[] y = new float[yo + rows * cols + 2], ly = new float[yo + rows * cols + 2];
        Arrays.fill(y, -5f);
        Arrays.fill(ly, -5f);
        Softmax.forward(false, x, xo, y, yo, rows, cols);
        Softmax.forward(true, x, xo, ly, yo, rows, cols);
        for (int k : new int[] {0, yo - 1, yo + rows * cols, yo + rows * cols + 1}) {
            assertEquals(-5f, y[k], "softmax wrote outside its output");
            assertEquals(-5f, ly[k], "log-softmax wrote outside its output");
        }
        for (int r = 0; r < rows; r++) {
            double[] ref = softmaxRef(x, xo + r * cols, cols);
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                float v = y[yo + r * cols + c];
                sum += v;
                assertEquals(ref[c], v, 1e-6 * ref[c] + 1e-30, "softmax row " + r + " col " + c);
                assertEquals(Math.log(ref[c]), ly[yo + r * cols + c], 1e-5 * Math.max(1, Math.abs(Math.log(ref[c]))),
                        "log-softmax row " + r + " col " + c);
            }
            assertEquals(1.0, sum, 1e-5, "softmax row " + r + " sums to");
        }
    }

    @Test
    void softmaxRowsMatchReferenceAndSumToOne() {
        Random r = new Random(4);
        float[] x = random(r, 5 + 6 * 17);
        for (int i = 0; i < x.length; i++) x[i] *= 4;
        checkSoftmax(x, 5, 6, 17);
        checkSoftmax(new float[] {3f}, 0, 1, 1); // one column: 1 and 0
        float[] y = new float[1];
        Softmax.forward(false, new float[] {3f}, 0, y, 0, 1, 1);
        assertEquals(1f, y[0]);
        Softmax.forward(true, new float[] {3f}, 0, y, 0, 1, 1);
        assertEquals(0f, y[0]);
    }

    @Test
    void softmaxOnParallelPath() {
        Random r = new Random(5);
        checkSoftmax(random(r, 2000 * 77), 0, 2000, 77);
    }

    @Test
    void softmaxHandValues() {
        float[] y = new float[3];
        Softmax.forward(false, new float[] {1, 2, 3}, 0, y, 0, 1, 3);
        assertArrayEquals(new float[] {0.09003057f, 0.24472847f, 0.66524096f}, y, 1e-7f);
        Softmax.forward(true, new float[] {1, 2, 3}, 0, y, 0, 1, 3);
        assertArrayEquals(new float[] {-2.4076059f, -1.4076059f, -0.40760595f}, y, 1e-6f);
    }

    @Test
    void softmaxIsStableForLargeInputs() {
        float[] y = new float[3];
        for (float shift : new float[] {1e4f, -1e4f, 5e4f}) {
            Softmax.forward(false, new float[] {shift, shift - 1, shift - 2}, 0, y, 0, 1, 3);
            assertArrayEquals(new float[] {0.66524096f, 0.24472847f, 0.09003057f}, y, 1e-6f, "softmax shifted by " + shift);
            Softmax.forward(true, new float[] {shift, shift - 1, shift - 2}, 0, y, 0, 1, 3);
            assertArrayEquals(new float[] {-0.40760595f, -1.4076059f, -2.4076059f}, y, 1e-5f, "log-softmax shifted by " + shift);
        }
        float[] y2 = new float[2];
        Softmax.forward(false, new float[] {1e4f, -1e4f}, 0, y2, 0, 1, 2);
        assertArrayEquals(new float[] {1f, 0f}, y2);
        Softmax.forward(true, new float[] {1e4f, -1e4f}, 0, y2, 0, 1, 2);
        assertArrayEquals(new float[] {0f, -2e4f}, y2);
        // exp(3e38) overflows: only a max-subtracted softmax gets 1/2 here
        Softmax.forward(false, new float[] {3e38f, 3e38f}, 0, y2, 0, 1, 2);
        assertArrayEquals(new float[] {0.5f, 0.5f}, y2);
    }

    @Test
    void maskedEntriesAndFullyMaskedRows() {
        float ninf = Float.NEGATIVE_INFINITY;
        // row 0 partly masked, row 1 fully masked, row 2 ordinary
        float[] x = {0f, ninf, 0f, ninf, ninf, ninf, 1f, 2f, 3f};
        float[] y = new float[9], ly = new float[9];
        Softmax.forward(false, x, 0, y, 0, 3, 3);
        Softmax.forward(true, x, 0, ly, 0, 3, 3);
        assertArrayEquals(new float[] {0.5f, 0f, 0.5f}, Arrays.copyOfRange(y, 0, 3));
        assertEquals(ninf, ly[1], "log-softmax of a masked entry");
        assertEquals((float) Math.log(0.5), ly[0], 1e-7f);
        for (int c = 3; c < 6; c++) {
            // documented: a fully -inf row gives NaN, as in PyTorch
            assertTrue(Float.isNaN(y[c]), "softmax of a fully masked row: " + y[c]);
            assertTrue(Float.isNaN(ly[c]), "log-softmax of a fully masked row: " + ly[c]);
        }
        assertArrayEquals(new float[] {0.09003057f, 0.24472847f, 0.66524096f}, Arrays.copyOfRange(y, 6, 9), 1e-7f,
                "the row after a masked one is unaffected");
    }

    // ---------------------------------------------------------------------------------------
    // LayerNorm

    private static void checkLayerNorm(float[] x, int xo, int rows, int cols, float eps, Random r) {
        float[] gamma = random(r, cols), beta = random(r, cols);
        float[] y = new float[rows * cols], mean = new float[rows], rstd = new float[rows];
        LayerNorm.forward(x, xo, gamma, beta, eps, y, mean, rstd, rows, cols);
        for (int row = 0; row < rows; row++) {
            double m = 0;
            for (int c = 0; c < cols; c++) m += x[xo + row * cols + c];
            m /= cols;
            double v = 0;
            for (int c = 0; c < cols; c++) {
                double d = x[xo + row * cols + c] - m;
                v += d * d;
            }
            v /= cols; // biased variance, as PyTorch's layer_norm
            double rs = 1 / Math.sqrt(v + eps);
            assertEquals(m, mean[row], 1e-6 * Math.max(1, Math.abs(m)), "mean of row " + row);
            assertEquals(rs, rstd[row], 1e-6 * rs, "rstd of row " + row);
            for (int c = 0; c < cols; c++) {
                double e = (x[xo + row * cols + c] - m) * rs * gamma[c] + beta[c];
                assertEquals(e, y[row * cols + c], 1e-5 * Math.max(1, Math.abs(e)), "y[" + row + ", " + c + "]");
            }
        }
    }

    @Test
    void layerNormForwardMatchesDoubleLoop() {
        Random r = new Random(7);
        checkLayerNorm(random(r, 4 + 7 * 33), 4, 7, 33, 1e-5f, r);
        checkLayerNorm(random(r, 3 * 2), 0, 3, 2, 0f, r);
        // a large common offset: a one-pass E[x²]-E[x]² in float would lose the variance
        float[] big = random(r, 5 * 64);
        for (int i = 0; i < big.length; i++) big[i] = 1e4f + big[i];
        checkLayerNorm(big, 0, 5, 64, 1e-5f, r);
    }

    @Test
    void layerNormOnParallelPath() {
        Random r = new Random(8);
        checkLayerNorm(random(r, 2048 * 96), 0, 2048, 96, 1e-5f, r);
    }

    @Test
    void layerNormHandValues() {
        float[] y = new float[3], mean = new float[1], rstd = new float[1];
        LayerNorm.forward(new float[] {1, 2, 3}, 0, new float[] {1, 1, 1}, new float[] {0, 0, 0}, 0f, y, mean, rstd, 1, 3);
        assertArrayEquals(new float[] {-1.2247449f, 0f, 1.2247449f}, y, 1e-7f);
        assertEquals(2f, mean[0]);
        assertEquals((float) Math.sqrt(1.5), rstd[0], 1e-7f);
        // a constant row normalises to beta (eps keeps it finite)
        LayerNorm.forward(new float[] {4, 4, 4}, 0, new float[] {2, 2, 2}, new float[] {0.5f, -1, 3}, 1e-5f, y, mean, rstd, 1, 3);
        assertArrayEquals(new float[] {0.5f, -1f, 3f}, y);
    }

    @Test
    void layerNormBackwardAccumulatesParameterGradients() {
        Random r = new Random(9);
        int rows = 4, cols = 6;
        float[] x = random(r, rows * cols), gamma = random(r, cols), beta = random(r, cols), gy = random(r, rows * cols);
        float[] y = new float[rows * cols], mean = new float[rows], rstd = new float[rows];
        LayerNorm.forward(x, 0, gamma, beta, 1e-5f, y, mean, rstd, rows, cols);
        float[] gx = new float[rows * cols], gGamma = new float[cols], gBeta = new float[cols];
        LayerNorm.backward(x, 0, gamma, mean, rstd, gy, gx, gGamma, gBeta, rows, cols);
        float[] once = gGamma.clone(), onceBeta = gBeta.clone();
        for (int c = 0; c < cols; c++) {
            double sb = 0, sg = 0;
            for (int row = 0; row < rows; row++) {
                sb += gy[row * cols + c];
                sg += gy[row * cols + c] * (x[row * cols + c] - (double) mean[row]) * rstd[row]; // gy·x̂
            }
            assertEquals(sb, onceBeta[c], 1e-5, "gBeta[" + c + "]");
            assertEquals(sg, once[c], 1e-4, "gGamma[" + c + "]");
        }
        // a second backward adds to them (documented: +=); gx is overwritten
        float[] gx1 = gx.clone();
        LayerNorm.backward(x, 0, gamma, mean, rstd, gy, gx, gGamma, gBeta, rows, cols);
        assertArrayEquals(gx1, gx, "gx is written, not accumulated");
        for (int c = 0; c < cols; c++) {
            assertEquals(2 * once[c], gGamma[c], 1e-6f * (1 + Math.abs(once[c])), "gGamma accumulates");
            assertEquals(2 * onceBeta[c], gBeta[c], 1e-6f * (1 + Math.abs(onceBeta[c])), "gBeta accumulates");
        }
        // gx of a layer norm sums to zero over each row (the mean direction is projected out), with gamma = 1
        Arrays.fill(gamma, 1f);
        LayerNorm.backward(x, 0, gamma, mean, rstd, gy, gx, new float[cols], new float[cols], rows, cols);
        for (int row = 0; row < rows; row++) {
            double s = 0;
            for (int c = 0; c < cols; c++) s += gx[row * cols + c];
            if (Math.abs(s) > 1e-5) fail("row " + row + " of gx sums to " + s);
        }
    }
}
