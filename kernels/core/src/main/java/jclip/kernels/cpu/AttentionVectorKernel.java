package jclip.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API tile kernel. {@link #multiply} works in register tiles of 4 rows by 2·VL columns (VL
 * the lane count of the preferred species), 8 accumulators, the shape {@code GemmVectorKernel}
 * found to keep every accumulator in a register under C2; but it reads its operands where they lie
 * instead of packing them: B's rows are unit-stride runs (the packed transposed key tile, or rows of
 * v, gOut, q and k as they are stored), and A's four scalars per step come from any strides (a score
 * tile, or its transpose). Attention's tiles stay in L1/L2, so the unpacked loads cost little.
 * Column edges take one-vector tiles, then full-width loads that run past the last column (see
 * {@code edge}): a 50 x 56 x 64 product runs at 54 GFLOP/s that way, 10 with scalar dot products
 * for its last 8 columns. The exponential is VectorMath's polynomial (the Vector API's own EXP gives
 * other results before C2 compiles it than after, which breaks bit-for-bit repeatable training).
 *
 * <p>One species only, the one {@code GemmVectorKernel} uses. A half-width species for the column
 * edges was tried and made the products with an edge ten times slower (6 GFLOP/s): on JDK 17 the
 * Vector API's shared methods (FloatVector.fma, mul, ...) then see two vector classes in their
 * type profiles, C2 can no longer prove the exact class, and the accumulators are boxed on the
 * heap. Gemm's kernel would suffer the same if this one used another species.
 *
 * <p>Only referenced reflectively by {@link Attention}, when the {@code jdk.incubator.vector} module
 * is in the boot layer; nothing else may name this class.
 */
