package jclip.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/*
 * RowNormalize (y_r / max(‖y_r‖, eps) in place, and its backward) against a double reference and
 * central finite differences, at awkward sizes, with a row whose norm is below eps (clamped: the
 * output is raw / eps, and the norm has no gradient).
 */
class RowNormalizeTest {
    private static final float EPS = 1e-6f;

    /** rows x cols of uniform values in [-2, 2], row `tiny` scaled below EPS in norm. */
    private static float[] raw(SplittableRandom random, int rows, int cols, int tiny) {
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) (random.nextDouble() * 4 - 2);
        if (tiny >= 0) for (int c = 0; c < cols; c++) x[tiny * cols + c] *= 1e-8f;
        return x;
    }

    /** ‖row r‖ of x, in double. */
    private static double norm(double[] x, int r, int cols) {
        double squares = 0;
        for (int c = 0; c < cols; c++) squares += x[r * cols + c] * x[r * cols + c];
        return Math.sqrt(squares);
    }

    private static double[] widen(float[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i];
        return y;
    }

    @Test
    void forwardMatchesDoubleReference() {
        SplittableRandom random = new SplittableRandom(1);
        int[][] shapes = {{1, 1}, {7, 33}, {257, 512}, {33, 1000}};
        for (int[] s : shapes) {
            int rows = s[0], cols = s[1];
            float[] y = raw(random, rows, cols, rows / 2);
            double[] x = widen(y);
            float[] invNorm = new float[rows];
            RowNormalize.forward(y, invNorm, rows, cols, EPS);
            for (int r = 0; r < rows; r++) {
                double inv = 1 / Math.max(norm(x, r, cols), EPS);
                assertEquals(inv, invNorm[r], 1e-6 * inv, rows + "x" + cols + " invNorm[" + r + "]");
                for (int c = 0; c < cols; c++)
                    assertEquals(x[r * cols + c] * inv, y[r * cols + c], 1e-6, rows + "x" + cols + " y[" + r + ", " + c + "]");
            }
        }
    }

    /** Σ gy·normalise(x) in double: the loss whose gradient the backward gives. */
    private static double loss(double[] x, float[] gy, int rows, int cols) {
        double sum = 0;
        for (int r = 0; r < rows; r++) {
            double inv = 1 / Math.max(norm(x, r, cols), EPS);
            for (int c = 0; c < cols; c++) sum += gy[r * cols + c] * x[r * cols + c] * inv;
        }
        return sum;
    }

    @Test
    void backwardMatchesDoubleReferenceAndFiniteDifferences() {
        SplittableRandom random = new SplittableRandom(2);
        int[][] shapes = {{1, 1}, {7, 33}, {257, 512}, {3, 5}};
        for (int[] s : shapes) {
            int rows = s[0], cols = s[1];
            float[] y = raw(random, rows, cols, rows > 1 ? 1 : -1);
            double[] x = widen(y);
            float[] invNorm = new float[rows], gy = raw(random, rows, cols, -1), gRaw = new float[rows * cols];
            RowNormalize.forward(y, invNorm, rows, cols, EPS);
            RowNormalize.backward(y, invNorm, gy, gRaw, rows, cols, EPS);
            // The analytic gradient in double: (gy − ŷ·(gy·ŷ)) / ‖x‖, or gy / eps where clamped.
            for (int r = 0; r < rows; r++) {
                double norm = norm(x, r, cols), dot = 0;
                for (int c = 0; c < cols; c++) dot += gy[r * cols + c] * x[r * cols + c] / norm;
                for (int c = 0; c < cols; c++) {
                    int e = r * cols + c;
                    double expected = norm < EPS ? gy[e] / EPS : (gy[e] - x[e] / norm * dot) / norm;
                    assertEquals(expected, gRaw[e], 1e-5 * (Math.abs(expected) + 1 / Math.max(norm, EPS) * 1e-2),
                            rows + "x" + cols + " gRaw[" + r + ", " + c + "]");
                }
            }
            if (rows * cols > 64) continue;
            // Central differences of the double loss (steps relative to each row's norm).
            for (int e = 0; e < rows * cols; e++) {
                double h = 1e-4 * Math.max(norm(x, e / cols, cols), 1e-12);
                double saved = x[e];
                x[e] = saved + h;
                double up = loss(x, gy, rows, cols);
                x[e] = saved - h;
                double down = loss(x, gy, rows, cols);
                x[e] = saved;
                double numeric = (up - down) / (2 * h);
                assertEquals(numeric, gRaw[e], 1e-4 * (Math.abs(numeric) + 1), rows + "x" + cols + " finite difference [" + e + "]");
            }
        }
    }
}
