package jclip.tensor;

import java.util.List;
import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.Kernels;
import jclip.kernels.UnaryOp;
import jclip.kernels.cpu.CpuBuffer;
import jclip.kernels.cpu.CpuKernels;

/**
 * An n-dimensional array on a device, with reverse-mode autograd.
 *
 * <p>A tensor is a view (offset, shape, strides) of a shared {@link Storage}; reshape of
 * contiguous data, permute, transpose, narrow and expand are views, everything else makes new
 * memory. Ops compute in F32; F16 and BF16 are storage types converted with {@link #to(DType)};
 * I32 and I64 hold indices.
 *
 * <p>Memory: a tensor is {@link AutoCloseable}; closing it (twice is harmless) drops its hold on
 * the storage, which is freed when its last view is closed. Tensors made inside a
 * {@link MemoryScope} are closed with it. A leaf's gradient belongs to the leaf.
 */
public final class Tensor implements AutoCloseable {
    // Not final only for moveTo, which moves a leaf's data to another device in place.
    Storage storage;
    int offset;
    private final int[] shape;
    int[] strides;

    private boolean closed;
    MemoryScope scope;

    private boolean requiresGrad;
    private Autograd.Node node;
    private Tensor grad;
    /** Set by {@link MemoryScope#closeIntoGraph}: backward closes this tensor once its node has run. */
    boolean graphOwned;

    Tensor(Storage storage, int offset, int[] shape, int[] strides) {
        storage.retain();
        this.storage = storage;
        this.offset = offset;
        this.shape = shape;
        this.strides = strides;
        MemoryScope s = MemoryScope.current();
        if (s != null) s.adopt(this);
    }

    // ---------------------------------------------------------------------------------------
    // creation

    /** A new contiguous tensor with unspecified contents. */
    static Tensor empty(Device device, DType dtype, int... shape) {
        int n = Shape.numel(shape);
        Buffer b = device.kernels().allocate(dtype, n);
        int[] s = shape.clone();
        return new Tensor(new Storage(b, device, s), 0, s, Shape.contiguousStrides(s));
    }

    /**
     * Wraps a host array without copying (the caller hands it over): float[] for F32, short[]
     * (raw bits) for F16 and BF16, int[] for I32, long[] for I64, byte[] for U8 and BOOL.
     */
    public static Tensor fromHost(Object array, DType dtype, int... shape) {
        int n = Shape.numel(shape);
        int length = java.lang.reflect.Array.getLength(array);
        if (length != n)
            throw new IllegalArgumentException(length + " values do not fill shape " + Shape.str(shape) + " (" + n + " elements)");
        Buffer b = CpuKernels.INSTANCE.wrap(dtype, array);
        int[] s = shape.clone();
        return new Tensor(new Storage(b, Device.cpu(), s), 0, s, Shape.contiguousStrides(s));
    }

    /** A CPU F32 tensor holding a copy of data in row-major order. */
    public static Tensor of(float[] data, int... shape) {
        return fromHost(data.clone(), DType.F32, shape);
    }

    public static Tensor of(int[] data, int... shape) {
        return fromHost(data.clone(), DType.I32, shape);
    }

    public static Tensor of(long[] data, int... shape) {
        return fromHost(data.clone(), DType.I64, shape);
    }

    /** A 0-dimensional F32 tensor. */
    public static Tensor scalar(float value) {
        return fromHost(new float[] {value}, DType.F32);
    }

    public static Tensor full(float value, int... shape) {
        return full(Device.cpu(), value, shape);
    }

    /** An F32 tensor of {@code value} made on {@code device} (no copy from the host: a fill there). */
    public static Tensor full(Device device, float value, int... shape) {
        Tensor t = empty(device, DType.F32, shape);
        t.kernels().fill(t.buffer(), 0, t.numel(), value);
        return t;
    }

    public static Tensor zeros(int... shape) {
        return full(0f, shape);
    }

    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    /** 0, 1, ..., n-1 as I64. */
    public static Tensor arange(int n) {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return fromHost(a, DType.I64, n);
    }

    /** Zeros of this tensor's shape, dtype and device. */
    public Tensor zerosLike() {
        Tensor t = empty(device(), dtype(), shape);
        kernels().fill(t.buffer(), 0, t.numel(), 0);
        return t;
    }

    // ---------------------------------------------------------------------------------------
    // accessors

    public int[] shape() {
        return shape.clone();
    }

