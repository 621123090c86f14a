package jclip.kernels.cpu;

/**
 * Layer normalisation over the last dimension: x, y [rows, cols]; gamma, beta [cols];
 * mean, rstd [rows] saved for the backward. Statistics accumulate in double.
 */
public final class LayerNorm {
    private LayerNorm() {}

    public static void forward(float[] x, int xo, float[] gamma, float[] beta, float eps,
            float[] y, float[] mean, float[] rstd, int rows, int cols) {
        Parallel.forRange(rows, 4L * cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                int xi = xo + r * cols, yi = r * cols;
                double m = sum(x, xi, cols) / cols;
                double rs = 1 / Math.sqrt(squaredDeviations(x, xi, cols, m) / cols + eps);
                // The statistics in double; the output loop in float, which C2 vectorises. The mean
                // goes in as two floats: x − hi is exact for x near the mean (Sterbenz), so a large
                // common offset (1e4 + noise) loses nothing that the double loop keeps.
                float mf = (float) m, mLo = (float) (m - mf), rsf = (float) rs;
                for (int c = 0; c < cols; c++) y[yi + c] = ((x[xi + c] - mf) - mLo) * rsf * gamma[c] + beta[c];
                mean[r] = mf;
                rstd[r] = rsf;
            }
        });
    }

    // Σ x and Σ (x − m)² in double with four partial sums, added in a fixed order (the result
    // depends on the data only): one chain of double adds is bound by the add's latency, four keep
    // the adder busy.

    private static double sum(float[] x, int off, int n) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int c = 0;
        for (; c + 4 <= n; c += 4) {
            s0 += x[off + c];
            s1 += x[off + c + 1];
            s2 += x[off + c + 2];
            s3 += x[off + c + 3];
        }
        for (; c < n; c++) s0 += x[off + c];
        return (s0 + s1) + (s2 + s3);
    }

    private static double squaredDeviations(float[] x, int off, int n, double m) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int c = 0;
        for (; c + 4 <= n; c += 4) {
            double d0 = x[off + c] - m, d1 = x[off + c + 1] - m, d2 = x[off + c + 2] - m, d3 = x[off + c + 3] - m;
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        for (; c < n; c++) {
            double d = x[off + c] - m;
            s0 += d * d;
        }
        return (s0 + s1) + (s2 + s3);
    }

    /**
     * With x̂ = (x - mean)·rstd and g = gy·gamma:
     * gx = rstd · (g - mean(g) - x̂ · mean(g·x̂)); gGamma += Σ_rows gy·x̂; gBeta += Σ_rows gy.
     */
    public static void backward(float[] x, int xo, float[] gamma, float[] mean, float[] rstd, float[] gy,
            float[] gx, float[] gGamma, float[] gBeta, int rows, int cols) {
        Parallel.forRange(rows, 6L * cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                int xi = xo + r * cols, o = r * cols;
                double m = mean[r], rs = rstd[r];
                double sumG = 0, sumGX = 0;
                for (int c = 0; c < cols; c++) {
                    double g = (double) gy[o + c] * gamma[c];
                    double xh = (x[xi + c] - m) * rs;
                    sumG += g;
                    sumGX += g * xh;
                }
                double meanG = sumG / cols, meanGX = sumGX / cols;
                for (int c = 0; c < cols; c++) {
                    double g = (double) gy[o + c] * gamma[c];
                    double xh = (x[xi + c] - m) * rs;
                    gx[o + c] = (float) (rs * (g - meanG - xh * meanGX));
                }
            }
        });
        // Parameter gradients reduce over rows: one pass per column block keeps it deterministic.
        Parallel.forRange(cols, 4L * rows, (from, to) -> {
            for (int c = from; c < to; c++) {
                double sg = 0, sb = 0;
                for (int r = 0; r < rows; r++) {
                    double g = gy[r * cols + c];
                    sg += g * (x[xo + r * cols + c] - mean[r]) * rstd[r];
                    sb += g;
                }
                gGamma[c] += (float) sg;
                gBeta[c] += (float) sb;
            }
        });
    }
}
