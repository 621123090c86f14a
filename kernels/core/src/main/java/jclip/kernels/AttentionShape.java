package jclip.kernels;

/**
 * Sizes of one scaled dot-product attention: q [batch, heads, queries, headDim], k and v
 * [batch, heads, keys, headDim], out [batch, heads, queries, headDim], one log-sum-exp per query row
 * [batch, heads, queries].
 *
 * <p>An additive mask (F32, or none) is read at {@code mask[b·maskBatchStride + h·maskHeadStride
 * + i·keys + j]}: strides of 0 broadcast one [queries, keys] mask over batch and heads. {@code causal}
 * hides key j from query i when j &gt; i (PyTorch's top-left alignment); it combines with a mask. A
 * query row whose keys are all hidden gives NaN, as softmax over a row of −∞ does.
 */
public record AttentionShape(int batch, int heads, int queries, int keys, int headDim, float scale,
        boolean causal, int maskBatchStride, int maskHeadStride) {
    public AttentionShape {
        if (batch < 0 || heads <= 0 || queries < 0 || keys < 0 || headDim <= 0)
            throw new IllegalArgumentException("invalid attention sizes " + this);
        if (maskBatchStride < 0 || maskHeadStride < 0)
            throw new IllegalArgumentException("negative mask stride in " + this);
        if (!Float.isFinite(scale)) throw new IllegalArgumentException("attention scale " + scale + " is not finite");
    }

    /** Unmasked (or causal) attention with the usual 1/√headDim scale. */
    public static AttentionShape of(int batch, int heads, int queries, int keys, int headDim, boolean causal) {
        return new AttentionShape(batch, heads, queries, keys, headDim, (float) (1 / Math.sqrt(headDim)), causal, 0, 0);
    }

    /** The same sizes with a mask read at these strides. */
    public AttentionShape withMaskStrides(int batchStride, int headStride) {
        return new AttentionShape(batch, heads, queries, keys, headDim, scale, causal, batchStride, headStride);
    }

    public int pairs() {
        return batch * heads;
    }

    /** Elements of q and out. */
    public int queryElements() {
        return Math.multiplyExact(Math.multiplyExact(pairs(), queries), headDim);
    }

    /** Elements of k and v. */
    public int keyElements() {
        return Math.multiplyExact(Math.multiplyExact(pairs(), keys), headDim);
    }

    /** Elements of the log-sum-exp. */
    public int rows() {
        return Math.multiplyExact(pairs(), queries);
    }

    /** The mask's element read for (b, h, i, j) before adding, from the mask's own offset 0. */
    public int maskIndex(int b, int h, int i, int j) {
        return b * maskBatchStride + h * maskHeadStride + i * keys + j;
    }
}
