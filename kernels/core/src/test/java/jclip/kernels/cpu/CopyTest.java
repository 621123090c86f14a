package jclip.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import jclip.kernels.DType;
import org.junit.jupiter.api.Test;

/*
 * Copy.strided between float/int/long/byte arrays (layouts and conversions), and CpuKernels.copy,
 * which adds the F16/BF16 paths, including the pairs that go through a temporary F32 buffer.
 */
class CopyTest {
    private static final CpuKernels K = CpuKernels.INSTANCE;

    @Test
    void transposeAndBroadcastLayouts() {
        // src [2, 3] row-major at offset 1; write its transpose into dst [3, 2] at offset 2
        float[] src = {-1, 1, 2, 3, 4, 5, 6};
        float[] dst = new float[2 + 6 + 1];
        Arrays.fill(dst, 9f);
        Copy.strided(new int[] {3, 2}, src, 1, new int[] {1, 3}, dst, 2, new int[] {2, 1});
        assertArrayEquals(new float[] {9, 9, 1, 4, 2, 5, 3, 6, 9}, dst);
        // broadcast a row over 3 rows (stride 0) into a non-contiguous destination (every other slot)
        float[] wide = new float[12];
        Copy.strided(new int[] {3, 2}, new float[] {7, 8}, 0, new int[] {0, 1}, wide, 0, new int[] {4, 2});
        assertArrayEquals(new float[] {7, 0, 8, 0, 7, 0, 8, 0, 7, 0, 8, 0}, wide);
        // 0-d
        float[] one = {0};
        Copy.strided(new int[0], new float[] {1, 42}, 1, new int[0], one, 0, new int[0]);
        assertEquals(42f, one[0]);
        // a zero-size dimension copies nothing
        Copy.strided(new int[] {0, 3}, src, 0, new int[] {3, 1}, one, 0, new int[] {3, 1});
        assertEquals(42f, one[0]);
    }

