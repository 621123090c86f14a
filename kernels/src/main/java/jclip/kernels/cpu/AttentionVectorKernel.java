package jclip.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API tile kernel. {@link #multiply} works in register tiles of 4 rows by 2·VL columns (VL
 * the lane count of the preferred species), 8 accumulators, the shape {@link GemmVectorKernel}
 * found to keep every accumulator in a register under C2; but it reads its operands where they lie
 * instead of packing them: B's rows are unit-stride runs (the packed transposed key tile, or rows of
 * v, gOut, q and k as they are stored), and A's four scalars per step come from any strides (a score
 * tile, or its transpose). Attention's tiles stay in L1/L2, so the unpacked loads cost little.
 * Column edges take one-vector tiles, then half-width vectors (so that a head size that is a
 * multiple of 8 needs no scalar loop with 512-bit vectors), then scalars. The exponential is the
 * Vector API's ({@code VectorOperators.EXP}, which C2 compiles to the vector math library).
 *
 * <p>Only referenced reflectively by {@link Attention}, when the {@code jdk.incubator.vector} module
 * is in the boot layer; nothing else may name this class.
 */
final class AttentionVectorKernel implements AttentionTileKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    /** Half-width species for column edges, when there is one of at least 4 lanes. */
    private static final boolean HALF = VL >= 8;
    private static final VectorSpecies<Float> H = HALF
            ? VectorSpecies.of(float.class, VectorShape.forBitSize(S.vectorBitSize() / 2)) : S;
    private static final int HL = H.length();

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
        if (HALF && j + HL <= n) {
            for (int r = 0; r < m; r++)
                tile1xHalf(k, alpha, a, ao + r * ars, aps, b, bo + j, ldb, c, co + r * ldc + j, accumulate, rowScale, rso + r);
            j += HL;
        }
        for (; j < n; j++)
            for (int r = 0; r < m; r++) {
                int ai = ao + r * ars;
                float sum = 0f;
                for (int p = 0; p < k; p++) sum = Math.fma(a[ai + p * aps], b[bo + p * ldb + j], sum);
                int ci = co + r * ldc + j;
                c[ci] = accumulate ? Math.fma(alpha, sum, beta(rowScale, rso + r) * c[ci]) : alpha * sum;
            }
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

    private static void tile1xHalf(int k, float alpha, float[] a, int ao, int aps, float[] b, int bo, int ldb,
            float[] c, int co, boolean accumulate, float[] rowScale, int rso) {
        FloatVector c0 = FloatVector.broadcast(H, 0f);
        for (int p = 0; p < k; p++)
            c0 = FloatVector.broadcast(H, a[ao + p * aps]).fma(FloatVector.fromArray(H, b, bo + p * ldb), c0);
        if (!accumulate) {
            c0.mul(alpha).intoArray(c, co);
        } else {
            FloatVector.fromArray(H, c, co).mul(beta(rowScale, rso)).add(c0.mul(alpha)).intoArray(c, co);
        }
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
        if (n >= VL) {
            FloatVector acc = FloatVector.broadcast(S, 0f);
            for (; j + VL <= n; j += VL) {
                FloatVector e = FloatVector.fromArray(S, x, o + j).sub(shift).lanewise(VectorOperators.EXP);
                e.intoArray(x, o + j);
                acc = acc.add(e);
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; j < n; j++) {
            float e = (float) Math.exp(x[o + j] - shift);
            x[o + j] = e;
            sum += e;
        }
        return sum;
    }
}