    /** Size of one dimension (negative counts from the end). */
    public int size(int dim) {
        return shape[Shape.dim(dim, shape.length)];
    }

    public int ndim() {
        return shape.length;
    }

    public int numel() {
        return Shape.numel(shape);
    }

    public DType dtype() {
        return storage.buffer.dtype();
    }

    public Device device() {
        return storage.device;
    }

    int[] shapeRef() {
        return shape;
    }

    Buffer buffer() {
        checkOpen();
        return storage.buffer;
    }

    Kernels kernels() {
        return storage.device.kernels();
    }

    public boolean isContiguous() {
        int expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    /** A contiguous host copy converted to float, from any dtype and device. */
    public float[] toFloatArray() {
        return (float[]) hostCopy(DType.F32);
    }

    public int[] toIntArray() {
        return (int[]) hostCopy(DType.I32);
    }

    public long[] toLongArray() {
        return (long[]) hostCopy(DType.I64);
    }

    private Object hostCopy(DType dtype) {
        if (dtype == dtype()) return toHostArray();
        try (Autograd.NoGrad g = Autograd.noGrad(); Tensor converted = to(dtype)) {
            return converted.toHostArray();
        }
    }

    /** A contiguous host copy in the array type of this dtype (see {@link #fromHost}). */
    public Object toHostArray() {
        Tensor c = contiguous();
        try {
            Object out = dtype().newHostArray(numel());
            c.kernels().read(c.buffer(), c.offset, out, 0, numel());
            return out;
        } finally {
            if (c != this) c.close();
        }
    }

    /** The value of a one-element tensor. */
    public float item() {
        if (numel() != 1) throw new IllegalStateException("item() needs one element, the tensor has shape " + Shape.str(shape));
        return toFloatArray()[0];
    }

    @Override
    public String toString() {
        return "Tensor" + Shape.str(shape) + " " + dtype() + " " + device() + (requiresGrad ? " requiresGrad" : "")
                + (closed ? " (closed)" : "");
    }

    // ---------------------------------------------------------------------------------------
    // memory

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (grad != null) {
            grad.close();
            grad = null;
        }
        node = null;
        storage.release();
    }

    public boolean isClosed() {
        return closed;
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("use of a closed tensor " + this);
    }

    /** A new tensor object for the same view; closing one leaves the other usable. */
    Tensor alias() {
        checkOpen();
        return new Tensor(storage, offset, shape, strides);
    }

    /** A view with other sizes and strides over the same storage. */
    Tensor view(int offset, int[] shape, int[] strides) {
        checkOpen();
        return new Tensor(storage, offset, shape, strides);
    }

    // ---------------------------------------------------------------------------------------
    // autograd

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks a leaf as needing a gradient; returns this. */
    public Tensor requiresGrad(boolean value) {
        if (node != null && !value) throw new IllegalStateException("cannot turn off requiresGrad of a non-leaf tensor; use detach()");
        if (value && !dtype().isFloatingPoint()) throw new IllegalArgumentException("only floating-point tensors can require grad, not " + dtype());
        requiresGrad = value;
        return this;
    }

    void setNode(Autograd.Node node) {
        this.node = node;
        this.requiresGrad = true;
    }

    Autograd.Node node() {
        return node;
    }

    /** The accumulated gradient of a leaf after backward(), or null. */
    public Tensor grad() {
        return grad;
    }

    public void zeroGrad() {
        if (grad != null) {
            grad.close();
            grad = null;
        }
    }

    /** Adds g (which the caller closes afterwards) into this leaf's gradient. */
    void accumulateGrad(Tensor g) {
        if (grad != null) {
            grad.addInPlace(g, 1f);
        } else if (!g.storage.isShared() && g.offset == 0 && g.isContiguous() && g.numel() == g.storage.buffer.length()) {
            // g is the last reference to a buffer of exactly its size: keep the buffer instead of a copy.
            grad = MemoryScope.untracked(g.alias());
        } else {
            grad = MemoryScope.untracked(g.copy());
        }
    }

    /** Back-propagates from this scalar. */
    public void backward() {
        if (numel() != 1) throw new IllegalStateException("backward() without a gradient needs a scalar, the tensor has shape " + Shape.str(shape));
        try (Tensor one = full(device(), 1f, shape)) {
            Autograd.backward(this, one);
        }
    }

    /** Back-propagates a given gradient of this tensor's shape. */
    public void backward(Tensor gradient) {
        Autograd.backward(this, gradient);
    }

