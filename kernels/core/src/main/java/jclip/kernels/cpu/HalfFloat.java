package jclip.kernels.cpu;

/**
 * IEEE binary16 and bfloat16 conversions with round-to-nearest-even, the rounding the GPU uses.
 * Java 17 has no Float.floatToFloat16, hence these.
 */
public final class HalfFloat {
    private HalfFloat() {}

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    public static short floatToBf16(float f) {
        int x = Float.floatToRawIntBits(f);
        if ((x & 0x7fffffff) > 0x7f800000) return (short) ((x >>> 16) | 0x40); // NaN stays a quiet NaN
        int roundingBias = 0x7fff + ((x >>> 16) & 1);
        return (short) ((x + roundingBias) >>> 16);
    }

    public static float f16ToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        if (exp == 0) {
            if (mant == 0) return Float.intBitsToFloat(sign);
            // Subnormal half: value = mant · 2^-24, exact in float.
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    public static short floatToF16(float f) {
        int x = Float.floatToRawIntBits(f);
        int sign = (x >>> 16) & 0x8000;
        int abs = x & 0x7fffffff;
        if (abs > 0x7f800000) return (short) (sign | 0x7e00);          // NaN
        if (abs >= 0x477ff000) return (short) (sign | 0x7c00);         // rounds to infinity (>= 65520)
        if (abs < 0x38800000) {                                        // below the smallest normal half
            // Subnormal or zero: scale to units of 2^-24 and round to nearest even.
            float a = Float.intBitsToFloat(abs) * 0x1p24f;
            int q = (int) Math.rint(a);
            return (short) (sign | q);
        }
        int exp = (abs >>> 23) - 112;
        int mant = abs & 0x7fffff;
        int half = (exp << 10) | (mant >>> 13);
        int rest = mant & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) half++; // carry may bump the exponent: still right
        return (short) (sign | half);
    }
}
