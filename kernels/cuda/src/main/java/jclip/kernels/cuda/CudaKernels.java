package jclip.kernels.cuda;

import jclip.kernels.AdamWStep;
import jclip.kernels.AttentionShape;
import jclip.kernels.BatchNormShape;
import jclip.kernels.BinaryOp;
import jclip.kernels.Buffer;
import jclip.kernels.Conv2dShape;
import jclip.kernels.DType;
import jclip.kernels.GemmShape;
import jclip.kernels.Kernels;
import jclip.kernels.MemoryStats;
import jclip.kernels.Pool2dShape;
import jclip.kernels.ReduceOp;
import jclip.kernels.UnaryOp;
import jclip.kernels.cuda.launch.AdamW;
import jclip.kernels.cuda.launch.Attention;
import jclip.kernels.cuda.launch.Contrastive;
import jclip.kernels.cuda.launch.Copy;
import jclip.kernels.cuda.launch.Elementwise;
import jclip.kernels.cuda.launch.Indexing;
import jclip.kernels.cuda.launch.LayerNorm;
import jclip.kernels.cuda.launch.Pooling;
import jclip.kernels.cuda.launch.Reductions;
import jclip.kernels.cuda.launch.RowNormalize;
import jclip.kernels.cuda.launch.Softmax;
import jcuda.Pointer;
import jcuda.driver.JCudaDriver;

/**
 * The CUDA backend of one device: our kernels (src/main/cuda, launched by jclip.kernels.cuda.launch),
 * cuBLAS for matrix products ({@link Cublas}) and cuDNN for convolution ({@link Cudnn}) and batch
 * normalisation ({@link CudnnBatchNorm}). It only dispatches, as jclip.kernels.cpu.CpuKernels does:
 * what an operation composes around a library call lives with that call. Each operation is tested
 * against the CPU backend, which is its reference.
 */
public final class CudaKernels implements Kernels {
    private final CudaDevice device;
    private final Elementwise elementwise;
    private final Copy copy;
    private final Reductions reductions;
    private final Softmax softmax;
    private final LayerNorm layerNorm;
    private final Indexing indexing;
    private final Pooling pooling;
    private final AdamW adamW;
    private final Attention attention;
    private final RowNormalize rowNormalize;
    private final Contrastive contrastive;
    private final CudnnBatchNorm batchNorm;

    CudaKernels(CudaDevice device) {
        this.device = device;
        this.elementwise = new Elementwise(device);
        this.copy = new Copy(device);
        this.reductions = new Reductions(device);
        this.softmax = new Softmax(device);
        this.layerNorm = new LayerNorm(device);
        this.indexing = new Indexing(device);
        this.pooling = new Pooling(device);
        this.adamW = new AdamW(device);
        this.attention = new Attention(device);
        this.rowNormalize = new RowNormalize(device);
        this.contrastive = new Contrastive(device);
        this.batchNorm = new CudnnBatchNorm(device, copy, elementwise);
    }

    public CudaDevice device() {
        return device;
    }

    @Override
    public String name() {
        return device.toString();
    }

    @Override
    public MemoryStats memory() {
        return device.allocator().stats();
    }

    @Override
    public CudaBuffer allocate(DType dtype, int length) {
        device.makeCurrent();
        return new CudaBuffer(device, dtype, length);
    }

    @Override
    public void write(Buffer dst, int dstOffset, Object src, int srcOffset, int n) {
        if (n == 0) return;
        CudaBuffer d = buffer(dst, "write");
        checkRange(d, dstOffset, n, "write");
        device.makeCurrent();
        long bytes = (long) n * d.dtype().byteSize();
        CudaException.checkDriver(JCudaDriver.cuMemcpyHtoD(d.at(dstOffset), host(src, d.dtype(), srcOffset, n), bytes),
                "cuMemcpyHtoD(" + bytes + " bytes)");
    }

    /**
     * Copies device memory to the host, waiting for queued work. Bad input that a kernel recorded
     * since the last read or synchronize is thrown here (see {@link DeviceErrors}), once the copy is done.
     */
    @Override
    public void read(Buffer src, int srcOffset, Object dst, int dstOffset, int n) {
        if (n == 0) return;
        CudaBuffer s = buffer(src, "read");
        checkRange(s, srcOffset, n, "read");
        device.makeCurrent();
        long bytes = (long) n * s.dtype().byteSize();
        CudaException.checkDriver(JCudaDriver.cuMemcpyDtoH(host(dst, s.dtype(), dstOffset, n), s.at(srcOffset), bytes),
                "cuMemcpyDtoH(" + bytes + " bytes)");
        device.errors().check("read");
    }

    @Override
    public void fill(Buffer out, int offset, int n, double value) {
        copy.fill(out, offset, n, value);
    }

    @Override
    public void copy(int[] shape, Buffer src, int srcOffset, int[] srcStrides, Buffer dst, int dstOffset, int[] dstStrides) {
        copy.copy(shape, src, srcOffset, srcStrides, dst, dstOffset, dstStrides);
    }

