package jclip.kernels.cpu;

/**
 * Reductions over the middle dimension of x viewed as [outer, dim, inner]; out is [outer, inner].
 * Sums accumulate in double: this is the reference that GPU reductions are checked against.
 */
public final class Reduce {
    private Reduce() {}

    public static void sum(float[] x, int xo, int outer, int dim, int inner, float[] out, int oo) {
        Parallel.forRange(outer, (long) dim * inner, (from, to) -> {
            double[] acc = new double[inner];
            for (int o = from; o < to; o++) {
                java.util.Arrays.fill(acc, 0);
                int base = xo + o * dim * inner;
                for (int d = 0; d < dim; d++) {
                    int row = base + d * inner;
                    for (int i = 0; i < inner; i++) acc[i] += x[row + i];
                }
                for (int i = 0; i < inner; i++) out[oo + o * inner + i] = (float) acc[i];
            }
        });
    }

    /** Maximum; NaN wins, as in PyTorch. dim must be positive. */
    public static void max(float[] x, int xo, int outer, int dim, int inner, float[] out, int oo) {
        requireNonEmpty(dim);
        Parallel.forRange(outer, (long) dim * inner, (from, to) -> {
            for (int o = from; o < to; o++) {
                int base = xo + o * dim * inner;
                for (int i = 0; i < inner; i++) {
                    float m = x[base + i];
                    for (int d = 1; d < dim && m == m; d++) {
                        float v = x[base + d * inner + i];
                        if (v > m || v != v) m = v;
                    }
                    out[oo + o * inner + i] = m;
                }
            }
        });
    }

    /** Index of the first maximum (a NaN counts as the maximum). */
    public static void argmax(float[] x, int xo, int outer, int dim, int inner, long[] out, int oo) {
        requireNonEmpty(dim);
        Parallel.forRange(outer, (long) dim * inner, (from, to) -> {
            for (int o = from; o < to; o++) {
                int base = xo + o * dim * inner;
                for (int i = 0; i < inner; i++) {
                    float m = x[base + i];
                    int best = 0;
                    for (int d = 1; d < dim && m == m; d++) {
                        float v = x[base + d * inner + i];
                        if (v > m || v != v) {
                            m = v;
                            best = d;
                        }
                    }
                    out[oo + o * inner + i] = best;
                }
            }
        });
    }

    private static void requireNonEmpty(int dim) {
        if (dim <= 0) throw new IllegalArgumentException("max/argmax over an empty dimension");
    }
}
