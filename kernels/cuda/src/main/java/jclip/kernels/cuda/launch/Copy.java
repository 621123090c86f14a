package jclip.kernels.cuda.launch;

import jclip.kernels.Buffer;
import jclip.kernels.cpu.HalfFloat;
import jclip.kernels.cuda.CudaDevice;
import jclip.kernels.cuda.CudaKernel;

/** Launches src/main/cuda/copy.cu: strided, converting copies between any two dtypes, and fill. */
public final class Copy {
    private static final String MODULE = "copy";

    private final CudaKernel copy;
    private final CudaKernel fill;

    public Copy(CudaDevice device) {
        copy = device.kernel(MODULE, "jclip_copy");
        fill = device.kernel(MODULE, "jclip_fill");
    }

    public void fill(Buffer out, int offset, int n, double value) {
        Args.nonNegative("fill", "n", n);
        if (out == null) throw new IllegalArgumentException("fill: out is null");
        Args.buffer("fill", "out", out, out.dtype(), offset, n);
        if (n == 0) return;
        fill.pointer(out, offset).i32(out.dtype().byteSize()).i64(bits(out, value)).i32(n)
                .launch(Layout.blocks(n), Layout.THREADS, 0);
    }

    /** The bit pattern of {@code value} in out's dtype, converted as the CPU backend's fill does. */
    private static long bits(Buffer out, double value) {
        return switch (out.dtype()) {
            case F32 -> Float.floatToRawIntBits((float) value) & 0xffffffffL;
            case F16 -> HalfFloat.floatToF16((float) value) & 0xffff;
            case BF16 -> HalfFloat.floatToBf16((float) value) & 0xffff;
            case I32 -> (int) value & 0xffffffffL;
            case I64 -> (long) value;
            case U8, BOOL -> (byte) value & 0xff;
        };
    }

    public void copy(int[] shape, Buffer src, int srcOffset, int[] srcStrides, Buffer dst, int dstOffset, int[] dstStrides) {
        int n = Args.shape("copy", shape);
        Args.strided("copy", "src", src, null, srcOffset, shape, srcStrides);
        Args.strided("copy", "dst", dst, null, dstOffset, shape, dstStrides);
        if (n == 0) return;
        Layout.Merged m = Layout.Merged.of("copy", shape, srcStrides, dstStrides);
        copy.i32(src.dtype().ordinal()).i32(dst.dtype().ordinal()).i32(m.ndim()).ints(m.shape(), Layout.MAX_DIMS)
                .ints(m.strides()[0], Layout.MAX_DIMS).ints(m.strides()[1], Layout.MAX_DIMS)
                .pointer(src, srcOffset).pointer(dst, dstOffset).i32(n)
                .launch(Layout.blocks(n), Layout.THREADS, 0);
    }
}
