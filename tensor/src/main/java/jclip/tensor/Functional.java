package jclip.tensor;

/**
 * The fused ops, each one kernel (or a GEMM and one kernel) forward and backward in place of a
 * composition of primitive ops, with far less memory: what CLIP's hot paths call.
 */
public final class Functional {
    private Functional() {}

    /**
     * softmax(q·kᵀ/√D + mask)·v for q [B, H, Lq, D], k and v [B, H, Lk, D], F32 or BF16 (float
     * accumulation), to F32 [B, H, Lq, D]. The additive F32 mask ([Lq, Lk], [B or 1, Lq, Lk] or
     * [B or 1, H or 1, Lq, Lk]) may be null and gets no gradient. Keeps only the output and one
     * log-sum-exp per row; the backward recomputes the scores.
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor mask) {
        return AttentionOps.attention(q, k, v, mask, false, defaultScale(q));
    }

    /** Causal attention (key j hidden from query i when j &gt; i), or unmasked. */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, boolean causal) {
        return AttentionOps.attention(q, k, v, null, causal, defaultScale(q));
    }

    /** Every option: an additive mask or null, causal, and the scale of the scores. */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, float scale) {
        return AttentionOps.attention(q, k, v, mask, causal, scale);
    }

    private static float defaultScale(Tensor q) {
        if (q.ndim() < 1 || q.size(-1) == 0) throw new IllegalArgumentException("scaledDotProductAttention: q " + Shape.str(q.shapeRef()));
        return (float) (1 / Math.sqrt(q.size(-1)));
    }

    /**
     * x [..., in] · w [in, out] with every row divided by its Euclidean norm: a projection head that
     * ends on the unit sphere (CLIP's towers, zero-shot classifiers). Gradients for x and w.
     */
    public static Tensor normalizedLinear(Tensor x, Tensor w) {
        return NormOps.normalizedLinear(x, w, 1e-12f);
    }

    /**
     * CLIP's symmetric contrastive loss: logits = exp(logitScale)·image·textᵀ, the mean of the
     * cross-entropy over rows and over columns with the diagonal as labels. image and text [N, d]
     * F32 (normalised by the caller, as CLIP does), logitScale one value. Never forms N×N: memory is
     * O(N·d). Gradients for all three.
     */
    public static Tensor clipLoss(Tensor image, Tensor text, Tensor logitScale) {
        return ClipLossOps.clipLoss(image, text, logitScale, ProcessGroup.single());
    }

    /**
     * The loss of the whole batch spread over {@code group}, each rank holding an equal slice in rank
     * order: every rank gets the global loss and, for its own features, the global loss's exact
     * gradient; logitScale's gradient is this rank's share (the sum over ranks is exact).
     */
    public static Tensor clipLoss(Tensor image, Tensor text, Tensor logitScale, ProcessGroup group) {
        return ClipLossOps.clipLoss(image, text, logitScale, group);
    }
}