final class AttentionVectorKernel implements AttentionTileKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();

    @Override
    public String name() {
        return "vector (jdk.incubator.vector, " + S.vectorBitSize() + "-bit, 4x" + 2 * VL + " tiles)";
    }

    @Override
    public int align() {
        return VL;
    }

    @Override
    public void multiply(int m, int n, int k, float alpha, float[] a, int ao, int ars, int aps, float[] b, int bo,
            int ldb, float[] c, int co, int ldc, boolean accumulate, float[] rowScale, int rso) {
        int j = 0;
        for (; j + 2 * VL <= n; j += 2 * VL) {
            int r = 0;
            for (; r + 4 <= m; r += 4)
                tile4x2(k, alpha, a, ao + r * ars, ars, aps, b, bo + j, ldb, c, co + r * ldc + j, ldc, accumulate, rowScale, rso + r);
            for (; r < m; r++)
                tile1x2(k, alpha, a, ao + r * ars, aps, b, bo + j, ldb, c, co + r * ldc + j, accumulate, rowScale, rso + r);
        }
        for (; j + VL <= n; j += VL) {
            int r = 0;
            for (; r + 4 <= m; r += 4)
                tile4x1(k, alpha, a, ao + r * ars, ars, aps, b, bo + j, ldb, c, co + r * ldc + j, ldc, accumulate, rowScale, rso + r);
            for (; r < m; r++)
                tile1x1(k, alpha, a, ao + r * ars, aps, b, bo + j, ldb, c, co + r * ldc + j, accumulate, rowScale, rso + r);
        }
        if (j < n) edge(m, j, n, k, alpha, a, ao, ars, aps, b, bo, ldb, c, co, ldc, accumulate, rowScale, rso);
    }

    /**
     * Columns [j, n), fewer than VL: full-width loads of B that run past column n into the next row
     * (the extra lanes are computed and dropped; B is only read) as long as they stay inside the
     * array, then scalar steps for the last rows of B; four rows of C at a time, so that four FMA
     * chains overlap.
     */
    private static void edge(int m, int j, int n, int k, float alpha, float[] a, int ao, int ars, int aps, float[] b,
            int bo, int ldb, float[] c, int co, int ldc, boolean accumulate, float[] rowScale, int rso) {
        int w = n - j;
        long room = (long) b.length - VL - (bo + j);
        int kv = room < 0 ? 0 : (int) Math.min(k, room / ldb + 1);
        float[] t = new float[4 * VL];
        int r = 0;
        for (; r + 4 <= m; r += 4) {
            int a0 = ao + r * ars, a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars;
            FloatVector c0 = FloatVector.broadcast(S, 0f), c1 = c0, c2 = c0, c3 = c0;
            for (int p = 0; p < kv; p++) {
                int ap = p * aps;
                FloatVector b0 = FloatVector.fromArray(S, b, bo + p * ldb + j);
                c0 = FloatVector.broadcast(S, a[a0 + ap]).fma(b0, c0);
                c1 = FloatVector.broadcast(S, a[a1 + ap]).fma(b0, c1);
                c2 = FloatVector.broadcast(S, a[a2 + ap]).fma(b0, c2);
                c3 = FloatVector.broadcast(S, a[a3 + ap]).fma(b0, c3);
            }
            c0.intoArray(t, 0);
            c1.intoArray(t, VL);
            c2.intoArray(t, 2 * VL);
            c3.intoArray(t, 3 * VL);
            for (int i = 0; i < 4; i++) edgeRow(i * VL, t, a, ao + (r + i) * ars, aps, kv, k, b, bo + j, ldb, w, alpha,
                    c, co + (r + i) * ldc + j, accumulate, beta(rowScale, rso + r + i));
        }
        for (; r < m; r++) {
            int a0 = ao + r * ars;
            FloatVector c0 = FloatVector.broadcast(S, 0f);
            for (int p = 0; p < kv; p++)
                c0 = FloatVector.broadcast(S, a[a0 + p * aps]).fma(FloatVector.fromArray(S, b, bo + p * ldb + j), c0);
            c0.intoArray(t, 0);
            edgeRow(0, t, a, a0, aps, kv, k, b, bo + j, ldb, w, alpha, c, co + r * ldc + j, accumulate,
                    beta(rowScale, rso + r));
        }
    }

    /** Adds B's rows [kv, k) to the w sums at t[to..] in scalar steps, then stores them to c[ci..]. */
    private static void edgeRow(int to, float[] t, float[] a, int ai, int aps, int kv, int k, float[] b, int bo, int ldb,
            int w, float alpha, float[] c, int ci, boolean accumulate, float beta) {
        for (int p = kv; p < k; p++) {
            float av = a[ai + p * aps];
            for (int x = 0; x < w; x++) t[to + x] = Math.fma(av, b[bo + p * ldb + x], t[to + x]);
        }
        for (int x = 0; x < w; x++)
            c[ci + x] = accumulate ? Math.fma(alpha, t[to + x], beta * c[ci + x]) : alpha * t[to + x];
    }

    private static float beta(float[] rowScale, int i) {
        return rowScale == null ? 1f : rowScale[i];
    }

    /** c[ci..ci+VL) = alpha·acc (+ beta·c). */
    private static void store(FloatVector acc, float alpha, float[] c, int ci, boolean accumulate, float beta) {
        if (!accumulate) {
            acc.mul(alpha).intoArray(c, ci);
        } else {
            FloatVector.fromArray(S, c, ci).mul(beta).add(acc.mul(alpha)).intoArray(c, ci);
        }
    }

    private static void tile4x2(int k, float alpha, float[] a, int ao, int ars, int aps, float[] b, int bo, int ldb,
            float[] c, int co, int ldc, boolean accumulate, float[] rowScale, int rso) {
        // broadcast(0), not zero(): see GemmVectorKernel.compute (JDK 17's C2 boxes the accumulators otherwise).
        FloatVector c00 = FloatVector.broadcast(S, 0f), c01 = c00;
        FloatVector c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00;
        int a1 = ars, a2 = 2 * ars, a3 = 3 * ars;
        for (int p = 0; p < k; p++) {
            int bi = bo + p * ldb;
            int ai = ao + p * aps;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + VL);
            FloatVector av = FloatVector.broadcast(S, a[ai]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[ai + a1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[ai + a2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[ai + a3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
        }
        float beta = beta(rowScale, rso);
        store(c00, alpha, c, co, accumulate, beta);
        store(c01, alpha, c, co + VL, accumulate, beta);
        beta = beta(rowScale, rso + 1);
        store(c10, alpha, c, co + ldc, accumulate, beta);
        store(c11, alpha, c, co + ldc + VL, accumulate, beta);
        beta = beta(rowScale, rso + 2);
        store(c20, alpha, c, co + 2 * ldc, accumulate, beta);
        store(c21, alpha, c, co + 2 * ldc + VL, accumulate, beta);
        beta = beta(rowScale, rso + 3);
        store(c30, alpha, c, co + 3 * ldc, accumulate, beta);
        store(c31, alpha, c, co + 3 * ldc + VL, accumulate, beta);
    }

    private static void tile4x1(int k, float alpha, float[] a, int ao, int ars, int aps, float[] b, int bo, int ldb,
            float[] c, int co, int ldc, boolean accumulate, float[] rowScale, int rso) {
        FloatVector c0 = FloatVector.broadcast(S, 0f), c1 = c0, c2 = c0, c3 = c0;
        int a1 = ars, a2 = 2 * ars, a3 = 3 * ars;
        for (int p = 0; p < k; p++) {
            int ai = ao + p * aps;
            FloatVector b0 = FloatVector.fromArray(S, b, bo + p * ldb);
            c0 = FloatVector.broadcast(S, a[ai]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, a[ai + a1]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, a[ai + a2]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, a[ai + a3]).fma(b0, c3);
        }
        store(c0, alpha, c, co, accumulate, beta(rowScale, rso));
        store(c1, alpha, c, co + ldc, accumulate, beta(rowScale, rso + 1));
        store(c2, alpha, c, co + 2 * ldc, accumulate, beta(rowScale, rso + 2));
        store(c3, alpha, c, co + 3 * ldc, accumulate, beta(rowScale, rso + 3));
    }

    private static void tile1x2(int k, float alpha, float[] a, int ao, int aps, float[] b, int bo, int ldb,
            float[] c, int co, boolean accumulate, float[] rowScale, int rso) {
        FloatVector c0 = FloatVector.broadcast(S, 0f), c1 = c0;
        for (int p = 0; p < k; p++) {
            int bi = bo + p * ldb;
            FloatVector av = FloatVector.broadcast(S, a[ao + p * aps]);
            c0 = av.fma(FloatVector.fromArray(S, b, bi), c0);
            c1 = av.fma(FloatVector.fromArray(S, b, bi + VL), c1);
        }
        float beta = beta(rowScale, rso);
        store(c0, alpha, c, co, accumulate, beta);
        store(c1, alpha, c, co + VL, accumulate, beta);
    }

    private static void tile1x1(int k, float alpha, float[] a, int ao, int aps, float[] b, int bo, int ldb,
            float[] c, int co, boolean accumulate, float[] rowScale, int rso) {
        FloatVector c0 = FloatVector.broadcast(S, 0f);
        for (int p = 0; p < k; p++)
            c0 = FloatVector.broadcast(S, a[ao + p * aps]).fma(FloatVector.fromArray(S, b, bo + p * ldb), c0);
        store(c0, alpha, c, co, accumulate, beta(rowScale, rso));
    }

    @Override
    public float max(float[] x, int o, int n) {
        int j = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (n >= VL) {
            FloatVector mv = FloatVector.fromArray(S, x, o);
            for (j = VL; j + VL <= n; j += VL) mv = mv.max(FloatVector.fromArray(S, x, o + j));
            m = mv.reduceLanes(VectorOperators.MAX);
        }
        for (; j < n; j++) m = Math.max(m, x[o + j]);
        return m;
    }

    @Override
    public float expSum(float[] x, int o, int n, float shift) {
        int j = 0;
        float sum = 0f;
        for (; j + VL <= n; j += VL) VectorMath.exp(FloatVector.fromArray(S, x, o + j).sub(shift)).intoArray(x, o + j);
        for (; j < n; j++) x[o + j] = (float) Math.exp(x[o + j] - shift);
        // Summed in order, not by reduceLanes, whose order is unspecified.
        for (j = 0; j < n; j++) sum += x[o + j];
        return sum;
    }
}