    @Override
    public void unary(UnaryOp op, float param, Buffer x, int xOffset, Buffer y, int yOffset, int n) {
        elementwise.unary(op, param, x, xOffset, y, yOffset, n);
    }

    @Override
    public void unaryBackward(UnaryOp op, float param, Buffer x, Buffer y, Buffer gy, Buffer gx, int n) {
        elementwise.unaryBackward(op, param, x, y, gy, gx, n);
    }

    @Override
    public void binary(BinaryOp op, int[] shape, Buffer a, int aOffset, int[] aStrides, Buffer b, int bOffset, int[] bStrides,
            Buffer out, int outOffset) {
        elementwise.binary(op, shape, a, aOffset, aStrides, b, bOffset, bStrides, out, outOffset);
    }

    @Override
    public void where(int[] shape, Buffer cond, int cOffset, int[] cStrides, Buffer a, int aOffset, int[] aStrides,
            Buffer b, int bOffset, int[] bStrides, Buffer out, int outOffset) {
        elementwise.where(shape, cond, cOffset, cStrides, a, aOffset, aStrides, b, bOffset, bStrides, out, outOffset);
    }

    @Override
    public void reduce(ReduceOp op, Buffer x, int xOffset, int outer, int dim, int inner, Buffer out) {
        reductions.reduce(op, x, xOffset, outer, dim, inner, out);
    }

    @Override
    public void gemm(GemmShape s, float alpha, Buffer a, int aOffset, Buffer b, int bOffset, float beta, Buffer c, int cOffset) {
        device.cublas().gemm(s, alpha, buffer(a, "gemm A"), aOffset, buffer(b, "gemm B"), bOffset, beta, buffer(c, "gemm C"), cOffset);
    }

    @Override
    public void softmax(boolean log, Buffer x, int xOffset, Buffer y, int rows, int cols) {
        softmax.softmax(log, x, xOffset, y, rows, cols);
    }

    @Override
    public void softmaxBackward(boolean log, Buffer y, Buffer gy, Buffer gx, int rows, int cols) {
        softmax.softmaxBackward(log, y, gy, gx, rows, cols);
    }

    @Override
    public void layerNorm(Buffer x, int xOffset, Buffer gamma, Buffer beta, float eps, Buffer y, Buffer mean, Buffer rstd,
            int rows, int cols) {
        layerNorm.layerNorm(x, xOffset, gamma, beta, eps, y, mean, rstd, rows, cols);
    }

    @Override
    public void layerNormBackward(Buffer x, int xOffset, Buffer gamma, Buffer mean, Buffer rstd, Buffer gy,
            Buffer gx, Buffer gGamma, Buffer gBeta, int rows, int cols) {
        layerNorm.layerNormBackward(x, xOffset, gamma, mean, rstd, gy, gx, gGamma, gBeta, rows, cols);
    }

    @Override
    public void indexSelect(Buffer src, int srcOffset, Buffer index, int indexOffset, Buffer out, int outer, int srcDim, int count, int inner) {
        indexing.indexSelect(src, srcOffset, index, indexOffset, out, outer, srcDim, count, inner);
    }

    @Override
    public void indexAdd(Buffer g, Buffer index, int indexOffset, Buffer dst, int outer, int dstDim, int count, int inner) {
        indexing.indexAdd(g, index, indexOffset, dst, outer, dstDim, count, inner);
    }

    @Override
    public void gather(Buffer src, int srcOffset, Buffer index, int indexOffset, Buffer out, int outer, int srcDim, int count, int inner) {
        indexing.gather(src, srcOffset, index, indexOffset, out, outer, srcDim, count, inner);
    }

    @Override
    public void scatterAdd(Buffer g, Buffer index, int indexOffset, Buffer dst, int outer, int dstDim, int count, int inner) {
        indexing.scatterAdd(g, index, indexOffset, dst, outer, dstDim, count, inner);
    }

    @Override
    public void conv2d(Buffer x, Buffer weight, Buffer bias, Buffer y, Conv2dShape s) {
        device.cudnn().convolutionForward(buffer(x, "conv2d x"), buffer(weight, "conv2d weight"),
                bias == null ? null : buffer(bias, "conv2d bias"), buffer(y, "conv2d y"), s);
    }

    @Override
    public void conv2dBackwardInput(Buffer gy, Buffer weight, Buffer gx, Conv2dShape s) {
        device.cudnn().convolutionBackwardData(buffer(gy, "conv2d gy"), buffer(weight, "conv2d weight"), buffer(gx, "conv2d gx"), s);
    }

    @Override
    public void conv2dBackwardWeight(Buffer x, Buffer gy, Buffer gWeight, Buffer gBias, Conv2dShape s) {
        device.cudnn().convolutionBackwardFilter(buffer(x, "conv2d x"), buffer(gy, "conv2d gy"), buffer(gWeight, "conv2d gWeight"),
                gBias == null ? null : buffer(gBias, "conv2d gBias"), s);
    }

    @Override
    public void avgPool2d(Buffer x, Buffer y, Pool2dShape s) {
        pooling.avgPool2d(x, y, s);
    }

    @Override
    public void avgPool2dBackward(Buffer gy, Buffer gx, Pool2dShape s) {
        pooling.avgPool2dBackward(gy, gx, s);
    }

