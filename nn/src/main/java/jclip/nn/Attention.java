package jclip.nn;

import jclip.tensor.Tensor;

/**
 * The layouts around multi-head attention: packed or per-tensor projections to heads and back. The
 * attention itself is {@link jclip.tensor.Functional#scaledDotProductAttention}, one fused op.
 */
public final class Attention {
    private Attention() {}

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
