package jclip.kernels.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API tile reduction of {@link ContrastiveLoss}: two float exps per logit, each row
 * against its maximum (or lseRows_i) and each column against its maximum (or lseCols_j), as the
 * reference does, so that no tile is too widely spread. The exp is a polynomial over the preferred
 * species (below), about 0.45 ns a logit against Math.exp's 10 on the build machine (AVX-512, 16
 * lanes), which made the exps a third of the forward's time. Sums are float within a vector's
 * lanes (at most cols / lanes terms each) and double across rows and tiles.
 *
 * <p>Only referenced reflectively by {@link ContrastiveLoss}, when the {@code jdk.incubator.vector}
 * module is in the boot layer; nothing else may name this class.
 */
final class ContrastiveVectorKernel implements ContrastiveTileKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();

    // exp(x) = 2^k · exp(r), k = round(x·log2 e), r = x − k·ln 2 in [−ln2/2, ln2/2] (ln 2 split in
    // two so that k·LN2_HI is exact), exp(r) by Cephes' expf polynomial; 2^k built from its
    // exponent bits. x is clamped to [−87.3, 88.3], where 2^k stays a normal float: below, the
    // result is 1.2e-38 rather than 0, which no sum of these terms (each with a largest term of 1)
    // can tell apart. Worst relative error measured against Math.exp: 7e-8.
    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** 1.5·2^23: adding it rounds a float of magnitude below 2^22 to an integer, left in the low mantissa bits. */
    private static final float ROUND = 12582912f;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
            P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    static FloatVector exp(FloatVector x) {
        x = x.max(-87.3f).min(88.3f);
        FloatVector shifted = x.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, ROUND));
        FloatVector k = shifted.sub(ROUND);
        FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_HI), x);
        r = k.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = r.fma(FloatVector.broadcast(S, P0), FloatVector.broadcast(S, P1));
        p = p.fma(r, FloatVector.broadcast(S, P2));
        p = p.fma(r, FloatVector.broadcast(S, P3));
        p = p.fma(r, FloatVector.broadcast(S, P4));
        p = p.fma(r, FloatVector.broadcast(S, P5));
        p = p.fma(r.mul(r), r).add(1f);
        IntVector twoToK = shifted.reinterpretAsInts().sub(ROUND_BITS - 127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(twoToK.reinterpretAsFloats());
    }

    @Override
    public String name() {
        return "vector (jdk.incubator.vector, " + S.vectorBitSize() + "-bit, float exp)";
    }

    @Override
    public void logSumExp(ContrastiveLoss.Scratch s, int rows, int cols, double[] colParts, int at) {
        float[] t = s.tile, rowMax = s.rowMaxF, colMax = s.colMaxF, colSum = s.colSumF;
        int end = S.loopBound(cols);
        Arrays.fill(colMax, 0, cols, Float.NEGATIVE_INFINITY);
        Arrays.fill(colSum, 0, cols, 0f);
        for (int i = 0; i < rows; i++) {
            int o = i * cols;
            FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int j = 0; j < end; j += VL) {
                FloatVector v = FloatVector.fromArray(S, t, o + j);
                max = max.max(v);
                FloatVector.fromArray(S, colMax, j).max(v).intoArray(colMax, j);
            }
            float rowHi = max.reduceLanes(VectorOperators.MAX);
            for (int j = end; j < cols; j++) {
                rowHi = Math.max(rowHi, t[o + j]);
                colMax[j] = Math.max(colMax[j], t[o + j]);
            }
            rowMax[i] = rowHi;
        }
        double[] rowLse = s.rowLse;
        for (int i = 0; i < rows; i++) {
            int o = i * cols;
            float rowHi = rowMax[i];
            FloatVector hi = FloatVector.broadcast(S, rowHi), acc = FloatVector.zero(S);
            for (int j = 0; j < end; j += VL) {
                FloatVector v = FloatVector.fromArray(S, t, o + j);
                acc = acc.add(exp(v.sub(hi)));
                FloatVector.fromArray(S, colSum, j).add(exp(v.sub(FloatVector.fromArray(S, colMax, j)))).intoArray(colSum, j);
            }
            double rowSum = acc.reduceLanes(VectorOperators.ADD);
            for (int j = end; j < cols; j++) {
                rowSum += Math.exp(t[o + j] - rowHi);
                colSum[j] += (float) Math.exp(t[o + j] - colMax[j]);
            }
            rowLse[i] = ContrastiveLoss.logAddExp(rowLse[i], rowHi + Math.log(rowSum));
        }
        for (int j = 0; j < cols; j++) colParts[at + j] = colMax[j] + Math.log(colSum[j]);
    }

    @Override
    public double gradient(ContrastiveLoss.Scratch s, int rows, int cols, float[] lseRows, int r0, float[] lseCols, int c0,
            long label0) {
        float[] t = s.tile;
        int end = S.loopBound(cols);
        double sum = 0;
        for (int i = 0; i < rows; i++) {
            int o = i * cols;
            long label = label0 + i;
            boolean labelled = label >= 0 && label < cols;
            float labelLogit = labelled ? t[o + (int) label] : 0f;
            float lr = lseRows[r0 + i];
            FloatVector own = FloatVector.broadcast(S, lr), acc = FloatVector.zero(S);
            for (int j = 0; j < end; j += VL) {
                FloatVector l = FloatVector.fromArray(S, t, o + j);
                FloatVector g = exp(l.sub(own)).add(exp(l.sub(FloatVector.fromArray(S, lseCols, c0 + j))));
                acc = g.fma(l, acc);
                g.intoArray(t, o + j);
            }
            double rowSum = acc.reduceLanes(VectorOperators.ADD);
            for (int j = end; j < cols; j++) {
                float l = t[o + j];
                float g = (float) (Math.exp(l - lr) + Math.exp(l - lseCols[c0 + j]));
                rowSum += (double) g * l;
                t[o + j] = g;
            }
            if (labelled) {
                t[o + (int) label] -= 2f;
                rowSum -= 2.0 * labelLogit;
            }
            sum += rowSum;
        }
        return sum;
    }
}
