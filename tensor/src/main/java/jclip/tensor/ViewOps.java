package jclip.tensor;

import java.util.Arrays;
import java.util.List;

/** Views (no copy) and the ops that move data between layouts: copy, cat, stack. */
final class ViewOps {
    private ViewOps() {}

    /** A contiguous copy in new memory, same dtype. */
    static Tensor copy(Tensor x) {
        Tensor out = Tensor.empty(x.device(), x.dtype(), x.shapeRef());
        x.kernels().copy(x.shapeRef(), x.buffer(), x.offset, x.strides, out.buffer(), 0, out.strides);
        return Autograd.record(out, "copy", g -> new Tensor[] {g}, x);
    }

    /** x when it is contiguous and starts at offset 0 of its storage, otherwise a copy that is. */
    static Tensor dense(Tensor x) {
        return x.isContiguous() && x.offset == 0 ? x : copy(x);
    }

    static Tensor reshape(Tensor x, int... newShape) {
        int[] shape = inferShape(x, newShape);
        Tensor c = x.contiguous();
        Tensor out = c.view(c.offset, shape, Shape.contiguousStrides(shape));
        int[] original = x.shape();
        return Autograd.record(out, "reshape", g -> new Tensor[] {g.reshape(original)}, c);
    }

    private static int[] inferShape(Tensor x, int[] newShape) {
        int[] shape = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("only one dimension can be -1 in " + Arrays.toString(newShape));
                infer = i;
            } else {
                known *= shape[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || x.numel() % known != 0)
                throw new IllegalArgumentException("cannot reshape " + Shape.str(x.shapeRef()) + " to " + Arrays.toString(newShape));
            shape[infer] = (int) (x.numel() / known);
        }
        if (Shape.numel(shape) != x.numel())
            throw new IllegalArgumentException("cannot reshape " + Shape.str(x.shapeRef()) + " (" + x.numel()
                    + " elements) to " + Arrays.toString(newShape));
        return shape;
    }

    static Tensor flatten(Tensor x, int startDim, int endDim) {
        int nd = x.ndim();
        if (nd == 0) return reshape(x, 1);
        int s = Shape.dim(startDim, nd), e = Shape.dim(endDim, nd);
        int[] shape = x.shapeRef();
        int[] out = new int[nd - (e - s)];
        int k = 0;
        for (int i = 0; i < s; i++) out[k++] = shape[i];
        int merged = 1;
        for (int i = s; i <= e; i++) merged *= shape[i];
        out[k++] = merged;
        for (int i = e + 1; i < nd; i++) out[k++] = shape[i];
        return reshape(x, out);
    }

    static Tensor permute(Tensor x, int... dims) {
        int nd = x.ndim();
        if (dims.length != nd) throw new IllegalArgumentException("permute of a " + nd + "-d tensor needs " + nd + " dims, got " + Arrays.toString(dims));
        int[] shape = new int[nd], strides = new int[nd], inverse = new int[nd];
        boolean[] seen = new boolean[nd];
        for (int i = 0; i < nd; i++) {
            int d = Shape.dim(dims[i], nd);
            if (seen[d]) throw new IllegalArgumentException("repeated dimension in permute " + Arrays.toString(dims));
            seen[d] = true;
            shape[i] = x.shapeRef()[d];
            strides[i] = x.strides[d];
            inverse[d] = i;
        }
        Tensor out = x.view(x.offset, shape, strides);
        return Autograd.record(out, "permute", g -> new Tensor[] {g.permute(inverse)}, x);
    }

    static Tensor transpose(Tensor x, int dim0, int dim1) {
        int nd = x.ndim();
        int[] dims = new int[nd];
        for (int i = 0; i < nd; i++) dims[i] = i;
        int a = Shape.dim(dim0, nd), b = Shape.dim(dim1, nd);
        dims[a] = b;
        dims[b] = a;
        return permute(x, dims);
    }

    static Tensor narrow(Tensor x, int dim, int start, int length) {
        int d = Shape.dim(dim, x.ndim());
        int size = x.shapeRef()[d];
        if (start < 0 || length < 0 || start + length > size)
            throw new IllegalArgumentException("narrow(" + dim + ", " + start + ", " + length + ") outside dimension of size " + size
                    + " of " + Shape.str(x.shapeRef()));
        int[] shape = x.shape();
        shape[d] = length;
        Tensor out = x.view(x.offset + start * x.strides[d], shape, x.strides.clone());
        return Autograd.record(out, "narrow", g -> {
            Tensor full = Tensor.empty(g.device(), g.dtype(), x.shapeRef());
            g.kernels().fill(full.buffer(), 0, full.numel(), 0);
            Tensor part = full.view(start * full.strides[d], shape, full.strides);
            g.kernels().copy(shape, g.buffer(), g.offset, g.strides, part.buffer(), part.offset, part.strides);
            return new Tensor[] {full};
        }, x);
    }

    static Tensor unsqueeze(Tensor x, int dim) {
        int nd = x.ndim();
        int d = dim < 0 ? dim + nd + 1 : dim;
        if (d < 0 || d > nd) throw new IllegalArgumentException("unsqueeze dimension " + dim + " out of range for a " + nd + "-d tensor");
        int[] shape = new int[nd + 1], strides = new int[nd + 1];
        for (int i = 0, k = 0; i <= nd; i++) {
            if (i == d) {
                shape[i] = 1;
                strides[i] = i < nd ? x.strides[k] * x.shapeRef()[k] : 1;
            } else {
                shape[i] = x.shapeRef()[k];
                strides[i] = x.strides[k++];
            }
        }
        Tensor out = x.view(x.offset, shape, strides);
        return Autograd.record(out, "unsqueeze", g -> new Tensor[] {g.squeeze(d)}, x);
    }

    static Tensor squeeze(Tensor x, int dim) {
        int nd = x.ndim();
        int d = Shape.dim(dim, nd);
        if (x.shapeRef()[d] != 1) throw new IllegalArgumentException("squeeze of dimension " + dim + " of size " + x.shapeRef()[d]);
        int[] shape = new int[nd - 1], strides = new int[nd - 1];
        for (int i = 0, k = 0; i < nd; i++) {
            if (i == d) continue;
            shape[k] = x.shapeRef()[i];
            strides[k++] = x.strides[i];
        }
        Tensor out = x.view(x.offset, shape, strides);
        return Autograd.record(out, "squeeze", g -> new Tensor[] {g.unsqueeze(d)}, x);
    }

    static Tensor expand(Tensor x, int... newShape) {
        int[] shape = newShape.clone();
        int shift = shape.length - x.ndim();
        for (int i = 0; i < shape.length; i++)
            if (shape[i] == -1) {
                if (i < shift) throw new IllegalArgumentException("-1 in a new leading dimension of expand " + Arrays.toString(newShape));
                shape[i] = x.shapeRef()[i - shift];
            }
        int[] strides = Shape.broadcastStrides(x.shapeRef(), x.strides, shape);
        Tensor out = x.view(x.offset, shape, strides);
        return Autograd.record(out, "expand", g -> new Tensor[] {PointwiseOps.sumTo(g, x)}, x);
    }

    static Tensor cat(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) throw new IllegalArgumentException("cat of no tensors");
        Tensor first = tensors.get(0);
        int nd = first.ndim();
        int d = Shape.dim(dim, nd);
        int[] shape = first.shape();
        int total = 0;
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            if (t.ndim() != nd || t.dtype() != first.dtype() || t.device() != first.device())
                throw new IllegalArgumentException("cat: tensor " + i + " " + t + " does not match tensor 0 " + first);
            for (int k = 0; k < nd; k++)
                if (k != d && t.shapeRef()[k] != shape[k])
                    throw new IllegalArgumentException("cat along " + dim + ": tensor " + i + " has shape " + Shape.str(t.shapeRef())
                            + ", tensor 0 has " + Shape.str(shape));
            total += t.shapeRef()[d];
        }
        shape[d] = total;
        Tensor out = Tensor.empty(first.device(), first.dtype(), shape);
        int[] starts = new int[tensors.size()];
        int at = 0;
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            starts[i] = at;
            t.kernels().copy(t.shapeRef(), t.buffer(), t.offset, t.strides, out.buffer(), at * out.strides[d], out.strides);
            at += t.shapeRef()[d];
        }
        Tensor[] inputs = tensors.toArray(new Tensor[0]);
        return Autograd.record(out, "cat", g -> {
            Tensor[] gs = new Tensor[inputs.length];
            for (int i = 0; i < inputs.length; i++)
                if (inputs[i].requiresGrad()) gs[i] = g.narrow(d, starts[i], inputs[i].shapeRef()[d]);
            return gs;
        }, inputs);
    }

    static Tensor stack(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) throw new IllegalArgumentException("stack of no tensors");
        int nd = tensors.get(0).ndim();
        int d = dim < 0 ? dim + nd + 1 : dim;
        Tensor[] expanded = new Tensor[tensors.size()];
        for (int i = 0; i < expanded.length; i++) {
            Tensor t = tensors.get(i);
            if (!Arrays.equals(t.shapeRef(), tensors.get(0).shapeRef()))
                throw new IllegalArgumentException("stack: tensor " + i + " has shape " + Shape.str(t.shapeRef())
                        + ", tensor 0 has " + Shape.str(tensors.get(0).shapeRef()));
            expanded[i] = t.unsqueeze(d);
        }
        return cat(List.of(expanded), d);
    }
}
