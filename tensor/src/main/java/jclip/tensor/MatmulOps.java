package jclip.tensor;

import jclip.kernels.BinaryOp;
import jclip.kernels.DType;
import jclip.kernels.GemmShape;

/** Matrix products on the backend's GEMM, reading transposed views without copying them. */
final class MatmulOps {
    private MatmulOps() {}

    /**
     * How GEMM reads the last two dimensions of a tensor: row-major (trans = false) or as the
     * transpose of a row-major matrix (trans = true), with leading dimension ld and a single
     * batch stride over all leading dimensions.
     */
    private record Operand(Tensor t, boolean trans, int ld, int batchStride) {}

    private static Operand operand(Tensor t) {
        int nd = t.ndim();
        int rows = t.shapeRef()[nd - 2], cols = t.shapeRef()[nd - 1];
        int rs = t.strides[nd - 2], cs = t.strides[nd - 1];
        boolean rowMajor = (cs == 1 || cols == 1) && (rs >= Math.max(cols, 1) || rows == 1);
        boolean colMajor = !rowMajor && (rs == 1 || rows == 1) && (cs >= Math.max(rows, 1) || cols == 1);
        int batchStride = collapsedBatchStride(t);
        if ((rowMajor || colMajor) && batchStride >= 0) {
            int ld = rowMajor ? (rows == 1 ? Math.max(cols, 1) : rs) : (cols == 1 ? Math.max(rows, 1) : cs);
            return new Operand(t, colMajor, ld, batchStride);
        }
        Tensor c = ViewOps.copy(t);
        return new Operand(c, false, Math.max(cols, 1), rows * cols);
    }

    /** One stride that steps through every leading (batch) index in row-major order, or -1. */
    private static int collapsedBatchStride(Tensor t) {
        int nd = t.ndim();
        if (nd == 2) return 0;
        int stride = -1;
        int expected = -1;
        for (int d = nd - 3; d >= 0; d--) {
            int size = t.shapeRef()[d];
            if (size == 1) continue;
            if (stride < 0) {
                stride = t.strides[d];
                expected = stride * size;
            } else {
                if (t.strides[d] != expected) return -1;
                expected *= size;
            }
        }
        return Math.max(stride, 0);
    }

    /**
     * The dtype a product computes in: F32, or BF16 when both operands are BF16 (under
     * {@link Autocast}, or given so); the result is F32 either way.
     */
    private static DType inputType(Tensor a, Tensor b, String op) {
        PointwiseOps.requireSameDevice(op, a, b);
        DType t = a.dtype();
        if (t != b.dtype() || (t != DType.F32 && t != DType.BF16))
            throw new IllegalArgumentException(op + " of " + t + " " + Shape.str(a.shapeRef()) + " and " + b.dtype() + " "
                    + Shape.str(b.shapeRef()) + ": both must be F32 or both BF16 (convert with to(DType), or use Autocast)");
        return t;
    }

    static Tensor matmul(Tensor a, Tensor b) {
        return product(Autocast.operand(a), Autocast.operand(b));
    }

    private static Tensor product(Tensor a, Tensor b) {
        DType inputs = inputType(a, b, "matmul");
        if (a.ndim() == 0 || b.ndim() == 0) throw new IllegalArgumentException("matmul of a 0-d tensor");
        if (a.ndim() == 1) return product(a.unsqueeze(0), b).squeeze(-2);
        if (b.ndim() == 1) return product(a, b.unsqueeze(-1)).squeeze(-1);
        int m = a.size(-2), k = a.size(-1), n = b.size(-1);
        if (b.size(-2) != k)
            throw new IllegalArgumentException("matmul: " + Shape.str(a.shapeRef()) + " @ " + Shape.str(b.shapeRef())
                    + " (inner sizes " + k + " and " + b.size(-2) + " differ)");
        int[] aBatch = java.util.Arrays.copyOf(a.shapeRef(), a.ndim() - 2);
        int[] bBatch = java.util.Arrays.copyOf(b.shapeRef(), b.ndim() - 2);
        int[] batch = Shape.broadcast(aBatch, bBatch);
        int batchCount = Shape.numel(batch);
        int[] outShape = java.util.Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        Tensor out = Tensor.empty(a.device(), DType.F32, outShape);

        if (b.ndim() == 2 && a.ndim() > 2 && a.isContiguous()) {
            // [..., m, k] @ [k, n]: one GEMM over all rows of a.
            Operand ob = operand(b);
            gemm(new Operand(a, false, k, 0), ob, batchCount * m, n, k, out, 0, 1);
        } else {
            Operand oa = operand(expandBatch(a, batch)), ob = operand(expandBatch(b, batch));
            gemm(oa, ob, m, n, k, out, m * n, batchCount);
        }
        boolean flatA = b.ndim() == 2 && a.ndim() > 2;
        return Autograd.record(out, "matmul", g -> {
            // The backward products compute in the forward's dtype, whatever Autocast says when
            // backward() runs: bf16 operands meet the gradient rounded to bf16.
            Tensor gc = g.to(inputs);
            return new Tensor[] {
                    a.requiresGrad() ? PointwiseOps.sumTo(product(gc, b.transpose(-1, -2)), a) : null,
                    !b.requiresGrad() ? null
                            // [..., m, k] @ [k, n]: one GEMM over all rows instead of a batch to sum.
                            : flatA ? product(a.reshape(-1, k).transpose(0, 1), gc.reshape(-1, n))
                            : PointwiseOps.sumTo(product(a.transpose(-1, -2), gc), b)};
        }, a, b);
    }

