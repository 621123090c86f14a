package jclip.kernels.cpu;

/** Softmax and log-softmax over the last dimension of x [rows, cols], max-subtracted for stability. */
public final class Softmax {
    private Softmax() {}

    public static void forward(boolean log, float[] x, int xo, float[] y, int yo, int rows, int cols) {
        Parallel.forRange(rows, 4L * cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                int xi = xo + r * cols, yi = yo + r * cols;
                float max = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < cols; c++) max = Math.max(max, x[xi + c]);
                // A row of all -inf (fully masked) gives NaN, as in PyTorch.
                double sum = 0;
                for (int c = 0; c < cols; c++) sum += Math.exp(x[xi + c] - max);
                if (log) {
                    double logSum = Math.log(sum);
                    for (int c = 0; c < cols; c++) y[yi + c] = (float) (x[xi + c] - max - logSum);
                } else {
                    double inv = 1 / sum;
                    for (int c = 0; c < cols; c++) y[yi + c] = (float) (Math.exp(x[xi + c] - max) * inv);
                }
            }
        });
    }

    /**
     * softmax: gx = y · (gy - Σ gy·y); log-softmax: gx = gy - exp(y) · Σ gy.
     */
    public static void backward(boolean log, float[] y, float[] gy, float[] gx, int rows, int cols) {
        Parallel.forRange(rows, 4L * cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * cols;
                double dot = 0;
                if (log) {
                    for (int c = 0; c < cols; c++) dot += gy[o + c];
                    for (int c = 0; c < cols; c++) gx[o + c] = (float) (gy[o + c] - Math.exp(y[o + c]) * dot);
                } else {
                    for (int c = 0; c < cols; c++) dot += (double) gy[o + c] * y[o + c];
                    for (int c = 0; c < cols; c++) gx[o + c] = (float) (y[o + c] * (gy[o + c] - dot));
                }
            }
        });
    }
}
