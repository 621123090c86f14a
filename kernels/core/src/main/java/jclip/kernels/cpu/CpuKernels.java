package jclip.kernels.cpu;

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

/** The CPU backend: unpacks buffers into arrays and calls the kernels of this package. */
public final class CpuKernels implements Kernels {
    public static final CpuKernels INSTANCE = new CpuKernels();

    private final MemoryStats stats = new MemoryStats();
    private final ArrayPool pool = ArrayPool.sizedFromHeap();

    private CpuKernels() {}

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public MemoryStats memory() {
        return stats;
    }

    @Override
    public CpuBuffer allocate(DType dtype, int length) {
        return new CpuBuffer(dtype, pool.take(dtype, length), length, stats, pool);
    }

    /** Wraps an existing array without copying (its dtype must match the array type). */
    public CpuBuffer wrap(DType dtype, Object array) {
        int n = java.lang.reflect.Array.getLength(array);
        if (dtype.newHostArray(0).getClass() != array.getClass())
            throw new IllegalArgumentException(dtype + " cannot be held in a " + array.getClass().getSimpleName());
        return new CpuBuffer(dtype, array, n, stats, null);
    }

    private static CpuBuffer cpu(Buffer b) {
        if (b instanceof CpuBuffer c) return c;
        throw new IllegalArgumentException("expected a CPU buffer, got " + (b == null ? "null" : b.getClass().getSimpleName()));
    }

    private static float[] f(Buffer b) {
        return b == null ? null : cpu(b).f32();
    }

    @Override
    public void write(Buffer dst, int dstOffset, Object src, int srcOffset, int n) {
        System.arraycopy(src, srcOffset, cpu(dst).array(), dstOffset, n);
    }

    @Override
    public void read(Buffer src, int srcOffset, Object dst, int dstOffset, int n) {
        System.arraycopy(cpu(src).array(), srcOffset, dst, dstOffset, n);
    }

    @Override
    public void fill(Buffer out, int offset, int n, double value) {
        Object a = cpu(out).array();
        switch (out.dtype()) {
            case F32 -> java.util.Arrays.fill((float[]) a, offset, offset + n, (float) value);
            case F16 -> java.util.Arrays.fill((short[]) a, offset, offset + n, HalfFloat.floatToF16((float) value));
            case BF16 -> java.util.Arrays.fill((short[]) a, offset, offset + n, HalfFloat.floatToBf16((float) value));
            case I32 -> java.util.Arrays.fill((int[]) a, offset, offset + n, (int) value);
            case I64 -> java.util.Arrays.fill((long[]) a, offset, offset + n, (long) value);
            case U8, BOOL -> java.util.Arrays.fill((byte[]) a, offset, offset + n, (byte) value);
        }
    }

    @Override
    public void copy(int[] shape, Buffer src, int srcOffset, int[] srcStrides, Buffer dst, int dstOffset, int[] dstStrides) {
        DType from = src.dtype(), to = dst.dtype();
        Object s = cpu(src).array(), d = cpu(dst).array();
        boolean halfFrom = from == DType.F16 || from == DType.BF16, halfTo = to == DType.F16 || to == DType.BF16;
        if (!halfFrom && !halfTo) {
            Copy.strided(shape, s, srcOffset, srcStrides, d, dstOffset, dstStrides);
        } else if (from == to) {
            Copy.halfToHalf(shape, (short[]) s, srcOffset, srcStrides, (short[]) d, dstOffset, dstStrides);
        } else if (halfFrom && to == DType.F32) {
            Copy.halfToFloat(from == DType.F16, shape, (short[]) s, srcOffset, srcStrides, (float[]) d, dstOffset, dstStrides);
        } else if (halfTo && from == DType.F32) {
            Copy.floatToHalf(to == DType.F16, shape, (float[]) s, srcOffset, srcStrides, (short[]) d, dstOffset, dstStrides);
        } else {
            // Any other pair involving a half type goes through a contiguous float copy.
            int n = Shapes.numel(shape);
            int[] contiguous = Shapes.contiguousStrides(shape);
            try (CpuBuffer tmp = allocate(DType.F32, n)) {
                copy(shape, src, srcOffset, srcStrides, tmp, 0, contiguous);
                copy(shape, tmp, 0, contiguous, dst, dstOffset, dstStrides);
            }
        }
    }

