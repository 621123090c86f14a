package jclip.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/*
 * IEEE binary16 (F16) and bfloat16 (BF16) conversions. The reference decoders below build each
 * half value from sign, exponent and mantissa with Math.scalb in double, and the reference
 * encoder rounds a float to nearest (ties to even bits) by searching the sorted table of every
 * finite half value, so none of it shares code or bit tricks with HalfFloat.
 */
class HalfFloatTest {

    // ---------------------------------------------------------------------------------------
    // independent references

    /** The value of F16 bits, built from the fields in double. */
    static double refF16(int h) {
        int s = (h >>> 15) & 1, e = (h >>> 10) & 0x1f, m = h & 0x3ff;
        double v;
        if (e == 0x1f) v = m == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        else if (e == 0) v = Math.scalb((double) m, -24);
        else v = Math.scalb((double) (1024 + m), e - 25);
        return s == 1 ? -v : v;
    }

    /** The value of BF16 bits, built from the fields in double. */
    static double refBf16(int h) {
        int s = (h >>> 15) & 1, e = (h >>> 7) & 0xff, m = h & 0x7f;
        double v;
        if (e == 0xff) v = m == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        else if (e == 0) v = Math.scalb((double) m, -133);
        else v = Math.scalb((double) (128 + m), e - 134);
        return s == 1 ? -v : v;
    }

    /**
     * Round to nearest, ties to the even bit pattern, over a sorted table of the positive finite
     * values of a format (value[i] has bits i) followed by one extra entry: the power of two
     * after the largest finite value, standing for infinity (IEEE overflow rule: a value rounds
     * to infinity when it would round to that power of two with an unbounded exponent).
     */
    record Table(double[] values, int infBits) {
        static Table of(boolean f16) {
            int maxFinite = f16 ? 0x7bff : 0x7f7f;
            double[] v = new double[maxFinite + 2];
            for (int i = 0; i <= maxFinite; i++) v[i] = f16 ? refF16(i) : refBf16(i);
            v[maxFinite + 1] = f16 ? 65536.0 : Math.scalb(1.0, 128);
            for (int i = 1; i < v.length; i++) assertTrue(v[i] > v[i - 1], "reference table must be increasing at " + i);
            return new Table(v, maxFinite + 1);
        }

        /** The expected bits for float f (for NaN: -1, the caller checks NaN-ness instead). */
        int encode(float f) {
            if (Float.isNaN(f)) return -1;
            int sign = (Float.floatToRawIntBits(f) >>> 31) << 15;
            double a = Math.abs((double) f);
            if (a >= values[values.length - 1]) return sign | infBits;
            int pos = Arrays.binarySearch(values, a);
            if (pos >= 0) return sign | pos;
            int hi = -pos - 1, lo = hi - 1; // values[lo] < a < values[hi]
            double mid = (values[lo] + values[hi]) / 2; // exact in double
            int bits;
            if (a < mid) bits = lo;
            else if (a > mid) bits = hi;
            else bits = (lo & 1) == 0 ? lo : hi;
            return sign | bits;
        }
    }

    private static final Table F16 = Table.of(true);
    private static final Table BF16 = Table.of(false);

    private static String hex(int bits) {
        return String.format("0x%04x", bits & 0xffff);
    }

    private static void assertF16(int expectedBits, float f) {
        assertEquals(hex(expectedBits), hex(HalfFloat.floatToF16(f)), "floatToF16(" + f + " = " + Float.toHexString(f) + ")");
    }

    private static void assertBf16(int expectedBits, float f) {
        assertEquals(hex(expectedBits), hex(HalfFloat.floatToBf16(f)), "floatToBf16(" + f + " = " + Float.toHexString(f) + ")");
    }

    private static boolean isF16NaN(int h) {
        return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
    }

    private static boolean isBf16NaN(int h) {
        return (h & 0x7f80) == 0x7f80 && (h & 0x7f) != 0;
    }

    // ---------------------------------------------------------------------------------------
    // exhaustive over the 65,536 bit patterns

