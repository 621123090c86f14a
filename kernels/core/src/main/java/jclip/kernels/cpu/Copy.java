package jclip.kernels.cpu;

/**
 * Strided copies between host arrays of any element type, converting as they go. This one kernel
 * makes views contiguous, concatenates, pads and changes dtype.
 */
public final class Copy {
    private Copy() {}

    /** dst[index·ds + dOff] = convert(src[index·ss + sOff]) over every index of shape. */
    public static void strided(int[] shape, Object src, int sOff, int[] ss, Object dst, int dOff, int[] ds) {
        int nd = shape.length;
        if (nd == 0) {
            copyRun(src, sOff, 0, dst, dOff, 0, 1);
            return;
        }
        int inner = shape[nd - 1];
        int rows = Shapes.numel(shape) / Math.max(inner, 1);
        if (inner == 0 || rows == 0) return;
        int sIn = ss[nd - 1], dIn = ds[nd - 1];
        Parallel.forRange(rows, inner, (from, to) -> {
            for (int r = from; r < to; r++)
                copyRun(src, sOff + Shapes.rowOffset(r, shape, ss), sIn, dst, dOff + Shapes.rowOffset(r, shape, ds), dIn, inner);
        });
    }

    private static void copyRun(Object src, int s, int ss, Object dst, int d, int ds, int n) {
        if (src instanceof float[] a && dst instanceof float[] b) {
            if (ss == 1 && ds == 1) System.arraycopy(a, s, b, d, n);
            else for (int i = 0; i < n; i++) b[d + i * ds] = a[s + i * ss];
            return;
        }
        if (src.getClass() == dst.getClass() && ss == 1 && ds == 1 && !(src instanceof short[])) {
            System.arraycopy(src, s, dst, d, n);
            return;
        }
        for (int i = 0; i < n; i++) store(dst, d + i * ds, src, s + i * ss);
    }

    // Element conversions go through double for floats and long for integers so that I64 ids
    // survive exactly. F16 and BF16 share the short[] array type, so only the dtype-aware
    // half-precision methods below may touch them.
    private static void store(Object dst, int d, Object src, int s) {
        if (src instanceof short[] || dst instanceof short[])
            throw new IllegalArgumentException("half-precision copies need the dtype-aware overload");
        if (dst instanceof float[] b) b[d] = (float) readDouble(src, s);
        else if (dst instanceof int[] b) b[d] = (int) readLong(src, s);
        else if (dst instanceof long[] b) b[d] = readLong(src, s);
        else if (dst instanceof byte[] b) b[d] = (byte) readLong(src, s);
        else throw new IllegalArgumentException("unsupported array " + dst.getClass());
    }

    private static double readDouble(Object a, int i) {
        if (a instanceof float[] f) return f[i];
        if (a instanceof int[] x) return x[i];
        if (a instanceof long[] x) return x[i];
        if (a instanceof byte[] x) return x[i] & 0xff;
        throw new IllegalArgumentException("unsupported array " + a.getClass());
    }

    private static long readLong(Object a, int i) {
        if (a instanceof float[] f) return (long) f[i];
        if (a instanceof int[] x) return x[i];
        if (a instanceof long[] x) return x[i];
        if (a instanceof byte[] x) return x[i] & 0xff;
        throw new IllegalArgumentException("unsupported array " + a.getClass());
    }

    /** Half-precision bits (F16 when f16, else BF16) to float, strided. */
    public static void halfToFloat(boolean f16, int[] shape, short[] src, int sOff, int[] ss, float[] dst, int dOff, int[] ds) {
        forEach(shape, ss, ds, (s, d) -> dst[dOff + d] = f16 ? HalfFloat.f16ToFloat(src[sOff + s]) : HalfFloat.bf16ToFloat(src[sOff + s]));
    }

    /** Float to half-precision bits, round to nearest even. */
    public static void floatToHalf(boolean f16, int[] shape, float[] src, int sOff, int[] ss, short[] dst, int dOff, int[] ds) {
        forEach(shape, ss, ds, (s, d) -> dst[dOff + d] = f16 ? HalfFloat.floatToF16(src[sOff + s]) : HalfFloat.floatToBf16(src[sOff + s]));
    }

    /** Half bits to half bits of the same kind, strided. */
    public static void halfToHalf(int[] shape, short[] src, int sOff, int[] ss, short[] dst, int dOff, int[] ds) {
        forEach(shape, ss, ds, (s, d) -> dst[dOff + d] = src[sOff + s]);
    }

    private interface OffsetPair {
        void apply(int srcOffset, int dstOffset);
    }

    private static void forEach(int[] shape, int[] ss, int[] ds, OffsetPair body) {
        int nd = shape.length;
        if (nd == 0) {
            body.apply(0, 0);
            return;
        }
        int inner = shape[nd - 1];
        int rows = Shapes.numel(shape) / Math.max(inner, 1);
        if (inner == 0) return;
        int sIn = ss[nd - 1], dIn = ds[nd - 1];
        for (int r = 0; r < rows; r++) {
            int s = Shapes.rowOffset(r, shape, ss), d = Shapes.rowOffset(r, shape, ds);
            for (int i = 0; i < inner; i++) body.apply(s + i * sIn, d + i * dIn);
        }
    }
}