    /** The same data, cut from the graph. */
    public Tensor detach() {
        return alias();
    }

    // ---------------------------------------------------------------------------------------
    // conversion

    /** A copy with another dtype (this tensor itself if it already has it). */
    public Tensor to(DType dtype) {
        if (dtype == dtype()) return this;
        Tensor out = empty(device(), dtype, shape);
        kernels().copy(shape, buffer(), offset, strides, out.buffer(), 0, out.strides);
        if (dtype.isFloatingPoint() && dtype().isFloatingPoint())
            return Autograd.record(out, "to", g -> new Tensor[] {g.to(dtype())}, this);
        return out;
    }

    /**
     * This tensor on another device (this tensor itself if it is there already), contiguous; the
     * gradient flows back to this device.
     */
    public Tensor to(Device device) {
        if (device == device()) return this;
        Tensor out;
        if (device.isCpu()) {
            out = fromHost(toHostArray(), dtype(), shape);  // the host copy already is the CPU tensor's memory
        } else if (device().isCpu() && isContiguous()) {
            // Straight from this tensor's array: a batch of images is uploaded without an extra host copy.
            out = empty(device, dtype(), shape);
            out.kernels().write(out.buffer(), 0, ((CpuBuffer) buffer()).array(), offset, out.numel());
        } else {
            out = empty(device, dtype(), shape);
            out.kernels().write(out.buffer(), 0, toHostArray(), 0, out.numel());
        }
        if (dtype().isFloatingPoint()) {
            Device from = device();
            return Autograd.record(out, "to " + device, g -> new Tensor[] {g.to(from)}, this);
        }
        return out;
    }

    /**
     * Moves this leaf's data to another device in place: the tensor object stays the same, so a
     * module's fields that hold its parameters keep working (PyTorch's {@code module.to(device)}). A
     * gradient held so far is dropped; other views of the old storage stay where they were.
     */
    public void moveTo(Device device) {
        checkOpen();
        if (device == device()) return;
        if (node != null) throw new IllegalStateException("only a leaf tensor moves in place; to(Device) copies a computed one");
        Tensor moved;
        try (Autograd.NoGrad g = Autograd.noGrad()) {
            moved = to(device);
        }
        Storage old = storage;
        moved.storage.retain();
        storage = moved.storage;
        offset = 0;
        strides = moved.strides;
        moved.close();
        old.release();
        if (grad != null) {
            grad.close();
            grad = null;
        }
    }

    /** This tensor if contiguous, otherwise a contiguous copy. */
    public Tensor contiguous() {
        return isContiguous() ? this : ViewOps.copy(this);
    }

    /** A contiguous copy (always new memory). */
    public Tensor copy() {
        return ViewOps.copy(this);
    }

    // ---------------------------------------------------------------------------------------
    // element-wise

    public Tensor add(Tensor o) { return PointwiseOps.add(this, o); }
    public Tensor sub(Tensor o) { return PointwiseOps.sub(this, o); }
    public Tensor mul(Tensor o) { return PointwiseOps.mul(this, o); }
    public Tensor div(Tensor o) { return PointwiseOps.div(this, o); }
    public Tensor pow(Tensor o) { return PointwiseOps.pow(this, o); }
    public Tensor maximum(Tensor o) { return PointwiseOps.maximum(this, o); }

    public Tensor add(float s) { return PointwiseOps.unary(this, UnaryOp.ADD_SCALAR, s); }
    public Tensor sub(float s) { return PointwiseOps.unary(this, UnaryOp.ADD_SCALAR, -s); }
    public Tensor mul(float s) { return PointwiseOps.unary(this, UnaryOp.MUL_SCALAR, s); }
    public Tensor div(float s) { return PointwiseOps.unary(this, UnaryOp.DIV_SCALAR, s); }
    public Tensor pow(float p) { return PointwiseOps.unary(this, UnaryOp.POW_SCALAR, p); }
    /** s / x */
    public Tensor rdiv(float s) { return PointwiseOps.unary(this, UnaryOp.RDIV_SCALAR, s); }
    public Tensor clampMin(float min) { return PointwiseOps.unary(this, UnaryOp.CLAMP_MIN, min); }
    public Tensor clampMax(float max) { return PointwiseOps.unary(this, UnaryOp.CLAMP_MAX, max); }

