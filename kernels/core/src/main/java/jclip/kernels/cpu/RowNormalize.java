package jclip.kernels.cpu;

/** Each row of y [rows, cols] divided by its Euclidean norm (clamped below at eps), in place, and its backward. */
public final class RowNormalize {
    private RowNormalize() {}

    public static void forward(float[] y, float[] invNorm, int rows, int cols, float eps) {
        Parallel.forRange(rows, 2L * cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * cols;
                double squares = 0;
                for (int c = 0; c < cols; c++) squares += (double) y[o + c] * y[o + c];
                float inv = (float) (1 / Math.max(Math.sqrt(squares), eps));
                invNorm[r] = inv;
                for (int c = 0; c < cols; c++) y[o + c] *= inv;
            }
        });
    }

    /** y is the normalised output; a clamped row (norm below eps) passes gy·invNorm, its norm having no gradient. */
    public static void backward(float[] y, float[] invNorm, float[] gy, float[] gRaw, int rows, int cols, float eps) {
        Parallel.forRange(rows, 3L * cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * cols;
                float inv = invNorm[r];
                if (inv >= (float) (1 / (double) eps)) {  // clamped: y = raw / eps
                    for (int c = 0; c < cols; c++) gRaw[o + c] = gy[o + c] * inv;
                    continue;
                }
                double dot = 0;
                for (int c = 0; c < cols; c++) dot += (double) gy[o + c] * y[o + c];
                float projection = (float) dot;
                for (int c = 0; c < cols; c++) gRaw[o + c] = inv * (gy[o + c] - y[o + c] * projection);
            }
        });
    }
}
