package jclip.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The exp and the lane sum that the Vector API tile kernels share, written with lane-wise IEEE
 * operations only, so that a result never depends on whether C2 has compiled the code yet: the
 * Vector API's own EXP is the vector math library once compiled and StrictMath before, and
 * reduceLanes(ADD) leaves its order unspecified. Training on the CPU repeats itself bit for bit
 * (a resumed run equals the uninterrupted one) only with both fixed.
 *
 * <p>Named only by the Vector API kernels, which are loaded only when {@code jdk.incubator.vector}
 * is in the boot layer.
 */
final class VectorMath {
    private VectorMath() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    // exp(x) = 2^k · exp(r), k = round(x·log2 e), r = x − k·ln 2 in [−ln2/2, ln2/2] (ln 2 split in
    // two so that k·LN2_HI is exact), exp(r) by Cephes' expf polynomial; 2^k built from its
    // exponent bits. x is clamped to [−87.3, 88.3], where 2^k stays a normal float; below that the
    // result is 0 and above it 2.3e38. Worst relative error measured against Math.exp: 7e-8.
    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** 1.5·2^23: adding it rounds a float of magnitude below 2^22 to an integer, left in the low mantissa bits. */
    private static final float ROUND = 12582912f;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
            P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    static FloatVector exp(FloatVector input) {
        FloatVector x = input.max(-87.3f).min(88.3f);
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
        FloatVector e = p.mul(twoToK.reinterpretAsFloats());
        // Below the clamp, 0 as Math.exp gives (a masked score is −∞); NaN stays NaN (a fully masked row).
        return e.blend(0f, input.lt(-87.3f)).blend(input, input.test(VectorOperators.IS_NAN));
    }

    /** The lanes of v summed from the first to the last, through {@code lanes} (at least one vector long). */
    static float sum(FloatVector v, float[] lanes) {
        v.intoArray(lanes, 0);
        float s = 0f;
        for (int i = 0; i < S.length(); i++) s += lanes[i];
        return s;
    }
}
