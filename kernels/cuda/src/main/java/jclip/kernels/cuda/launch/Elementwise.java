package jclip.kernels.cuda.launch;

import jclip.kernels.BinaryOp;
import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.UnaryOp;
import jclip.kernels.cpu.Shapes;
import jclip.kernels.cuda.CudaDevice;
import jclip.kernels.cuda.CudaKernel;

/** Launches src/main/cuda/elementwise.cu: unary ops and their backward, broadcasting binary ops, where. */
public final class Elementwise {
    private static final String MODULE = "elementwise";

    private final CudaKernel unary;
    private final CudaKernel unaryBackward;
    private final CudaKernel binary;
    private final CudaKernel where;

    public Elementwise(CudaDevice device) {
        unary = device.kernel(MODULE, "jclip_unary_f32");
        unaryBackward = device.kernel(MODULE, "jclip_unary_backward_f32");
        binary = device.kernel(MODULE, "jclip_binary_f32");
        where = device.kernel(MODULE, "jclip_where_f32");
    }

    public void unary(UnaryOp op, float param, Buffer x, int xOffset, Buffer y, int yOffset, int n) {
        String name = "unary " + op;
        Args.nonNegative(name, "n", n);
        Args.f32(name, "x", x, xOffset, n);
        Args.f32(name, "y", y, yOffset, n);
        if (n == 0) return;
        unary.i32(op.ordinal()).f32(param).pointer(x, xOffset).pointer(y, yOffset).i32(n)
                .launch(Layout.blocks(n), Layout.THREADS, 0);
    }

    /** Which saved value an op's derivative reads: x, y = op(x), or neither. */
    private enum Reads { X, Y, NONE }

    private static Reads reads(UnaryOp op) {
        return switch (op) {
            case LOG, ABS, RELU, GELU, QUICK_GELU, POW_SCALAR, RDIV_SCALAR, CLAMP_MIN, CLAMP_MAX -> Reads.X;
            case EXP, SQRT, RSQRT, TANH, SIGMOID -> Reads.Y;
            case NEG, ADD_SCALAR, MUL_SCALAR, DIV_SCALAR -> Reads.NONE;
        };
    }

    /** x and y are needed only where the op's rule reads them (may be null otherwise). */
    public void unaryBackward(UnaryOp op, float param, Buffer x, Buffer y, Buffer gy, Buffer gx, int n) {
        String name = "unaryBackward " + op;
        Args.nonNegative(name, "n", n);
        Args.f32(name, "gy", gy, 0, n);
        Args.f32(name, "gx", gx, 0, n);
        Reads reads = reads(op);
        if (reads == Reads.X) Args.f32(name, "x", x, 0, n);
        if (reads == Reads.Y) Args.f32(name, "y", y, 0, n);
        if (n == 0) return;
        // The kernel takes both pointers; one the rule does not read gets gy, a valid address.
        unaryBackward.i32(op.ordinal()).f32(param)
                .pointer(reads == Reads.X ? x : gy, 0).pointer(reads == Reads.Y ? y : gy, 0)
                .pointer(gy, 0).pointer(gx, 0).i32(n)
                .launch(Layout.blocks(n), Layout.THREADS, 0);
    }

    public void binary(BinaryOp op, int[] shape, Buffer a, int aOffset, int[] aStrides,
            Buffer b, int bOffset, int[] bStrides, Buffer out, int outOffset) {
        String name = "binary " + op;
        int n = Args.shape(name, shape);
        Args.strided(name, "a", a, DType.F32, aOffset, shape, aStrides);
        Args.strided(name, "b", b, DType.F32, bOffset, shape, bStrides);
        Args.f32(name, "out", out, outOffset, n);
        if (n == 0) return;
        Layout.Merged m = Layout.Merged.of(name, shape, aStrides, bStrides, Shapes.contiguousStrides(shape));
        binary.i32(op.ordinal()).i32(m.ndim()).ints(m.shape(), Layout.MAX_DIMS)
                .ints(m.strides()[0], Layout.MAX_DIMS).ints(m.strides()[1], Layout.MAX_DIMS)
                .pointer(a, aOffset).pointer(b, bOffset).pointer(out, outOffset).i32(n)
                .launch(Layout.blocks(n), Layout.THREADS, 0);
    }

    public void where(int[] shape, Buffer cond, int cOffset, int[] cStrides, Buffer a, int aOffset, int[] aStrides,
            Buffer b, int bOffset, int[] bStrides, Buffer out, int outOffset) {
        String name = "where";
        int n = Args.shape(name, shape);
        Args.strided(name, "cond", cond, DType.F32, cOffset, shape, cStrides);
        Args.strided(name, "a", a, DType.F32, aOffset, shape, aStrides);
        Args.strided(name, "b", b, DType.F32, bOffset, shape, bStrides);
        Args.f32(name, "out", out, outOffset, n);
        if (n == 0) return;
        Layout.Merged m = Layout.Merged.of(name, shape, cStrides, aStrides, bStrides, Shapes.contiguousStrides(shape));
        where.i32(m.ndim()).ints(m.shape(), Layout.MAX_DIMS).ints(m.strides()[0], Layout.MAX_DIMS)
                .ints(m.strides()[1], Layout.MAX_DIMS).ints(m.strides()[2], Layout.MAX_DIMS)
                .pointer(cond, cOffset).pointer(a, aOffset).pointer(b, bOffset).pointer(out, outOffset).i32(n)
                .launch(Layout.blocks(n), Layout.THREADS, 0);
    }
}