    @Test
    void f16ToFloatDecodesEveryPatternExactly() {
        for (int h = 0; h < 0x10000; h++) {
            float f = HalfFloat.f16ToFloat((short) h);
            double ref = refF16(h);
            if (Double.isNaN(ref)) {
                assertTrue(Float.isNaN(f), hex(h) + " is a NaN, decoded as " + f);
            } else {
                assertEquals(ref, (double) f, 0.0, hex(h));
                // the sign of zero too
                assertEquals(h >>> 15, Float.floatToRawIntBits(f) >>> 31, "sign of " + hex(h));
            }
        }
    }

    @Test
    void f16RoundTripIsIdentityForEveryNonNaNPattern() {
        for (int h = 0; h < 0x10000; h++) {
            float f = HalfFloat.f16ToFloat((short) h);
            int back = HalfFloat.floatToF16(f) & 0xffff;
            if (isF16NaN(h)) {
                assertTrue(isF16NaN(back), hex(h) + " (NaN) came back as " + hex(back));
                assertEquals(h & 0x8000, back & 0x8000, "sign of NaN " + hex(h));
            } else {
                assertEquals(hex(h), hex(back), "half -> float -> half");
            }
        }
    }

    @Test
    void bf16ToFloatDecodesEveryPatternExactly() {
        for (int h = 0; h < 0x10000; h++) {
            float f = HalfFloat.bf16ToFloat((short) h);
            double ref = refBf16(h);
            if (Double.isNaN(ref)) {
                assertTrue(Float.isNaN(f), hex(h) + " is a NaN, decoded as " + f);
            } else {
                assertEquals(ref, (double) f, 0.0, hex(h));
                assertEquals(h >>> 15, Float.floatToRawIntBits(f) >>> 31, "sign of " + hex(h));
            }
        }
    }

