package jclip.kernels.cpu;

import java.util.Arrays;

/**
 * Plain-Java tile kernel, used when the Vector API module is absent (e.g. {@code java -jar} without
 * {@code --add-modules}) or disabled with {@code -Djclip.vector=false}. As in {@link GemmScalarKernel},
 * JDK 17's superword vectorises a loop only when all its array indices share one loop-invariant
 * part, so {@link #multiply} copies the k rows of B into arrays of their own and accumulates each
 * row of C in a scratch row, all indexed by the bare column: the inner loop then becomes packed
 * FMAs. The copy costs k·n moves per call against m·k·n FMAs, and Attention's tiles have m ≥ 16.
 * Forward on one thread (CPU time, d = 64), fused on this kernel against the unfused composition on
 * GemmScalarKernel: image [192 pairs, 50] 9.3 vs 10.9 ms, text [128 pairs, 77, causal] 9.5 vs 17.0,
 * [16 pairs, 1024] 301 vs 347; a third of the last is Math.exp. The Vector API kernel: 3.1, 3.1, 72.
 * The exponential is {@link Math#exp}, about 6 ns a call here (the Vector API's is 0.5 ns).
 */
final class AttentionScalarKernel implements AttentionTileKernel {
    /** Per-thread copies of B's rows and four accumulator rows, grown on demand. */
    private static final class Work {
        float[][] rows = new float[0][];
        final float[][] y = new float[4][0];

        void reserve(int k, int n) {
            int width = rows.length == 0 ? 0 : rows[0].length;
            if (rows.length < k || width < n) {
                float[][] r = new float[Math.max(k, rows.length)][];
                for (int p = 0; p < r.length; p++) r[p] = new float[Math.max(n, width)];
                rows = r;
            }
            if (y[0].length < n) for (int r = 0; r < 4; r++) y[r] = new float[n];
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

    /**
     * Four rows of C at a time, two rows of B per pass (as GemmScalarKernel), so that each pass over
     * the columns loads two B rows for eight FMAs per column.
     */
    @Override
    public void multiply(int m, int n, int k, float alpha, float[] a, int ao, int ars, int aps, float[] b, int bo,
            int ldb, float[] c, int co, int ldc, boolean accumulate, float[] rowScale, int rso) {
        if (m <= 0 || n <= 0) return;
        Work w = WORK.get();
        w.reserve(k, n);
        float[][] x = w.rows;
        float[] y0 = w.y[0], y1 = w.y[1], y2 = w.y[2], y3 = w.y[3];
        for (int p = 0; p < k; p++) System.arraycopy(b, bo + p * ldb, x[p], 0, n);
        for (int r0 = 0; r0 < m; r0 += 4) {
            int rows = Math.min(4, m - r0);
            // Rows past m repeat the last one: computed, never stored.
            int i0 = ao + r0 * ars, i1 = ao + (r0 + Math.min(1, rows - 1)) * ars;
            int i2 = ao + (r0 + Math.min(2, rows - 1)) * ars, i3 = ao + (r0 + Math.min(3, rows - 1)) * ars;
            Arrays.fill(y0, 0, n, 0f);
            Arrays.fill(y1, 0, n, 0f);
            Arrays.fill(y2, 0, n, 0f);
            Arrays.fill(y3, 0, n, 0f);
            int p = 0;
            for (; p <= k - 2; p += 2) {
                int pa = p * aps, pb = pa + aps;
                float a00 = a[i0 + pa], a10 = a[i1 + pa], a20 = a[i2 + pa], a30 = a[i3 + pa];
                float a01 = a[i0 + pb], a11 = a[i1 + pb], a21 = a[i2 + pb], a31 = a[i3 + pb];
                float[] x0 = x[p], x1 = x[p + 1];
                for (int j = 0; j < n; j++) {
                    float v0 = x0[j], v1 = x1[j];
                    y0[j] = Math.fma(a01, v1, Math.fma(a00, v0, y0[j]));
                    y1[j] = Math.fma(a11, v1, Math.fma(a10, v0, y1[j]));
                    y2[j] = Math.fma(a21, v1, Math.fma(a20, v0, y2[j]));
                    y3[j] = Math.fma(a31, v1, Math.fma(a30, v0, y3[j]));
                }
            }
            if (p < k) {
                int pa = p * aps;
                float a0 = a[i0 + pa], a1 = a[i1 + pa], a2 = a[i2 + pa], a3 = a[i3 + pa];
                float[] x0 = x[p];
                for (int j = 0; j < n; j++) {
                    float v0 = x0[j];
                    y0[j] = Math.fma(a0, v0, y0[j]);
                    y1[j] = Math.fma(a1, v0, y1[j]);
                    y2[j] = Math.fma(a2, v0, y2[j]);
                    y3[j] = Math.fma(a3, v0, y3[j]);
                }
            }
            for (int r = 0; r < rows; r++) {
                float[] y = w.y[r];
                int ci = co + (r0 + r) * ldc;
                if (!accumulate) {
                    for (int j = 0; j < n; j++) c[ci + j] = alpha * y[j];
                } else {
                    float beta = rowScale == null ? 1f : rowScale[rso + r0 + r];
                    for (int j = 0; j < n; j++) c[ci + j] = Math.fma(alpha, y[j], beta * c[ci + j]);
                }
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