    @Override
    public void unary(UnaryOp op, float param, Buffer x, int xOffset, Buffer y, int yOffset, int n) {
        Elementwise.unary(op, param, f(x), xOffset, f(y), yOffset, n);
    }

    @Override
    public void unaryBackward(UnaryOp op, float param, Buffer x, Buffer y, Buffer gy, Buffer gx, int n) {
        Elementwise.unaryBackward(op, param, f(x), f(y), f(gy), f(gx), n);
    }

    @Override
    public void binary(BinaryOp op, int[] shape, Buffer a, int aOffset, int[] aStrides, Buffer b, int bOffset, int[] bStrides,
            Buffer out, int outOffset) {
        Elementwise.binary(op, shape, f(a), aOffset, aStrides, f(b), bOffset, bStrides, f(out), outOffset);
    }

    @Override
    public void where(int[] shape, Buffer cond, int cOffset, int[] cStrides, Buffer a, int aOffset, int[] aStrides,
            Buffer b, int bOffset, int[] bStrides, Buffer out, int outOffset) {
        Elementwise.where(shape, f(cond), cOffset, cStrides, f(a), aOffset, aStrides, f(b), bOffset, bStrides, f(out), outOffset);
    }

    @Override
    public void reduce(ReduceOp op, Buffer x, int xOffset, int outer, int dim, int inner, Buffer out) {
        switch (op) {
            case SUM -> Reduce.sum(f(x), xOffset, outer, dim, inner, f(out), 0);
            case MAX -> Reduce.max(f(x), xOffset, outer, dim, inner, f(out), 0);
            case ARGMAX -> Reduce.argmax(f(x), xOffset, outer, dim, inner, cpu(out).i64(), 0);
        }
    }