    @Override
    public void batchNormTraining(BatchNormShape s, Buffer x, Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar,
            Buffer y, Buffer saveMean, Buffer saveInvStd) {
        batchNorm.training(s, x, gamma, beta, runningMean, runningVar, y, saveMean, saveInvStd);
    }

    @Override
    public void batchNormEval(BatchNormShape s, Buffer x, Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar, Buffer y) {
        batchNorm.eval(s, x, gamma, beta, runningMean, runningVar, y);
    }

    @Override
    public void batchNormTrainingBackward(BatchNormShape s, Buffer x, Buffer gy, Buffer saveMean, Buffer saveInvStd, Buffer gamma,
            Buffer gx, Buffer gGamma, Buffer gBeta) {
        batchNorm.trainingBackward(s, x, gy, saveMean, saveInvStd, gamma, gx, gGamma, gBeta);
    }

    @Override
    public void batchNormEvalBackward(BatchNormShape s, Buffer x, Buffer gy, Buffer gamma, Buffer runningMean, Buffer runningVar,
            Buffer gx, Buffer gGamma, Buffer gBeta) {
        batchNorm.evalBackward(s, x, gy, gamma, runningMean, runningVar, gx, gGamma, gBeta);
    }

    @Override
    public void attention(AttentionShape s, Buffer q, int qOffset, Buffer k, int kOffset, Buffer v, int vOffset,
            Buffer mask, Buffer out, Buffer lse) {
        attention.attention(s, q, qOffset, k, kOffset, v, vOffset, mask, out, lse);
    }

    @Override
    public void attentionBackward(AttentionShape s, Buffer q, int qOffset, Buffer k, int kOffset, Buffer v, int vOffset,
            Buffer mask, Buffer out, Buffer lse, Buffer gOut, Buffer gq, Buffer gk, Buffer gv) {
        attention.attentionBackward(s, q, qOffset, k, kOffset, v, vOffset, mask, out, lse, gOut, gq, gk, gv);
    }

    @Override
    public void normalizeRows(Buffer y, Buffer invNorm, int rows, int cols, float eps) {
        rowNormalize.normalizeRows(y, invNorm, rows, cols, eps);
    }

    @Override
    public void normalizeRowsBackward(Buffer y, Buffer invNorm, Buffer gy, Buffer gRaw, int rows, int cols, float eps) {
        rowNormalize.normalizeRowsBackward(y, invNorm, gy, gRaw, rows, cols, eps);
    }

    @Override
    public void contrastiveLogSumExp(Buffer a, int aOffset, Buffer b, int bOffset, int n, int m, int d, float scale,
            Buffer lseRows, Buffer lseCols) {
        contrastive.logSumExp(a, aOffset, b, bOffset, n, m, d, scale, lseRows, lseCols);
    }

    @Override
    public void contrastiveBackward(Buffer a, int aOffset, Buffer b, int bOffset, int n, int m, int d, float scale,
            Buffer lseRows, Buffer lseCols, int diagonalOffset, float coefficient, Buffer ga, Buffer gb, Buffer gScale) {
        contrastive.backward(a, aOffset, b, bOffset, n, m, d, scale, lseRows, lseCols, diagonalOffset, coefficient, ga, gb, gScale);
    }

    @Override
    public void adamW(AdamWStep step, Buffer param, int paramOffset, Buffer grad, int gradOffset, Buffer m, int mOffset,
            Buffer v, int vOffset, int n) {
        adamW.adamW(step, param, paramOffset, grad, gradOffset, m, mOffset, v, vOffset, n);
    }

    private CudaBuffer buffer(Buffer b, String user) {
        return device.cudaBuffer(b, user);
    }

    private static void checkRange(Buffer b, int offset, int n, String user) {
        if (offset < 0 || n < 0 || (long) offset + n > b.length())
            throw new IndexOutOfBoundsException(user + ": elements [" + offset + ", " + ((long) offset + n) + ") of a buffer of " + b.length());
    }

    /** A pointer to element {@code offset} of a host array of the dtype's array type, checked to hold n elements. */
    private static Pointer host(Object array, DType dtype, int offset, int n) {
        Object expected = dtype.newHostArray(0);
        if (array == null || array.getClass() != expected.getClass())
            throw new IllegalArgumentException(dtype + " data must be a " + expected.getClass().getSimpleName() + ", got "
                    + (array == null ? "null" : array.getClass().getSimpleName()));
        int length = java.lang.reflect.Array.getLength(array);
        if (offset < 0 || (long) offset + n > length)
            throw new IndexOutOfBoundsException("host elements [" + offset + ", " + ((long) offset + n) + ") of an array of " + length);
        Pointer p;
        if (array instanceof float[] f) p = Pointer.to(f);
        else if (array instanceof short[] s) p = Pointer.to(s);
        else if (array instanceof int[] i) p = Pointer.to(i);
        else if (array instanceof long[] l) p = Pointer.to(l);
        else p = Pointer.to((byte[]) array);
        return offset == 0 ? p : p.withByteOffset((long) offset * dtype.byteSize());
    }
}