    public Tensor neg() { return PointwiseOps.unary(this, UnaryOp.NEG, 0); }
    public Tensor exp() { return PointwiseOps.unary(this, UnaryOp.EXP, 0); }
    public Tensor log() { return PointwiseOps.unary(this, UnaryOp.LOG, 0); }
    public Tensor sqrt() { return PointwiseOps.unary(this, UnaryOp.SQRT, 0); }
    public Tensor rsqrt() { return PointwiseOps.unary(this, UnaryOp.RSQRT, 0); }
    public Tensor abs() { return PointwiseOps.unary(this, UnaryOp.ABS, 0); }
    public Tensor tanh() { return PointwiseOps.unary(this, UnaryOp.TANH, 0); }
    public Tensor sigmoid() { return PointwiseOps.unary(this, UnaryOp.SIGMOID, 0); }
    public Tensor relu() { return PointwiseOps.unary(this, UnaryOp.RELU, 0); }
    /** x·Φ(x), the exact (erf) GELU. */
    public Tensor gelu() { return PointwiseOps.unary(this, UnaryOp.GELU, 0); }
    /** x·sigmoid(1.702·x), CLIP's activation. */
    public Tensor quickGelu() { return PointwiseOps.unary(this, UnaryOp.QUICK_GELU, 0); }

    /** cond != 0 ? a : b, broadcasting all three; cond gets no gradient. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) { return PointwiseOps.where(cond, a, b); }

    /** value where mask != 0, else this (broadcasting); e.g. an additive causal mask of -inf. */
    public Tensor maskedFill(Tensor mask, float value) { return PointwiseOps.maskedFill(this, mask, value); }

    /** Keeps each element with probability 1-p, scaled by 1/(1-p); p = 0 is the identity. */
    public Tensor dropout(float p, Rng rng) { return PointwiseOps.dropout(this, p, rng); }

    // ---------------------------------------------------------------------------------------
    // reductions

    public Tensor sum() { return ReductionOps.sumAll(this); }
    public Tensor sum(int dim, boolean keepDim) { return ReductionOps.sum(this, dim, keepDim); }
    public Tensor mean() { return ReductionOps.meanAll(this); }
    public Tensor mean(int dim, boolean keepDim) { return ReductionOps.mean(this, dim, keepDim); }
    public Tensor max(int dim, boolean keepDim) { return ReductionOps.max(this, dim, keepDim); }
    /** Index of the first maximum along dim, as I64. */
    public Tensor argmax(int dim, boolean keepDim) { return ReductionOps.argmax(this, dim, keepDim); }
    public Tensor logsumexp(int dim, boolean keepDim) { return ReductionOps.logsumexp(this, dim, keepDim); }
    public Tensor softmax(int dim) { return ReductionOps.softmax(this, dim, false); }
    public Tensor logSoftmax(int dim) { return ReductionOps.softmax(this, dim, true); }

    // ---------------------------------------------------------------------------------------
    // linear algebra

    /** Matrix product of the last two dimensions, batch dimensions broadcast. */
    public Tensor matmul(Tensor o) { return MatmulOps.matmul(this, o); }

    /** this · weightᵀ + bias; weight [out, in], bias [out] or null. */
    public Tensor linear(Tensor weight, Tensor bias) { return MatmulOps.linear(this, weight, bias); }
    /** residual + this·weightᵀ + bias, the residual accumulated by the GEMM itself (bias may be null). */
    public Tensor linear(Tensor weight, Tensor bias, Tensor residual) { return MatmulOps.linear(this, weight, bias, residual); }

    // ---------------------------------------------------------------------------------------
    // shape and views

    /** A view when the data is contiguous, a copy otherwise; one size may be -1. */
    public Tensor reshape(int... newShape) { return ViewOps.reshape(this, newShape); }
    public Tensor flatten(int startDim, int endDim) { return ViewOps.flatten(this, startDim, endDim); }
    public Tensor permute(int... dims) { return ViewOps.permute(this, dims); }
    public Tensor transpose(int dim0, int dim1) { return ViewOps.transpose(this, dim0, dim1); }
    /** The view of length elements from start along dim. */
    public Tensor narrow(int dim, int start, int length) { return ViewOps.narrow(this, dim, start, length); }
    /** Elements [start, end) along dim, as a view. */
    public Tensor slice(int dim, int start, int end) { return ViewOps.narrow(this, dim, start, end - start); }
    public Tensor unsqueeze(int dim) { return ViewOps.unsqueeze(this, dim); }
    public Tensor squeeze(int dim) { return ViewOps.squeeze(this, dim); }
    /** A broadcast view (sizes-1 dimensions repeated without copying). */
    public Tensor expand(int... newShape) { return ViewOps.expand(this, newShape); }
    public static Tensor cat(List<Tensor> tensors, int dim) { return ViewOps.cat(tensors, dim); }
    public static Tensor stack(List<Tensor> tensors, int dim) { return ViewOps.stack(tensors, dim); }