    @Test
    void stridedPermutationMatchesLoopForEveryArrayType() {
        int[] shape = {3, 4, 5};
        int[] srcStrides = {1, 3, 12}; // a [5, 4, 3] array permuted (2, 1, 0)
        int n = 60;
        Random r = new Random(1);
        long[] base = new long[n];
        for (int i = 0; i < n; i++) base[i] = r.nextInt(200);
        Object[] srcs = {toFloat(base), toInt(base), base.clone(), toByte(base)};
        for (Object src : srcs)
            for (Object dstProto : new Object[] {new float[n], new int[n], new long[n], new byte[n]}) {
                Object dst = java.lang.reflect.Array.newInstance(dstProto.getClass().getComponentType(), n);
                Copy.strided(shape, src, 0, srcStrides, dst, 0, new int[] {20, 5, 1});
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 4; j++)
                        for (int k = 0; k < 5; k++) {
                            long expected = base[i + 3 * j + 12 * k];
                            long got = ((Number) asNumber(dst, i * 20 + j * 5 + k)).longValue();
                            assertEquals(expected, got, src.getClass().getSimpleName() + " -> " + dst.getClass().getSimpleName()
                                    + " at [" + i + ", " + j + ", " + k + "]");
                        }
            }
    }

    private static Object asNumber(Object a, int i) {
        if (a instanceof float[] f) return f[i];
        if (a instanceof int[] x) return x[i];
        if (a instanceof long[] x) return x[i];
        return ((byte[]) a)[i] & 0xff; // U8
    }

    private static float[] toFloat(long[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = v[i];
        return f;
    }

    private static int[] toInt(long[] v) {
        return Arrays.stream(v).mapToInt(x -> (int) x).toArray();
    }

    private static byte[] toByte(long[] v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    private static void copy1d(Object src, Object dst) {
        int n = java.lang.reflect.Array.getLength(src);
        Copy.strided(new int[] {n}, src, 0, new int[] {1}, dst, 0, new int[] {1});
    }

    @Test
    void elementConversions() {
        // float -> integer truncates toward zero
        float[] f = {2.7f, -2.7f, 0.5f, -0.5f, 1e9f, -3f};
        int[] i = new int[f.length];
        long[] l = new long[f.length];
        copy1d(f, i);
        copy1d(f, l);
        assertArrayEquals(new int[] {2, -2, 0, 0, 1_000_000_000, -3}, i);
        assertArrayEquals(new long[] {2, -2, 0, 0, 1_000_000_000L, -3}, l);
        // I64 ids survive exactly, both ways through I64 and through a strided (non-arraycopy) path
        long[] ids = {Long.MAX_VALUE, Long.MIN_VALUE, (1L << 53) + 1, -1};
        long[] back = new long[8];
        Copy.strided(new int[] {4}, ids, 0, new int[] {1}, back, 1, new int[] {2});
        assertArrayEquals(new long[] {0, Long.MAX_VALUE, 0, Long.MIN_VALUE, 0, (1L << 53) + 1, 0, -1}, back);
        // long -> float rounds to nearest
        float[] lf = new float[2];
        copy1d(new long[] {16_777_217L, (1L << 40) + 1}, lf);
        assertArrayEquals(new float[] {16_777_216f, (float) (1L << 40)}, lf);
        // int <-> long exact at the extremes
        long[] il = new long[2];
        copy1d(new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE}, il);
        assertArrayEquals(new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE}, il);
        // bytes are unsigned (U8): 200 stays 200 through float and back
        byte[] u8 = {(byte) 200, (byte) 255, 0, 7};
        float[] uf = new float[4];
        copy1d(u8, uf);
        assertArrayEquals(new float[] {200, 255, 0, 7}, uf);
        byte[] u8back = new byte[4];
        copy1d(uf, u8back);
        assertArrayEquals(u8, u8back);
        int[] ui = new int[4];
        copy1d(u8, ui);
        assertArrayEquals(new int[] {200, 255, 0, 7}, ui);
        // half types need the dtype-aware overload
        assertThrows(IllegalArgumentException.class, () -> copy1d(new short[] {1}, new float[1]));
        assertThrows(IllegalArgumentException.class, () -> copy1d(new float[] {1}, new short[1]));
    }

    // ---------------------------------------------------------------------------------------
    // CpuKernels.copy with half types

    private static CpuBuffer buf(DType t, Object array) {
        return K.wrap(t, array);
    }

    @Test
    void floatToHalfAndBackRoundsToNearestEven() {
        float[] values = {1f, 1f + 0x1p-11f, 1f + 3 * 0x1p-11f, 65504f, 65520f, -0f, 0x1p-25f, 3 * 0x1p-25f, 1f / 3, Float.NaN, -2.5f};
        int n = values.length;
        int[] c = {1};
        for (DType half : new DType[] {DType.F16, DType.BF16}) {
            try (CpuBuffer src = buf(DType.F32, values.clone()); CpuBuffer h = K.allocate(half, n); CpuBuffer back = K.allocate(DType.F32, n)) {
                K.copy(new int[] {n}, src, 0, c, h, 0, c);
                K.copy(new int[] {n}, h, 0, c, back, 0, c);
                short[] bits = (short[]) h.array();
                float[] out = back.f32();
                for (int i = 0; i < n; i++) {
                    short e = half == DType.F16 ? HalfFloat.floatToF16(values[i]) : HalfFloat.floatToBf16(values[i]);
                    assertEquals(e, bits[i], half + " bits of " + values[i]);
                    float ef = half == DType.F16 ? HalfFloat.f16ToFloat(e) : HalfFloat.bf16ToFloat(e);
                    assertEquals(Float.floatToIntBits(ef), Float.floatToIntBits(out[i]), half + " round trip of " + values[i]);
                }
            }
        }
        // spot values, written out, so that the test does not only agree with HalfFloat
        try (CpuBuffer src = buf(DType.F32, values.clone()); CpuBuffer h = K.allocate(DType.F16, n); CpuBuffer back = K.allocate(DType.F32, n)) {
            K.copy(new int[] {n}, src, 0, c, h, 0, c);
            K.copy(new int[] {n}, h, 0, c, back, 0, c);
            float[] out = back.f32();
            assertEquals(1f, out[1]);                        // tie to even
            assertEquals(1f + 2 * 0x1p-10f, out[2]);         // tie to even, upwards
            assertEquals(65504f, out[3]);
            assertEquals(Float.POSITIVE_INFINITY, out[4]);   // overflow
            assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(out[5]));
            assertEquals(0f, out[6]);                        // half of the smallest subnormal: to zero
            assertEquals(2 * 0x1p-24f, out[7]);
            assertEquals(0.333251953125f, out[8]);
            assertEquals(Float.NaN, out[9]);
            assertEquals(-2.5f, out[10]);
        }
        try (CpuBuffer src = buf(DType.F32, values.clone()); CpuBuffer h = K.allocate(DType.BF16, n); CpuBuffer back = K.allocate(DType.F32, n)) {
            K.copy(new int[] {n}, src, 0, c, h, 0, c);
            K.copy(new int[] {n}, h, 0, c, back, 0, c);
            float[] out = back.f32();
            assertEquals(1f, out[1]);                        // 1 + 2^-11 is well under BF16's half ulp
            assertEquals(65536f, out[3]);                    // 65504 in BF16: 8 significant bits
            assertEquals(0.333984375f, out[8]);
        }
    }

    @Test
    void halfCopiesWithStridesAndOffsets() {
        // F32 [2, 3] transposed into F16 [3, 2] at offset 1, then F16 -> F16 strided, then back to F32
        float[] src = {0.5f, 1.5f, 2.5f, -1f, -2f, 1024f};
        try (CpuBuffer s = buf(DType.F32, src); CpuBuffer h = K.allocate(DType.F16, 8); CpuBuffer h2 = K.allocate(DType.F16, 6);
                CpuBuffer out = K.allocate(DType.F32, 6)) {
            K.fill(h, 0, 8, 0);
            K.copy(new int[] {3, 2}, s, 0, new int[] {1, 3}, h, 1, new int[] {2, 1});
            K.copy(new int[] {3, 2}, h, 1, new int[] {2, 1}, h2, 0, new int[] {1, 3}); // transpose back
            K.copy(new int[] {2, 3}, h2, 0, new int[] {3, 1}, out, 0, new int[] {3, 1});
            assertArrayEquals(src, out.f32());
            short[] hb = (short[]) h.array();
            assertEquals(0, hb[0], "nothing written before the offset");
            assertEquals(0, hb[7], "nothing written after the range");
            assertEquals(HalfFloat.floatToF16(-1f), hb[2]); // [0, 1] of the transpose is src[1, 0]
        }
    }

    @Test
    void halfToAndFromNonFloatTypesGoThroughFloat() {
        long live = K.memory().liveBuffers();
        int[] c = {1};
        // I32 -> F16: 65519 rounds to 65504, 65520 to infinity, 2049 to 2048 (tie to even)
        try (CpuBuffer ints = buf(DType.I32, new int[] {65519, 65520, 2049, -7}); CpuBuffer h = K.allocate(DType.F16, 4);
                CpuBuffer f = K.allocate(DType.F32, 4)) {
            K.copy(new int[] {4}, ints, 0, c, h, 0, c);
            K.copy(new int[] {4}, h, 0, c, f, 0, c);
            assertArrayEquals(new float[] {65504f, Float.POSITIVE_INFINITY, 2048f, -7f}, f.f32());
        }
        // F16 -> I64 and BF16 -> I32 truncate toward zero
        try (CpuBuffer h = buf(DType.F16, new short[] {HalfFloat.floatToF16(2.5f), HalfFloat.floatToF16(-0.5f), HalfFloat.floatToF16(-3.75f)});
                CpuBuffer l = K.allocate(DType.I64, 3)) {
            K.copy(new int[] {3}, h, 0, c, l, 0, c);
            assertArrayEquals(new long[] {2, 0, -3}, l.i64());
        }
        try (CpuBuffer b = buf(DType.BF16, new short[] {HalfFloat.floatToBf16(300f), HalfFloat.floatToBf16(-1.5f)});
                CpuBuffer i = K.allocate(DType.I32, 2)) {
            K.copy(new int[] {2}, b, 0, c, i, 0, c);
            assertArrayEquals(new int[] {300, -1}, i.i32());
        }
        // F16 -> BF16 (different half kinds): through float, rounding once more
        try (CpuBuffer h = buf(DType.F16, new short[] {HalfFloat.floatToF16(1f + 0x1p-10f), HalfFloat.floatToF16(65504f)});
                CpuBuffer b = K.allocate(DType.BF16, 2)) {
            K.copy(new int[] {2}, h, 0, c, b, 0, c);
            short[] bits = (short[]) b.array();
            assertEquals(1f, HalfFloat.bf16ToFloat(bits[0]));      // 1 + 2^-10 is below BF16's half ulp
            assertEquals(65536f, HalfFloat.bf16ToFloat(bits[1]));
        }
        assertEquals(live, K.memory().liveBuffers(), "the temporary F32 buffer is released");
    }
}
