package jclip.kernels.cpu;

import java.util.Arrays;

/**
 * Plain-Java tile kernel, used when the Vector API module is absent (e.g. {@code java -jar} without
 * {@code --add-modules}) or disabled with {@code -Djclip.vector=false}. As in {@link GemmScalarKernel},
 * JDK 17's superword vectorises a loop only when all its array indices share one loop-invariant
 * part, so {@link #multiply} copies the k rows of B into arrays of their own and accumulates each
 * row of C in a scratch row, all indexed by the bare column: the inner loop then becomes packed
 * FMAs. The copy costs k·n moves per call against m·k·n FMAs, and Attention's tiles have m ≥ 16.
 * The exponential is {@link Math#exp}, about 6 ns a call here (the Vector API's is 0.5 ns).
 */
final class AttentionScalarKernel implements AttentionTileKernel {
    /** Per-thread copies of B's rows and one accumulator row, grown on demand. */
    private static final class Work {
        float[][] rows = new float[0][];
        float[] y = new float[0];

        void reserve(int k, int n) {
            int width = rows.length == 0 ? 0 : rows[0].length;
            if (rows.length < k || width < n) {
                float[][] r = new float[Math.max(k, rows.length)][];
                for (int p = 0; p < r.length; p++) r[p] = new float[Math.max(n, width)];
                rows = r;
            }
            if (y.length < n) y = new float[n];
        }
    }

    // multiply never calls out while it holds the thread's Work, so one per thread suffices.
    private static final ThreadLocal<Work> WORK = ThreadLocal.withInitial(Work::new);

    @Override
    public String name() {
        return "scalar (plain Java, auto-vectorised)";
    }

    @Override
    public int align() {
        return 1;
    }

    @Override
    public void multiply(int m, int n, int k, float alpha, float[] a, int ao, int ars, int aps, float[] b, int bo,
            int ldb, float[] c, int co, int ldc, boolean accumulate, float[] rowScale, int rso) {
        if (m <= 0 || n <= 0) return;
        Work w = WORK.get();
        w.reserve(k, n);
        float[][] x = w.rows;
        float[] y = w.y;
        for (int p = 0; p < k; p++) System.arraycopy(b, bo + p * ldb, x[p], 0, n);
        for (int r = 0; r < m; r++) {
            Arrays.fill(y, 0, n, 0f);
            int ai = ao + r * ars;
            int p = 0;
            for (; p <= k - 2; p += 2) {
                float a0 = a[ai + p * aps], a1 = a[ai + (p + 1) * aps];
                float[] x0 = x[p], x1 = x[p + 1];
                for (int j = 0; j < n; j++) y[j] = Math.fma(a1, x1[j], Math.fma(a0, x0[j], y[j]));
            }
            if (p < k) {
                float a0 = a[ai + p * aps];
                float[] x0 = x[p];
                for (int j = 0; j < n; j++) y[j] = Math.fma(a0, x0[j], y[j]);
            }
            int ci = co + r * ldc;
            if (!accumulate) {
                for (int j = 0; j < n; j++) c[ci + j] = alpha * y[j];
            } else {
                float beta = rowScale == null ? 1f : rowScale[rso + r];
                for (int j = 0; j < n; j++) c[ci + j] = Math.fma(alpha, y[j], beta * c[ci + j]);
            }
        }
    }

    @Override
    public float max(float[] x, int o, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) m = Math.max(m, x[o + j]);
        return m;
    }

    @Override
    public float expSum(float[] x, int o, int n, float shift) {
        float sum = 0f;
        for (int j = 0; j < n; j++) {
            float e = (float) Math.exp(x[o + j] - shift);
            x[o + j] = e;
            sum += e;
        }
        return sum;
    }
}
