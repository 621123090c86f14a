package jclip.kernels;

/**
 * Everything the tensor core asks of a device, on raw buffers with explicit sizes, offsets and
 * strides. The CPU implementation is the reference; a CUDA implementation launches kernels that
 * are tested against it. All offsets and strides count elements, not bytes. Unless a parameter is
 * named as strided, buffers are read and written contiguously from the given offset.
 */
public interface Kernels {
    String name();

    MemoryStats memory();

    /** A new buffer; its contents are unspecified until written. */
    Buffer allocate(DType dtype, int length);

    /** Copies n elements from a host array (float[], short[], int[], long[] or byte[] matching the dtype). */
    void write(Buffer dst, int dstOffset, Object src, int srcOffset, int n);

    /** Copies n elements into a host array of the type matching the buffer's dtype. */
    void read(Buffer src, int srcOffset, Object dst, int dstOffset, int n);

    void fill(Buffer out, int offset, int n, double value);

    /**
     * dst[index·dstStrides] = convert(src[index·srcStrides]) for every index of {@code shape};
     * converts between any two dtypes (float to integer truncates toward zero).
     */
    void copy(int[] shape, Buffer src, int srcOffset, int[] srcStrides, Buffer dst, int dstOffset, int[] dstStrides);

    /** y = op(x; param), F32. */
    void unary(UnaryOp op, float param, Buffer x, int xOffset, Buffer y, int yOffset, int n);

    /** gx = gy · op'(x), F32, contiguous from offset 0; y = op(x) is passed where the rule uses it. */
    void unaryBackward(UnaryOp op, float param, Buffer x, Buffer y, Buffer gy, Buffer gx, int n);

    /** out = op(a, b), F32; a and b strided (stride 0 broadcasts), out contiguous with {@code shape}. */
    void binary(BinaryOp op, int[] shape, Buffer a, int aOffset, int[] aStrides,
            Buffer b, int bOffset, int[] bStrides, Buffer out, int outOffset);

    /** out = cond != 0 ? a : b, F32, strided inputs, contiguous out. */
    void where(int[] shape, Buffer cond, int cOffset, int[] cStrides, Buffer a, int aOffset, int[] aStrides,
            Buffer b, int bOffset, int[] bStrides, Buffer out, int outOffset);

    /** x viewed as [outer, dim, inner] contiguous; out [outer, inner] (I64 for ARGMAX, else F32). */
    void reduce(ReduceOp op, Buffer x, int xOffset, int outer, int dim, int inner, Buffer out);

    /**
     * Row-major batched C = alpha·op(A)·op(B) + beta·C in the layout {@code s} describes (see
     * jclip.kernels.cpu.Gemm), each matrix's first batch member at its offset. A and B are both F32
     * or both BF16 (mixed precision: bf16 products accumulated in float); C is F32.
     */
    void gemm(GemmShape s, float alpha, Buffer a, int aOffset, Buffer b, int bOffset, float beta, Buffer c, int cOffset);

    /**
     * The dtype of a gemm's inputs, after checking the combination {@link #gemm} accepts; the error
     * names both dtypes so that a caller that forgot to cast one operand sees which.
     */
    static DType gemmInputType(Buffer a, Buffer b, Buffer c) {
        if (a.dtype() != b.dtype() || (a.dtype() != DType.F32 && a.dtype() != DType.BF16))
            throw new IllegalArgumentException("gemm: A is " + a.dtype() + " and B is " + b.dtype()
                    + "; both must be F32 or both BF16");
        if (c.dtype() != DType.F32) throw new IllegalArgumentException("gemm: C is " + c.dtype() + "; it must be F32");
        return a.dtype();
    }

    /** Softmax (or log-softmax) over the last dimension of x [rows, cols]. */
    void softmax(boolean log, Buffer x, int xOffset, Buffer y, int rows, int cols);

    /** gx from y = softmax(x) (or log-softmax) and gy, all [rows, cols]. */
    void softmaxBackward(boolean log, Buffer y, Buffer gy, Buffer gx, int rows, int cols);

    /** y = (x - mean)·rstd·gamma + beta over the last dimension; saves mean and rstd [rows]. */
    void layerNorm(Buffer x, int xOffset, Buffer gamma, Buffer beta, float eps, Buffer y, Buffer mean, Buffer rstd,
            int rows, int cols);

    /** gx written; gGamma and gBeta accumulated (+=). */
    void layerNormBackward(Buffer x, int xOffset, Buffer gamma, Buffer mean, Buffer rstd, Buffer gy,
            Buffer gx, Buffer gGamma, Buffer gBeta, int rows, int cols);

    /** out[o, i, j] = src[o, index[i], j]; src [outer, srcDim, inner], index [count] (I32 or I64). */
    void indexSelect(Buffer src, int srcOffset, Buffer index, int indexOffset, Buffer out,
            int outer, int srcDim, int count, int inner);

    /** dst[o, index[i], j] += g[o, i, j]: the backward of indexSelect. */
    void indexAdd(Buffer g, Buffer index, int indexOffset, Buffer dst, int outer, int dstDim, int count, int inner);

    /** out[o, i, j] = src[o, index[o, i, j], j]; src [outer, srcDim, inner], index [outer, count, inner]. */
    void gather(Buffer src, int srcOffset, Buffer index, int indexOffset, Buffer out,
            int outer, int srcDim, int count, int inner);

    /** dst[o, index[o, i, j], j] += g[o, i, j]: the backward of gather. */
    void scatterAdd(Buffer g, Buffer index, int indexOffset, Buffer dst, int outer, int dstDim, int count, int inner);