    @Test
    void bf16RoundTripIsIdentityForEveryNonNaNPattern() {
        for (int h = 0; h < 0x10000; h++) {
            float f = HalfFloat.bf16ToFloat((short) h);
            int back = HalfFloat.floatToBf16(f) & 0xffff;
            if (isBf16NaN(h)) {
                assertTrue(isBf16NaN(back), hex(h) + " (NaN) came back as " + hex(back));
                assertEquals(h & 0x8000, back & 0x8000, "sign of NaN " + hex(h));
            } else {
                assertEquals(hex(h), hex(back), "bf16 -> float -> bf16");
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // float -> half against the reference at every midpoint and its float neighbours

    /** For every pair of adjacent finite halves (and max -> inf): the midpoint and one float ulp either side. */
    private static void checkAllMidpoints(Table t, boolean f16) {
        double[] v = t.values();
        for (int i = 0; i + 1 < v.length; i++) {
            double mid = (v[i] + v[i + 1]) / 2;
            float m = (float) mid;
            if (m != mid) fail("midpoint " + mid + " not representable as float");
            for (float f : new float[] {m, Math.nextUp(m), Math.nextDown(m), (float) v[i], -m, -Math.nextUp(m), -Math.nextDown(m)}) {
                if (Float.isInfinite(f)) continue;
                int expected = t.encode(f);
                int actual = (f16 ? HalfFloat.floatToF16(f) : HalfFloat.floatToBf16(f)) & 0xffff;
                if (expected != actual)
                    fail((f16 ? "F16" : "BF16") + " of " + f + " (" + Float.toHexString(f) + "): expected " + hex(expected)
                            + ", got " + hex(actual));
            }
        }
    }

    @Test
    void floatToF16MatchesReferenceAtEveryMidpoint() {
        checkAllMidpoints(F16, true);
    }

    @Test
    void floatToBf16MatchesReferenceAtEveryMidpoint() {
        checkAllMidpoints(BF16, false);
    }

    @Test
    void floatToHalfMatchesReferenceOnRandomFloats() {
        SplittableRandom r = new SplittableRandom(42);
        for (int k = 0; k < 400_000; k++) {
            float f;
            if (k % 2 == 0) {
                f = Float.intBitsToFloat(r.nextInt()); // any pattern, mostly out of F16 range
            } else {
                // exponents around the F16 range, from deep subnormal to overflow
                int exp = r.nextInt(-30, 18);
                f = (float) Math.scalb(1 + r.nextDouble(), exp) * (r.nextBoolean() ? 1 : -1);
            }
            if (Float.isNaN(f)) {
                assertTrue(isF16NaN(HalfFloat.floatToF16(f)), "F16 of NaN " + Integer.toHexString(Float.floatToRawIntBits(f)));
                assertTrue(isBf16NaN(HalfFloat.floatToBf16(f)), "BF16 of NaN " + Integer.toHexString(Float.floatToRawIntBits(f)));
                continue;
            }
            int e16 = F16.encode(f), a16 = HalfFloat.floatToF16(f) & 0xffff;
            if (e16 != a16) fail("F16 of " + f + " (" + Float.toHexString(f) + "): expected " + hex(e16) + ", got " + hex(a16));
            int eb = BF16.encode(f), ab = HalfFloat.floatToBf16(f) & 0xffff;
            if (eb != ab) fail("BF16 of " + f + " (" + Float.toHexString(f) + "): expected " + hex(eb) + ", got " + hex(ab));
        }
    }

    // ---------------------------------------------------------------------------------------
    // the named cases, spelled out

    @Test
    void f16TiesGoToEvenInNormalRange() {
        float u = 0x1p-10f; // F16 ulp at [1, 2)
        assertF16(0x3c00, 1f);
        assertF16(0x3c00, 1f + u / 2);                    // tie between 0x3c00 (even) and 0x3c01
        assertF16(0x3c01, Math.nextUp(1f + u / 2));       // just above the tie
        assertF16(0x3c02, 1f + 3 * u / 2);                // tie between 0x3c01 and 0x3c02 (even)
        assertF16(0x3c01, Math.nextDown(1f + 3 * u / 2));
        assertF16(0xbc02, -(1f + 3 * u / 2));             // symmetric for negatives
        assertF16(0x4000, 2f - u / 2);                    // tie between 0x3fff (odd) and 2: carries into the exponent
        assertF16(0x3fff, Math.nextDown(2f - u / 2));
        assertF16(0x3555, 1f / 3);                        // 0.333251953125 is the nearest half
    }

    @Test
    void f16OverflowThreshold() {
        assertF16(0x7bff, 65504f);                        // max finite
        assertF16(0x7bff, Math.nextDown(65520f));
        assertF16(0x7c00, 65520f);                        // midpoint to 65536: ties to even = infinity
        assertF16(0xfc00, -65520f);
        assertF16(0x7c00, 65536f);
        assertF16(0x7c00, 1e10f);
        assertF16(0x7c00, Float.MAX_VALUE);
        assertF16(0x7c00, Float.POSITIVE_INFINITY);
        assertF16(0xfc00, Float.NEGATIVE_INFINITY);
        assertF16(0x7bfe, 65488f);                        // tie between 65472 (0x7bfe, even) and 65504
        assertF16(0x7bff, Math.nextUp(65488f));
    }

    @Test
    void f16Subnormals() {
        float tiny = 0x1p-24f; // smallest subnormal
        assertF16(0x0001, tiny);
        assertEquals(tiny, HalfFloat.f16ToFloat((short) 0x0001));
        assertF16(0x0000, tiny / 2);                      // tie between 0 (even) and 1
        assertF16(0x0001, Math.nextUp(tiny / 2));
        assertF16(0x0000, Math.nextDown(tiny / 2));
        assertF16(0x0000, 1e-10f);
        assertF16(0x0000, Float.MIN_VALUE);
        assertF16(0x0002, 3 * tiny / 2);                  // tie between 1 and 2 (even)
        assertF16(0x0002, 5 * tiny / 2);                  // tie between 2 (even) and 3
        assertF16(0x0004, 7 * tiny / 2);                  // tie between 3 and 4 (even)
        assertF16(0x8000, -tiny / 2);                     // rounds to negative zero
        assertF16(0x8001, -tiny);
        assertF16(0x03ff, 1023 * tiny);                   // largest subnormal
        assertF16(0x0400, 0x1p-14f);                      // smallest normal
        assertF16(0x0400, 2047 * tiny / 2);               // tie between 0x03ff (odd) and 0x0400
        assertF16(0x03ff, Math.nextDown(2047 * tiny / 2));
        assertF16(0x03fe, 2045 * tiny / 2);               // tie between 0x03fe (even) and 0x03ff
    }

    @Test
    void zerosInfinitiesAndNaN() {
        assertF16(0x0000, 0f);
        assertF16(0x8000, -0f);
        assertBf16(0x0000, 0f);
        assertBf16(0x8000, -0f);
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(HalfFloat.f16ToFloat((short) 0x8000)));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(HalfFloat.bf16ToFloat((short) 0x8000)));
        assertEquals(Float.POSITIVE_INFINITY, HalfFloat.f16ToFloat((short) 0x7c00));
        assertEquals(Float.NEGATIVE_INFINITY, HalfFloat.f16ToFloat((short) 0xfc00));
        assertEquals(Float.POSITIVE_INFINITY, HalfFloat.bf16ToFloat((short) 0x7f80));
        assertEquals(Float.NEGATIVE_INFINITY, HalfFloat.bf16ToFloat((short) 0xff80));
        assertBf16(0x7f80, Float.POSITIVE_INFINITY);
        assertBf16(0xff80, Float.NEGATIVE_INFINITY);
        // NaNs whose payload sits only in the low bits must not truncate to infinity
        for (int bits : new int[] {0x7fc00000, 0x7f800001, 0x7f801000, 0xff800001, 0x7fffffff, 0x7f8000ff}) {
            float nan = Float.intBitsToFloat(bits);
            assertTrue(isF16NaN(HalfFloat.floatToF16(nan)), "F16 of NaN bits " + Integer.toHexString(bits) + " = " + hex(HalfFloat.floatToF16(nan)));
            assertTrue(isBf16NaN(HalfFloat.floatToBf16(nan)), "BF16 of NaN bits " + Integer.toHexString(bits) + " = " + hex(HalfFloat.floatToBf16(nan)));
            assertTrue(Float.isNaN(HalfFloat.f16ToFloat(HalfFloat.floatToF16(nan))));
            assertTrue(Float.isNaN(HalfFloat.bf16ToFloat(HalfFloat.floatToBf16(nan))));
        }
    }

    @Test
    void bf16TiesGoToEvenAndOverflow() {
        float u = 0x1p-7f; // BF16 ulp at [1, 2)
        assertBf16(0x3f80, 1f + u / 2);                   // tie, 0x3f80 even
        assertBf16(0x3f81, Math.nextUp(1f + u / 2));
        assertBf16(0x3f82, 1f + 3 * u / 2);               // tie, 0x3f82 even
        assertBf16(0x3f81, Math.nextDown(1f + 3 * u / 2));
        assertBf16(0xbf82, -(1f + 3 * u / 2));
        assertBf16(0x4000, 2f - u / 2);                   // tie 0x3fff (odd) -> 2, exponent carry
        assertBf16(0x3eab, 1f / 3);                       // 0.333984375
        float maxBf16 = HalfFloat.bf16ToFloat((short) 0x7f7f);
        assertEquals(Math.scalb(255.0, 120), maxBf16, 0.0);
        float overflowTie = (float) Math.scalb(511.0, 119); // midpoint between max bf16 and 2^128
        assertBf16(0x7f80, overflowTie);
        assertBf16(0x7f7f, Math.nextDown(overflowTie));
        assertBf16(0x7f80, Float.MAX_VALUE);
        assertBf16(0xff80, -Float.MAX_VALUE);
        // float subnormals: the bf16 grid there is 2^-133
        assertBf16(0x0000, Float.MIN_VALUE);
        assertBf16(0x0000, Float.intBitsToFloat(0x8000));     // tie between 0 and 0x0001
        assertBf16(0x0001, Float.intBitsToFloat(0x8001));
        assertBf16(0x0002, Float.intBitsToFloat(0x18000));    // tie between 0x0001 and 0x0002
        assertBf16(0x8000, -Float.MIN_VALUE);
    }
}
