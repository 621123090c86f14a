package jclip.tensor;

import jclip.kernels.DType;

/** Index-select, gather and embedding lookup, with scatter-add gradients. */
final class IndexOps {
    private IndexOps() {}

    private static void requireIndex(Tensor index, String op) {
        if (!index.dtype().isIndex())
            throw new IllegalArgumentException(op + " needs an I32 or I64 index, got " + index.dtype() + " " + Shape.str(index.shapeRef()));
    }

    static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        PointwiseOps.requireF32(x, "indexSelect");
        requireIndex(index, "indexSelect");
        PointwiseOps.requireSameDevice("indexSelect", x, index);
        if (index.ndim() != 1) throw new IllegalArgumentException("indexSelect needs a 1-d index, got " + Shape.str(index.shapeRef()));
        int d = Shape.dim(dim, x.ndim());
        int[] shape = x.shape();
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.length; i++) inner *= shape[i];
        int srcDim = shape[d], count = index.numel();
        Tensor xc = x.contiguous(), ic = index.contiguous();
        shape[d] = count;
        Tensor out = Tensor.empty(x.device(), DType.F32, shape);
        int o = outer, in = inner;
        x.kernels().indexSelect(xc.buffer(), xc.offset, ic.buffer(), ic.offset, out.buffer(), outer, srcDim, count, inner);
        return Autograd.record(out, "indexSelect", g -> {
            Tensor gx = x.zerosLike();
            g.kernels().indexAdd(ViewOps.dense(g).buffer(), ic.buffer(), ic.offset, gx.buffer(), o, srcDim, count, in);
            return new Tensor[] {gx};
        }, x);
    }

    static Tensor gather(Tensor x, int dim, Tensor index) {
        PointwiseOps.requireF32(x, "gather");
        requireIndex(index, "gather");
        PointwiseOps.requireSameDevice("gather", x, index);
        int d = Shape.dim(dim, x.ndim());
        if (index.ndim() != x.ndim())
            throw new IllegalArgumentException("gather: index " + Shape.str(index.shapeRef()) + " must have as many dimensions as " + Shape.str(x.shapeRef()));
        for (int i = 0; i < x.ndim(); i++)
            if (i != d && index.shapeRef()[i] != x.shapeRef()[i])
                throw new IllegalArgumentException("gather along " + dim + ": index " + Shape.str(index.shapeRef())
                        + " must match " + Shape.str(x.shapeRef()) + " outside that dimension");
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= x.shapeRef()[i];
        for (int i = d + 1; i < x.ndim(); i++) inner *= x.shapeRef()[i];
        int srcDim = x.shapeRef()[d], count = index.shapeRef()[d];
        Tensor xc = x.contiguous(), ic = index.contiguous();
        Tensor out = Tensor.empty(x.device(), DType.F32, index.shapeRef());
        int o = outer, in = inner;
        x.kernels().gather(xc.buffer(), xc.offset, ic.buffer(), ic.offset, out.buffer(), outer, srcDim, count, inner);
        return Autograd.record(out, "gather", g -> {
            Tensor gx = x.zerosLike();
            g.kernels().scatterAdd(ViewOps.dense(g).buffer(), ic.buffer(), ic.offset, gx.buffer(), o, srcDim, count, in);
            return new Tensor[] {gx};
        }, x);
    }

    static Tensor embedding(Tensor weight, Tensor ids) {
        if (weight.ndim() != 2) throw new IllegalArgumentException("embedding weight must be [vocab, dim], got " + Shape.str(weight.shapeRef()));
        int[] shape = java.util.Arrays.copyOf(ids.shapeRef(), ids.ndim() + 1);
        shape[ids.ndim()] = weight.size(1);
        return indexSelect(weight, 0, ids.reshape(-1)).reshape(shape);
    }
}