    @Override
    public void gemm(GemmShape s, float alpha, Buffer a, int aOffset, Buffer b, int bOffset, float beta, Buffer c, int cOffset) {
        boolean bf16 = Kernels.gemmInputType(a, b, c) == DType.BF16;
        Gemm.sgemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), alpha, bf16 ? widenBf16(a) : f(a), aOffset, s.lda(), s.strideA(),
                bf16 ? widenBf16(b) : f(b), bOffset, s.ldb(), s.strideB(), beta, f(c), cOffset, s.ldc(), s.strideC(), s.batch());
    }

    /**
     * The reference for bf16 products, not a fast path: bf16 widens to float exactly, so the float
     * GEMM on the widened copy is the exact product of the bf16 values accumulated in float, which is
     * what cuBLAS computes for CUDA_R_16BF inputs with CUBLAS_COMPUTE_32F. The whole buffer is widened
     * so that offsets and strides keep their meaning.
     */
    private static float[] widenBf16(Buffer b) {
        short[] bits = (short[]) cpu(b).array();
        float[] wide = new float[bits.length];
        for (int i = 0; i < bits.length; i++) wide[i] = HalfFloat.bf16ToFloat(bits[i]);
        return wide;
    }

    @Override
    public void softmax(boolean log, Buffer x, int xOffset, Buffer y, int rows, int cols) {
        Softmax.forward(log, f(x), xOffset, f(y), 0, rows, cols);
    }

    @Override
    public void softmaxBackward(boolean log, Buffer y, Buffer gy, Buffer gx, int rows, int cols) {
        Softmax.backward(log, f(y), f(gy), f(gx), rows, cols);
    }

    @Override
    public void layerNorm(Buffer x, int xOffset, Buffer gamma, Buffer beta, float eps, Buffer y, Buffer mean, Buffer rstd,
            int rows, int cols) {
        LayerNorm.forward(f(x), xOffset, f(gamma), f(beta), eps, f(y), f(mean), f(rstd), rows, cols);
    }

    @Override
    public void layerNormBackward(Buffer x, int xOffset, Buffer gamma, Buffer mean, Buffer rstd, Buffer gy,
            Buffer gx, Buffer gGamma, Buffer gBeta, int rows, int cols) {
        LayerNorm.backward(f(x), xOffset, f(gamma), f(mean), f(rstd), f(gy), f(gx), f(gGamma), f(gBeta), rows, cols);
    }

    @Override
    public void indexSelect(Buffer src, int srcOffset, Buffer index, int indexOffset, Buffer out, int outer, int srcDim, int count, int inner) {
        Indexing.indexSelect(f(src), srcOffset, cpu(index).array(), indexOffset, f(out), outer, srcDim, count, inner);
    }

    @Override
    public void indexAdd(Buffer g, Buffer index, int indexOffset, Buffer dst, int outer, int dstDim, int count, int inner) {
        Indexing.indexAdd(f(g), cpu(index).array(), indexOffset, f(dst), outer, dstDim, count, inner);
    }

    @Override
    public void gather(Buffer src, int srcOffset, Buffer index, int indexOffset, Buffer out, int outer, int srcDim, int count, int inner) {
        Indexing.gather(f(src), srcOffset, cpu(index).array(), indexOffset, f(out), outer, srcDim, count, inner);
    }

    @Override
    public void scatterAdd(Buffer g, Buffer index, int indexOffset, Buffer dst, int outer, int dstDim, int count, int inner) {
        Indexing.scatterAdd(f(g), cpu(index).array(), indexOffset, f(dst), outer, dstDim, count, inner);
    }

    // --- convolution, pooling, batch norm -------------------------------------------------------

    @Override
    public void conv2d(Buffer x, Buffer weight, Buffer bias, Buffer y, Conv2dShape s) {
        Conv2d.forward(f(x), 0, s.n(), s.cIn(), s.h(), s.w(), f(weight), 0, f(bias), 0, s.cOut(), s.kH(), s.kW(),
                s.strideH(), s.strideW(), s.padH(), s.padW(), f(y), 0);
    }

    @Override
    public void conv2dBackwardInput(Buffer gy, Buffer weight, Buffer gx, Conv2dShape s) {
        Conv2d.backwardInput(f(gy), 0, f(weight), 0, s.n(), s.cIn(), s.h(), s.w(), s.cOut(), s.kH(), s.kW(),
                s.strideH(), s.strideW(), s.padH(), s.padW(), f(gx), 0);
    }

    @Override
    public void conv2dBackwardWeight(Buffer x, Buffer gy, Buffer gWeight, Buffer gBias, Conv2dShape s) {
        Conv2d.backwardWeight(f(x), 0, f(gy), 0, s.n(), s.cIn(), s.h(), s.w(), s.cOut(), s.kH(), s.kW(),
                s.strideH(), s.strideW(), s.padH(), s.padW(), f(gWeight), 0, f(gBias), 0);
    }

    @Override
    public void avgPool2d(Buffer x, Buffer y, Pool2dShape s) {
        AvgPool2d.forward(f(x), 0, s.n(), s.c(), s.h(), s.w(), s.kH(), s.kW(), s.strideH(), s.strideW(), s.padH(), s.padW(), f(y), 0);
    }

    @Override
    public void avgPool2dBackward(Buffer gy, Buffer gx, Pool2dShape s) {
        AvgPool2d.backward(f(gy), 0, s.n(), s.c(), s.h(), s.w(), s.kH(), s.kW(), s.strideH(), s.strideW(), s.padH(), s.padW(), f(gx), 0);
    }

    @Override
    public void batchNormTraining(BatchNormShape s, Buffer x, Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar,
            Buffer y, Buffer saveMean, Buffer saveInvStd) {
        BatchNorm2d.forwardTraining(f(x), 0, s.n(), s.c(), s.hw(), f(gamma), 0, f(beta), 0, s.eps(), s.momentum(),
                f(runningMean), 0, f(runningVar), 0, f(y), 0, f(saveMean), 0, f(saveInvStd), 0);
    }

    @Override
    public void batchNormEval(BatchNormShape s, Buffer x, Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar, Buffer y) {
        BatchNorm2d.forwardEval(f(x), 0, s.n(), s.c(), s.hw(), f(runningMean), 0, f(runningVar), 0, f(gamma), 0, f(beta), 0,
                s.eps(), f(y), 0);
    }

    @Override
    public void batchNormTrainingBackward(BatchNormShape s, Buffer x, Buffer gy, Buffer saveMean, Buffer saveInvStd, Buffer gamma,
            Buffer gx, Buffer gGamma, Buffer gBeta) {
        BatchNorm2d.backwardTraining(f(x), 0, f(gy), 0, s.n(), s.c(), s.hw(), f(saveMean), 0, f(saveInvStd), 0, f(gamma), 0,
                f(gx), 0, f(gGamma), 0, f(gBeta), 0);
    }

    @Override
    public void batchNormEvalBackward(BatchNormShape s, Buffer x, Buffer gy, Buffer gamma, Buffer runningMean, Buffer runningVar,
            Buffer gx, Buffer gGamma, Buffer gBeta) {
        BatchNorm2d.backwardEval(f(x), 0, f(gy), 0, s.n(), s.c(), s.hw(), f(runningMean), 0, f(runningVar), 0, f(gamma), 0, s.eps(),
                f(gx), 0, f(gGamma), 0, f(gBeta), 0);
    }

    @Override
    public void attention(AttentionShape s, Buffer q, int qOffset, Buffer k, int kOffset, Buffer v, int vOffset,
            Buffer mask, Buffer out, Buffer lse) {
        Attention.forward(s, floats(q), qOffset, floats(k), kOffset, floats(v), vOffset, f(mask), f(out), f(lse));
    }

    @Override
    public void attentionBackward(AttentionShape s, Buffer q, int qOffset, Buffer k, int kOffset, Buffer v, int vOffset,
            Buffer mask, Buffer out, Buffer lse, Buffer gOut, Buffer gq, Buffer gk, Buffer gv) {
        Attention.backward(s, floats(q), qOffset, floats(k), kOffset, floats(v), vOffset, f(mask), f(out), f(lse),
                f(gOut), f(gq), f(gk), f(gv));
    }

    /** An F32 buffer's array, or a BF16 buffer widened (exactly) to a new one. */
    private static float[] floats(Buffer b) {
        return b.dtype() == DType.BF16 ? widenBf16(b) : f(b);
    }

    @Override
    public void normalizeRows(Buffer y, Buffer invNorm, int rows, int cols, float eps) {
        RowNormalize.forward(f(y), f(invNorm), rows, cols, eps);
    }

    @Override
    public void normalizeRowsBackward(Buffer y, Buffer invNorm, Buffer gy, Buffer gRaw, int rows, int cols, float eps) {
        RowNormalize.backward(f(y), f(invNorm), f(gy), f(gRaw), rows, cols, eps);
    }

    @Override
    public void contrastiveLogSumExp(Buffer a, int aOffset, Buffer b, int bOffset, int n, int m, int d, float scale,
            Buffer lseRows, Buffer lseCols) {
        ContrastiveLoss.logSumExp(f(a), aOffset, f(b), bOffset, n, m, d, scale, f(lseRows), f(lseCols));
    }

    @Override
    public void contrastiveBackward(Buffer a, int aOffset, Buffer b, int bOffset, int n, int m, int d, float scale,
            Buffer lseRows, Buffer lseCols, int diagonalOffset, float coefficient, Buffer ga, Buffer gb, Buffer gScale) {
        ContrastiveLoss.backward(f(a), aOffset, f(b), bOffset, n, m, d, scale, f(lseRows), f(lseCols), diagonalOffset,
                coefficient, f(ga), f(gb), f(gScale));
    }

    @Override
    public void adamW(AdamWStep step, Buffer param, int paramOffset, Buffer grad, int gradOffset, Buffer m, int mOffset,
            Buffer v, int vOffset, int n) {
        AdamW.step(step, f(param), paramOffset, f(grad), gradOffset, f(m), mOffset, f(v), vOffset, n);
    }
}
