package jclip.tensor;

import jclip.kernels.BinaryOp;
import jclip.kernels.DType;
import jclip.kernels.UnaryOp;

/** Element-wise ops with broadcasting, and their gradient rules. */
final class PointwiseOps {
    private PointwiseOps() {}

    static void requireF32(Tensor t, String op) {
        if (t.dtype() != DType.F32)
            throw new IllegalArgumentException(op + " computes in F32; got " + t.dtype() + " " + Shape.str(t.shapeRef()) + " (convert with to(DType.F32))");
    }

    /** All of {@code tensors} (nulls skipped) on one device, or an error naming the devices and shapes. */
    static void requireSameDevice(String op, Tensor... tensors) {
        Tensor first = null;
        for (Tensor t : tensors) {
            if (t == null) continue;
            if (first == null) first = t;
            else if (t.device() != first.device())
                throw new IllegalArgumentException(op + ": tensors on " + first.device() + " " + Shape.str(first.shapeRef()) + " and "
                        + t.device() + " " + Shape.str(t.shapeRef()) + " (move one with to(Device))");
        }
    }

    static Tensor unary(Tensor x, UnaryOp op, float p) {
        requireF32(x, op.name().toLowerCase());
        Tensor xd = ViewOps.dense(x);
        Tensor y = Tensor.empty(x.device(), DType.F32, x.shapeRef());
        x.kernels().unary(op, p, xd.buffer(), 0, y.buffer(), 0, y.numel());
        return Autograd.record(y, op.name().toLowerCase(), g -> {
            Tensor gx = Tensor.empty(g.device(), DType.F32, g.shapeRef());
            g.kernels().unaryBackward(op, p, xd.buffer(), y.buffer(), ViewOps.dense(g).buffer(), gx.buffer(), gx.numel());
            return new Tensor[] {gx};
        }, x);
    }

    /** out = op(a, b) with broadcasting; out is a new contiguous tensor. */
    static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        requireF32(a, op.name().toLowerCase());
        requireF32(b, op.name().toLowerCase());
        requireSameDevice(op.name().toLowerCase(), a, b);
        int[] shape = Shape.broadcast(a.shapeRef(), b.shapeRef());
        Tensor out = Tensor.empty(a.device(), DType.F32, shape);
        binaryInto(op, a, b, out);
        return out;
    }

    /** Writes op(a, b), broadcast to out's shape, into contiguous out (which may be a or b). */
    static void binaryInto(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        int[] shape = out.shapeRef();
        int[] as = Shape.broadcastStrides(a.shapeRef(), a.strides, shape);
        int[] bs = Shape.broadcastStrides(b.shapeRef(), b.strides, shape);
        a.kernels().binary(op, shape, a.buffer(), a.offset, as, b.buffer(), b.offset, bs, out.buffer(), out.offset);
    }

    static Tensor add(Tensor a, Tensor b) {
        return Autograd.record(binary(BinaryOp.ADD, a, b), "add",
                g -> new Tensor[] {sumTo(g, a), sumTo(g, b)}, a, b);
    }

    static Tensor sub(Tensor a, Tensor b) {
        return Autograd.record(binary(BinaryOp.SUB, a, b), "sub",
                g -> new Tensor[] {sumTo(g, a), b.requiresGrad() ? sumTo(g.neg(), b) : null}, a, b);
    }

    static Tensor mul(Tensor a, Tensor b) {
        return Autograd.record(binary(BinaryOp.MUL, a, b), "mul", g -> new Tensor[] {
                a.requiresGrad() ? sumTo(g.mul(b), a) : null,
                b.requiresGrad() ? sumTo(g.mul(a), b) : null}, a, b);
    }

    static Tensor div(Tensor a, Tensor b) {
        return Autograd.record(binary(BinaryOp.DIV, a, b), "div", g -> new Tensor[] {
                a.requiresGrad() ? sumTo(g.div(b), a) : null,
                b.requiresGrad() ? sumTo(g.mul(a).div(b.mul(b)).neg(), b) : null}, a, b);
    }

    static Tensor pow(Tensor a, Tensor b) {
        Tensor y = binary(BinaryOp.POW, a, b);
        return Autograd.record(y, "pow", g -> new Tensor[] {
                a.requiresGrad() ? sumTo(g.mul(b).mul(binary(BinaryOp.POW, a, b.sub(1f))), a) : null,
                b.requiresGrad() ? sumTo(g.mul(y).mul(a.log()), b) : null}, a, b);
    }

    static Tensor maximum(Tensor a, Tensor b) {
        Tensor y = binary(BinaryOp.MAXIMUM, a, b);
        return Autograd.record(y, "maximum", g -> {
            // Ties send the gradient to a, a valid subgradient.
            Tensor toB = g.mul(binary(BinaryOp.LESS, a, b));
            return new Tensor[] {
                    a.requiresGrad() ? sumTo(g.sub(toB), a) : null,
                    b.requiresGrad() ? sumTo(toB, b) : null};
        }, a, b);
    }

    static Tensor where(Tensor cond, Tensor a, Tensor b) {
        requireF32(cond, "where (condition)");
        requireF32(a, "where");
        requireF32(b, "where");
        requireSameDevice("where", cond, a, b);
        int[] shape = Shape.broadcast(Shape.broadcast(cond.shapeRef(), a.shapeRef()), b.shapeRef());
        Tensor out = Tensor.empty(a.device(), DType.F32, shape);
        a.kernels().where(shape, cond.buffer(), cond.offset, Shape.broadcastStrides(cond.shapeRef(), cond.strides, shape),
                a.buffer(), a.offset, Shape.broadcastStrides(a.shapeRef(), a.strides, shape),
                b.buffer(), b.offset, Shape.broadcastStrides(b.shapeRef(), b.strides, shape), out.buffer(), 0);
        return Autograd.record(out, "where", g -> {
            Tensor zero = Tensor.full(g.device(), 0f);
            return new Tensor[] {null,
                    a.requiresGrad() ? sumTo(where(cond, g, zero), a) : null,
                    b.requiresGrad() ? sumTo(where(cond, zero, g), b) : null};
        }, cond, a, b);
    }

    static Tensor maskedFill(Tensor x, Tensor mask, float value) {
        Tensor fill = Tensor.full(x.device(), value);
        return where(mask, fill, x);
    }

    static Tensor dropout(Tensor x, float p, Rng rng) {
        if (p < 0 || p >= 1) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        if (p == 0) return x;
        float[] keep = new float[x.numel()];
        float scale = 1 / (1 - p);
        for (int i = 0; i < keep.length; i++) keep[i] = rng.nextFloat() >= p ? scale : 0f;
        Tensor mask = Tensor.fromHost(keep, DType.F32, x.shapeRef()).to(x.device());
        return x.mul(mask);
    }

    /** Sums a broadcast gradient back to the shape of the input it came from. */
    static Tensor sumTo(Tensor g, Tensor input) {
        if (input == null || !input.requiresGrad()) return null;
        int[] target = input.shapeRef();
        int[] shape = g.shapeRef();
        if (java.util.Arrays.equals(shape, target)) return g;
        Tensor r = g;
        int lead = shape.length - target.length;
        for (int i = 0; i < lead; i++) r = r.sum(0, false);
        for (int d = 0; d < target.length; d++)
            if (target[d] == 1 && r.shapeRef()[d] != 1) r = r.sum(d, true);
        return r;
    }
}
