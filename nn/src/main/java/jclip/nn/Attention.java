package jclip.nn;

import jclip.tensor.Tensor;

/** Scaled dot-product attention, the one place a fused kernel will replace. */
public final class Attention {
    private Attention() {}

    /**
     * softmax(q·kᵀ/√d + mask)·v for q [N, H, Lq, d], k and v [N, H, L, d]; mask [Lq, L] is added
     * to the scores (−inf hides a position) or null.
     */
    public static Tensor scaledDotProduct(Tensor q, Tensor k, Tensor v, Tensor mask) {
        int d = q.size(-1);
        Tensor scores = q.mul((float) (1 / Math.sqrt(d))).matmul(k.transpose(-1, -2));
        if (mask != null) scores = scores.add(mask);
        return scores.softmax(-1).matmul(v);
    }

    /**
     * Packed projections [N, L, 3·H·d] to q, k, v [N, H, L, d], each contiguous: one copy into
     * [3, N, H, L, d] instead of one per tensor, and GEMM then reads them (and kᵀ) without copying.
     */
    public static Tensor[] splitQkv(Tensor qkv, int heads) {
        int n = qkv.size(0), l = qkv.size(1), d = qkv.size(2) / (3 * heads);
        Tensor packed = qkv.reshape(n, l, 3, heads, d).permute(2, 0, 3, 1, 4).contiguous();
        return new Tensor[] {packed.narrow(0, 0, 1).squeeze(0), packed.narrow(0, 1, 1).squeeze(0), packed.narrow(0, 2, 1).squeeze(0)};
    }

    /** [N, L, H·d] to [N, H, L, d]. */
    public static Tensor splitHeads(Tensor x, int heads) {
        int n = x.size(0), l = x.size(1), d = x.size(2) / heads;
        return x.reshape(n, l, heads, d).permute(0, 2, 1, 3);
    }

    /** [N, H, L, d] to [N, L, H·d]. */
    public static Tensor mergeHeads(Tensor x) {
        int n = x.size(0), h = x.size(1), l = x.size(2), d = x.size(3);
        return x.permute(0, 2, 1, 3).reshape(n, l, h * d);
    }
}