    // ---------------------------------------------------------------------------------------
    // indexing

    /** Rows index[i] along dim; index is 1-D I32 or I64. */
    public Tensor indexSelect(int dim, Tensor index) { return IndexOps.indexSelect(this, dim, index); }
    /** out[..., i, ...] = this[..., index[..., i, ...], ...] along dim (index has this tensor's sizes elsewhere). */
    public Tensor gather(int dim, Tensor index) { return IndexOps.gather(this, dim, index); }
    /** weight [vocab, dim] looked up at ids [...] (I32 or I64): [..., dim]. */
    public static Tensor embedding(Tensor weight, Tensor ids) { return IndexOps.embedding(weight, ids); }

    // ---------------------------------------------------------------------------------------
    // normalisation, losses, convolution

    /** Normalises over the last dimension with affine gain and bias. */
    public Tensor layerNorm(Tensor gamma, Tensor beta, float eps) { return NormOps.layerNorm(this, gamma, beta, eps); }

    /** this / max(‖this‖₂ along dim, eps), as torch.nn.functional.normalize. */
    public Tensor l2Normalize(int dim, float eps) { return NormOps.l2Normalize(this, dim, eps); }
    public Tensor l2Normalize(int dim) { return NormOps.l2Normalize(this, dim, 1e-12f); }

    /**
     * Batch normalisation of [N, C, H, W]. Training uses batch statistics and updates the running
     * statistics in place with momentum; eval uses the running statistics.
     */
    public Tensor batchNorm2d(Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
            boolean training, float momentum, float eps) {
        return NormOps.batchNorm2d(this, gamma, beta, runningMean, runningVar, training, momentum, eps);
    }

    /** Mean cross-entropy of logits [N, C] against integer labels [N]. */
    public Tensor crossEntropy(Tensor labels) { return LossOps.crossEntropy(this, labels); }

    /** NCHW convolution; weight [Cout, Cin, kH, kW]; bias [Cout] or null. */
    public Tensor conv2d(Tensor weight, Tensor bias, int stride, int padding) {
        return ConvOps.conv2d(this, weight, bias, stride, stride, padding, padding);
    }

    public Tensor avgPool2d(int kernel, int stride, int padding) {
        return ConvOps.avgPool2d(this, kernel, kernel, stride, stride, padding, padding);
    }

    // ---------------------------------------------------------------------------------------
    // in-place updates (optimizers, running statistics): never recorded

    private void checkInPlace() {
        checkOpen();
        if (Autograd.isEnabled() && requiresGrad)
            throw new IllegalStateException("in-place update of a tensor that requires grad outside Autograd.noGrad(): " + this);
        if (!isContiguous()) throw new IllegalStateException("in-place update of a non-contiguous view " + this);
    }

    /** this += alpha · other (other broadcast to this shape). */
    public Tensor addInPlace(Tensor other, float alpha) {
        checkInPlace();
        PointwiseOps.requireSameDevice("addInPlace", this, other);
        try (Autograd.NoGrad g = Autograd.noGrad(); MemoryScope s = MemoryScope.open()) {
            Tensor scaled = alpha == 1f ? other : other.mul(alpha);
            PointwiseOps.binaryInto(jclip.kernels.BinaryOp.ADD, this, scaled, this);
        }
        return this;
    }

    public Tensor mulInPlace(float s) {
        checkInPlace();
        kernels().unary(UnaryOp.MUL_SCALAR, s, buffer(), offset, buffer(), offset, numel());
        return this;
    }

    /** Copies other (broadcast, any dtype) into this. */
    public Tensor copyFrom(Tensor other) {
        checkInPlace();
        if (other.device() != device()) {
            try (Tensor here = other.to(device())) {
                return copyFrom(here);
            }
        }
        int[] src = Shape.broadcastStrides(other.shape, other.strides, shape);
        kernels().copy(shape, other.buffer(), other.offset, src, buffer(), offset, strides);
        return this;
    }

    public Tensor fill(float value) {
        checkInPlace();
        kernels().fill(buffer(), offset, numel(), value);
        return this;
    }

}
