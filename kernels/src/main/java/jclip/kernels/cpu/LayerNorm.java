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
                double s = 0;
                for (int c = 0; c < cols; c++) s += x[xi + c];
                double m = s / cols;
                double v = 0;
                for (int c = 0; c < cols; c++) {
                    double d = x[xi + c] - m;
                    v += d * d;
                }
                double rs = 1 / Math.sqrt(v / cols + eps);
                for (int c = 0; c < cols; c++)
                    y[yi + c] = (float) ((x[xi + c] - m) * rs * gamma[c] + beta[c]);
                mean[r] = (float) m;
                rstd[r] = (float) rs;
            }
        });
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