    private static Tensor expandBatch(Tensor t, int[] batch) {
        int[] shape = java.util.Arrays.copyOf(batch, batch.length + 2);
        shape[batch.length] = t.size(-2);
        shape[batch.length + 1] = t.size(-1);
        return java.util.Arrays.equals(shape, t.shapeRef()) ? t : t.expand(shape);
    }

    private static void gemm(Operand a, Operand b, int m, int n, int k, Tensor out, int strideC, int batch) {
        GemmShape s = new GemmShape(a.trans, b.trans, m, n, k, a.ld, b.ld, n, a.batchStride, b.batchStride, strideC, batch);
        out.kernels().gemm(s, 1f, a.t.buffer(), a.t.offset, b.t.buffer(), b.t.offset, 0f, out.buffer(), 0);
    }

    /**
     * x [..., in] · weightᵀ [in, out] + bias [out]: the bias seeds C so GEMM adds onto it. Under
     * {@link Autocast} x and weight are cast and the F32 bias is added in float.
     */
    static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        return affine(Autocast.operand(x), Autocast.operand(weight), bias, null);
    }

    /**
     * residual + x·weightᵀ + bias with the residual as the GEMM's accumulator: a transformer's
     * residual add without its own pass over memory, and without keeping the projection's output
     * alive for the graph beside the sum.
     */
    static Tensor linear(Tensor x, Tensor weight, Tensor bias, Tensor residual) {
        return affine(Autocast.operand(x), Autocast.operand(weight), bias, residual);
    }

    private static Tensor affine(Tensor x, Tensor weight, Tensor bias, Tensor residual) {
        DType inputs = inputType(x, weight, "linear");
        PointwiseOps.requireSameDevice("linear", x, bias);
        if (weight.ndim() != 2 || weight.size(1) != x.size(-1))
            throw new IllegalArgumentException("linear: input " + Shape.str(x.shapeRef()) + " and weight " + Shape.str(weight.shapeRef())
                    + " (expected [out, " + x.size(-1) + "])");
        int in = weight.size(1), outF = weight.size(0);
        if (bias != null && (bias.ndim() != 1 || bias.size(0) != outF))
            throw new IllegalArgumentException("linear: bias " + Shape.str(bias.shapeRef()) + " does not match weight " + Shape.str(weight.shapeRef()));
        int rows = x.numel() / Math.max(in, 1);
        int[] outShape = x.shape();
        outShape[outShape.length - 1] = outF;
        if (residual != null) {
            PointwiseOps.requireF32(residual, "linear's residual");
            PointwiseOps.requireSameDevice("linear", x, residual);
            if (!java.util.Arrays.equals(residual.shapeRef(), outShape))
                throw new IllegalArgumentException("linear: residual " + Shape.str(residual.shapeRef()) + " does not match the output "
                        + Shape.str(outShape));
        }
        Tensor out = Tensor.empty(x.device(), DType.F32, outShape);
        Tensor xc = x.contiguous();
        Operand w = operand(weight.transpose(0, 1));
        float beta = 0f;
        if (residual != null) {
            out.copyFrom(residual);
            if (bias != null) PointwiseOps.binaryInto(BinaryOp.ADD, out, bias, out);
            beta = 1f;
        } else if (bias != null) {
            out.kernels().copy(new int[] {rows, outF}, bias.buffer(), bias.offset, new int[] {0, bias.strides[0]},
                    out.buffer(), 0, new int[] {outF, 1});
            beta = 1f;
        }
        GemmShape s = new GemmShape(false, w.trans, rows, outF, in, in, w.ld, outF, 0, 0, 0, 1);
        out.kernels().gemm(s, 1f, xc.buffer(), xc.offset, w.t.buffer(), w.t.offset, beta, out.buffer(), 0);
        return Autograd.record(out, "linear", g -> {
            // As in matmul: the forward's dtype, with the gradient rounded to bf16 when it was bf16.
            Tensor g2 = g.reshape(rows, outF), gc = g2.to(inputs);
            return new Tensor[] {
                    x.requiresGrad() ? product(gc, weight).reshape(x.shapeRef()) : null,
                    weight.requiresGrad() ? product(gc.transpose(0, 1), xc.reshape(rows, in)) : null,
                    bias != null && bias.requiresGrad() ? g2.sum(0, false) : null,
                    residual != null && residual.requiresGrad() ? g : null};
        }, x, weight, bias, residual);
    }
}
