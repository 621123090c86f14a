package jclip.kernels.cpu;

import java.util.Arrays;

/**
 * Plain-Java kernel, used when the Vector API module is absent (e.g. {@code java -jar} without
 * {@code --add-modules}) or disabled with {@code -Djclip.vector=false}. Written for C2's superword
 * auto-vectoriser.
 *
 * <p>JDK 17's superword only vectorises a loop when every array index in it has the same loop
 * invariant part; {@code c[co + j]} next to {@code bp[bo + j]} stays scalar (measured: 4-10
 * GFLOP/s per core). So this kernel keeps each packed row of B in its own array ({@code float[k][nc]})
 * and accumulates four rows of C in four arrays, all indexed by the bare column j. The inner loop
 * then reads two B rows and updates four accumulator rows with eight FMAs per element, which C2
 * turns into packed FMAs: 35-55 GFLOP/s at 1024^3 on 2 cores with AVX2, against 6 for the same
 * kernel written over flat arrays, and 85-110 for the Vector API kernel. Columns are processed in
 * {@value #CHUNK}-wide chunks: the four accumulator rows (8 KiB) stay in L1 while the rows of B
 * stream past. Measured at 1024^3, 2 threads, interleaved runs: 64-column chunks were 40% and
 * 128-column ones 10% slower than 256 (C2's vectorised loop has pre- and post-loops, which short
 * trips pay for); 512 was 10-15% faster than 256, and 1024 no better than 512 (the accumulators
 * crowd L1). The slice depth (KC 256 to 1024) made
 * no measurable difference to this kernel. The accumulators start at zero and are merged into C
 * at the end ({@code C = beta*C + acc}, one rounding, a copy when beta is 0), as the Vector API
 * kernel does, so both compute each element as the same FMA chain.
 */
final class GemmScalarKernel implements GemmMicroKernel {
    static final int MR = 4;
    /** Columns per chunk, and the column granularity of the work split. */
    static final int CHUNK = 512;

    @Override
    public int mr() {
        return MR;
    }

    @Override
    public int nr() {
        return CHUNK;
    }

    @Override
    public String name() {
        return "scalar (plain Java, auto-vectorised, " + MR + "-row kernel)";
    }

    @Override
    public PackedB newPackedB() {
        return new Rows();
    }

    @Override
    public Object newWorkspace() {
        return new float[MR][0];
    }

    @Override
    public void multiply(int mc, int kc, int j0, int j1, float[] ap, PackedB b, int pc, float beta, float[] c,
            int co, int ldc, Object workspace) {
        float[][] rows = ((Rows) b).rows;
        float[][] acc = (float[][]) workspace;
        if (acc[0].length < j1) {
            for (int r = 0; r < MR; r++) acc[r] = new float[rows[0].length];
        }
        float[] y0 = acc[0], y1 = acc[1], y2 = acc[2], y3 = acc[3];
        for (int jc = j0; jc < j1; jc += CHUNK) {
            int je = Math.min(j1, jc + CHUNK), len = je - jc;
            for (int ir = 0; ir < mc; ir += MR) {
                int mrr = Math.min(MR, mc - ir);
                // acc = 0 (rows past mc are computed into the accumulators but never stored)
                for (int r = 0; r < MR; r++) Arrays.fill(acc[r], jc, je, 0f);
                int ao = ir * kc;
                int p = 0;
                for (; p <= kc - 2; p += 2) {
                    int ai = ao + p * MR;
                    float a00 = ap[ai], a10 = ap[ai + 1], a20 = ap[ai + 2], a30 = ap[ai + 3];
                    float a01 = ap[ai + 4], a11 = ap[ai + 5], a21 = ap[ai + 6], a31 = ap[ai + 7];
                    float[] x0 = rows[pc + p], x1 = rows[pc + p + 1];
                    for (int j = jc; j < je; j++) {
                        float v0 = x0[j], v1 = x1[j];
                        y0[j] = Math.fma(a01, v1, Math.fma(a00, v0, y0[j]));
                        y1[j] = Math.fma(a11, v1, Math.fma(a10, v0, y1[j]));
                        y2[j] = Math.fma(a21, v1, Math.fma(a20, v0, y2[j]));
                        y3[j] = Math.fma(a31, v1, Math.fma(a30, v0, y3[j]));
                    }
                }
                if (p < kc) {
                    int ai = ao + p * MR;
                    float a0 = ap[ai], a1 = ap[ai + 1], a2 = ap[ai + 2], a3 = ap[ai + 3];
                    float[] x0 = rows[pc + p];
                    for (int j = jc; j < je; j++) {
                        float v0 = x0[j];
                        y0[j] = Math.fma(a0, v0, y0[j]);
                        y1[j] = Math.fma(a1, v0, y1[j]);
                        y2[j] = Math.fma(a2, v0, y2[j]);
                        y3[j] = Math.fma(a3, v0, y3[j]);
                    }
                }
                for (int r = 0; r < mrr; r++) {
                    float[] y = acc[r];
                    int cr = co + (ir + r) * ldc;
                    if (beta == 0f) System.arraycopy(y, jc, c, cr + jc, len);
                    else for (int j = jc; j < je; j++) c[cr + j] = Math.fma(beta, c[cr + j], y[j]);
                }
            }
        }
    }

    /** Packed B as one array per row: {@code rows[p][j]} is op(B)(p, jc + j), for all k rows. */
    private static final class Rows implements PackedB {
        float[][] rows = new float[0][];

        @Override
        public void reserve(int k, int nc) {
            int width = rows.length == 0 ? 0 : rows[0].length;
            if (rows.length < k || width < nc) {
                float[][] r = new float[Math.max(k, rows.length)][];
                for (int p = 0; p < r.length; p++) r[p] = new float[Math.max(nc, width)];
                rows = r;
            }
        }

        @Override
        public void pack(boolean transB, float[] b, int bo, int ldb, int k, int kcBlock, int jc, int nc, int from,
                int to) {
            int j0 = from * CHUNK, j1 = Math.min(nc, to * CHUNK);
            if (j0 >= j1) return;
            if (!transB) {
                for (int p = 0; p < k; p++) System.arraycopy(b, bo + p * ldb + jc + j0, rows[p], j0, j1 - j0);
            } else {
                for (int j = j0; j < j1; j++) {
                    int src = bo + (jc + j) * ldb;
                    for (int p = 0; p < k; p++) rows[p][j] = b[src + p];
                }
            }
        }
    }
}
