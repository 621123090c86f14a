package jclip.tensor;

import jclip.kernels.BinaryOp;
import jclip.kernels.DType;
import jclip.kernels.ReduceOp;

/** Reductions over one dimension, softmax and their gradient rules. */
final class ReductionOps {
    private ReductionOps() {}

    /** Sizes of x seen as [outer, dim, inner] around dimension d. */
    private static int[] split(int[] shape, int d) {
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.length; i++) inner *= shape[i];
        return new int[] {outer, shape[d], inner};
    }

    private static int[] reducedShape(int[] shape, int d, boolean keepDim) {
        if (keepDim) {
            int[] s = shape.clone();
            s[d] = 1;
            return s;
        }
        int[] s = new int[shape.length - 1];
        for (int i = 0, k = 0; i < shape.length; i++) if (i != d) s[k++] = shape[i];
        return s;
    }

    private static Tensor reduce(ReduceOp op, Tensor x, int d, boolean keepDim) {
        int[] oDi = split(x.shapeRef(), d);
        Tensor xc = x.contiguous();
        Tensor out = Tensor.empty(x.device(), op == ReduceOp.ARGMAX ? DType.I64 : DType.F32, reducedShape(x.shapeRef(), d, keepDim));
        x.kernels().reduce(op, xc.buffer(), xc.offset, oDi[0], oDi[1], oDi[2], out.buffer());
        return out;
    }

    static Tensor sum(Tensor x, int dim, boolean keepDim) {
        PointwiseOps.requireF32(x, "sum");
        int d = Shape.dim(dim, x.ndim());
        Tensor out = reduce(ReduceOp.SUM, x, d, keepDim);
        int[] shape = x.shape();
        return Autograd.record(out, "sum", g -> new Tensor[] {(keepDim ? g : g.unsqueeze(d)).expand(shape).contiguous()}, x);
    }

    static Tensor sumAll(Tensor x) {
        return sum(x.reshape(-1), 0, false);
    }

    static Tensor mean(Tensor x, int dim, boolean keepDim) {
        int n = x.size(dim);
        return sum(x, dim, keepDim).div((float) n);
    }

    static Tensor meanAll(Tensor x) {
        return sumAll(x).div((float) x.numel());
    }

    /** Maxima along dim; the gradient goes to the first maximal element, as the index says. */
    static Tensor max(Tensor x, int dim, boolean keepDim) {
        PointwiseOps.requireF32(x, "max");
        int d = Shape.dim(dim, x.ndim());
        Tensor out = reduce(ReduceOp.MAX, x, d, keepDim);
        if (!Autograd.needsGrad(x)) return out;
        Tensor index = reduce(ReduceOp.ARGMAX, x, d, true);
        return Autograd.record(out, "max", g -> {
            Tensor gx = x.zerosLike();
            int[] oDi = split(x.shapeRef(), d);
            Tensor gc = ViewOps.dense(g);
            g.kernels().scatterAdd(gc.buffer(), index.buffer(), 0, gx.buffer(), oDi[0], oDi[1], 1, oDi[2]);
            return new Tensor[] {gx};
        }, x);
    }

    static Tensor argmax(Tensor x, int dim, boolean keepDim) {
        PointwiseOps.requireF32(x, "argmax");
        return reduce(ReduceOp.ARGMAX, x, Shape.dim(dim, x.ndim()), keepDim);
    }

    /** log Σ exp(x), shifted by the (constant) maximum so that exp cannot overflow. */
    static Tensor logsumexp(Tensor x, int dim, boolean keepDim) {
        Tensor m;
        try (Autograd.NoGrad g = Autograd.noGrad()) {
            // A row of -inf would give -inf - -inf = NaN; shifting by 0 there keeps the -inf result.
            Tensor max = max(x, dim, true);
            Tensor finite = PointwiseOps.binary(BinaryOp.LESS, max.abs(), Tensor.full(x.device(), Float.POSITIVE_INFINITY));
            m = Tensor.where(finite, max, Tensor.full(x.device(), 0f));
        }
        Tensor r = x.sub(m).exp().sum(dim, true).log().add(m);
        return keepDim ? r : r.squeeze(dim);
    }

    static Tensor softmax(Tensor x, int dim, boolean log) {
        PointwiseOps.requireF32(x, log ? "logSoftmax" : "softmax");
        int nd = x.ndim();
        int d = Shape.dim(dim, nd);
        if (d != nd - 1) return softmax(x.transpose(d, nd - 1), nd - 1, log).transpose(d, nd - 1);
        int cols = x.shapeRef()[d];
        int rows = x.numel() / Math.max(cols, 1);
        Tensor xc = x.contiguous();
        Tensor y = Tensor.empty(x.device(), DType.F32, x.shapeRef());
        x.kernels().softmax(log, xc.buffer(), xc.offset, y.buffer(), rows, cols);
        return Autograd.record(y, log ? "logSoftmax" : "softmax", g -> {
            Tensor gx = Tensor.empty(g.device(), DType.F32, g.shapeRef());
            g.kernels().softmaxBackward(log, y.buffer(), ViewOps.dense(g).buffer(), gx.buffer(), rows, cols);
            return new Tensor[] {gx};
        }, x);
    }
}