    /** NCHW convolution, weight [cOut, cIn, kH, kW], bias [cOut] or null. */
    void conv2d(Buffer x, Buffer weight, Buffer bias, Buffer y, Conv2dShape s);

    void conv2dBackwardInput(Buffer gy, Buffer weight, Buffer gx, Conv2dShape s);

    /** gWeight and gBias (nullable) accumulated (+=). */
    void conv2dBackwardWeight(Buffer x, Buffer gy, Buffer gWeight, Buffer gBias, Conv2dShape s);

    void avgPool2d(Buffer x, Buffer y, Pool2dShape s);

    void avgPool2dBackward(Buffer gy, Buffer gx, Pool2dShape s);

    /**
     * Training-mode batch norm over (N, H, W) of x [n, c, hw] (see {@link BatchNormShape}): normalises
     * with batch statistics, saves mean and 1/sqrt(var + eps), and updates the running statistics
     * with momentum. gamma, beta and the running statistics may be null (ones, zeros, not tracked).
     */
    void batchNormTraining(BatchNormShape s, Buffer x, Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar,
            Buffer y, Buffer saveMean, Buffer saveInvStd);

    void batchNormEval(BatchNormShape s, Buffer x, Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar, Buffer y);

    /** gx written; gGamma and gBeta accumulated (+=); each null when not wanted. */
    void batchNormTrainingBackward(BatchNormShape s, Buffer x, Buffer gy, Buffer saveMean, Buffer saveInvStd, Buffer gamma,
            Buffer gx, Buffer gGamma, Buffer gBeta);

    /**
     * The backward of {@link #batchNormEval}, the running statistics being constants: gx written,
     * gGamma and gBeta accumulated (+=), each null when not wanted.
     */
    void batchNormEvalBackward(BatchNormShape s, Buffer x, Buffer gy, Buffer gamma, Buffer runningMean, Buffer runningVar,
            Buffer gx, Buffer gGamma, Buffer gBeta);

    /**
     * Fused scaled dot-product attention (see {@link AttentionShape}): out = softmax(scale·q·kᵀ + mask)·v
     * and lse[row] = log Σ_j exp(score), without forming the [queries, keys] scores in memory. q, k and
     * v are contiguous from their offsets, all F32 or all BF16 (accumulated in float); mask F32 or null;
     * out and lse F32, contiguous from 0.
     */
    void attention(AttentionShape s, Buffer q, int qOffset, Buffer k, int kOffset, Buffer v, int vOffset,
            Buffer mask, Buffer out, Buffer lse);

    /**
     * The backward of {@link #attention} (FlashAttention-2's: scores recomputed from q, k and the saved
     * lse): gq, gk, gv written, F32, contiguous from 0, shaped like q, k and v.
     */
    void attentionBackward(AttentionShape s, Buffer q, int qOffset, Buffer k, int kOffset, Buffer v, int vOffset,
            Buffer mask, Buffer out, Buffer lse, Buffer gOut, Buffer gq, Buffer gk, Buffer gv);

    /**
     * In place over y [rows, cols], F32: invNorm[r] = 1 / max(‖y_r‖, eps) and y_r *= invNorm[r]
     * (the epilogue of a normalised projection).
     */
    void normalizeRows(Buffer y, Buffer invNorm, int rows, int cols, float eps);

    /**
     * The backward of {@link #normalizeRows}, from its output y and invNorm: gRaw_r = invNorm[r]·(gy_r −
     * y_r·(gy_r·y_r)) where the norm exceeded eps, gy_r·invNorm[r] where it was clamped.
     */
    void normalizeRowsBackward(Buffer y, Buffer invNorm, Buffer gy, Buffer gRaw, int rows, int cols, float eps);

    /**
     * Row and column log-sum-exps of the logits L = scale·a·bᵀ, a [n, d] and b [m, d] F32 contiguous
     * from their offsets, computed tile by tile, never the n×m matrix: lseRows[i] = log Σ_j exp(L_ij)
     * [n], lseCols[j] = log Σ_i exp(L_ij) [m].
     */
    void contrastiveLogSumExp(Buffer a, int aOffset, Buffer b, int bOffset, int n, int m, int d, float scale,
            Buffer lseRows, Buffer lseCols);

    /**
     * The backward of the symmetric contrastive loss over the logits L = scale·a·bᵀ, recomputed tile
     * by tile: with G_ij = exp(L_ij − lseRows[i]) + exp(L_ij − lseCols[j]) − 2·[j = i + diagonalOffset],
     * ga = coefficient·scale·G·b [n, d] and, unless gb is null, gb = coefficient·scale·Gᵀ·a [m, d],
     * both written; gScale[0] = coefficient·Σ_ij G_ij·L_ij (the gradient for log(scale)).
     */
    void contrastiveBackward(Buffer a, int aOffset, Buffer b, int bOffset, int n, int m, int d, float scale,
            Buffer lseRows, Buffer lseCols, int diagonalOffset, float coefficient, Buffer ga, Buffer gb, Buffer gScale);

    /**
     * One fused AdamW step in place on n elements of param, m and v from their offsets, with the
     * gradient's n from its own (see jclip.kernels.cpu.AdamW): an optimizer keeps all parameters'
     * moments in one buffer.
     */
    void adamW(AdamWStep step, Buffer param, int paramOffset, Buffer grad, int gradOffset, Buffer m, int mOffset,
            Buffer v, int vOffset, int n);
}
