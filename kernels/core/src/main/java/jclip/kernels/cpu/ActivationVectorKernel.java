package jclip.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * QuickGELU with {@link VectorMath#exp}; the last partial vector goes through the same code under
 * a mask (masked loads only there: JDK 17 compiles them well only with AVX-512), so every element
 * gets the same formula wherever a range starts or ends. Only loaded through {@link VectorKernels}.
 */
final class ActivationVectorKernel implements ActivationKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float ALPHA = 1.702f;
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    /**
     * σ(1.702·v) = 1 / (1 + exp(−1.702·v)); 0 where exp overflows (VectorMath.exp stops at 2.3e38,
     * which would leave a denormal instead of Math.exp's 1 / ∞).
     */
    private static FloatVector sigmoid(FloatVector v) {
        FloatVector z = v.mul(-ALPHA);
        return ONE.div(VectorMath.exp(z).add(1f)).blend(0f, z.compare(VectorOperators.GT, 88f));
    }

    @Override
    public void quickGelu(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (int full = S.loopBound(n); i < full; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            v.mul(sigmoid(v)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(S, x, xo + i, m);
            v.mul(sigmoid(v)).intoArray(y, yo + i, m);
        }
    }

    @Override
    public void quickGeluBackward(float[] x, float[] gy, float[] gx, int from, int to) {
        int i = from;
        for (int full = from + S.loopBound(to - from); i < full; i += S.length()) {
            FloatVector.fromArray(S, gy, i).mul(derivative(FloatVector.fromArray(S, x, i))).intoArray(gx, i);
        }
        if (i < to) {
            VectorMask<Float> m = S.indexInRange(i, to);
            FloatVector.fromArray(S, gy, i, m).mul(derivative(FloatVector.fromArray(S, x, i, m))).intoArray(gx, i, m);
        }
    }

    /** d/dv v·σ(1.702·v) = s + 1.702·v·s·(1−s). */
    private static FloatVector derivative(FloatVector v) {
        FloatVector s = sigmoid(v);
        return v.mul(ALPHA).mul(s).mul(ONE.sub(s)).add(s);
    }
}
