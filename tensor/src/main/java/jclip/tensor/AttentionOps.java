package jclip.tensor;

import jclip.kernels.AttentionShape;
import jclip.kernels.DType;

/**
 * Fused scaled dot-product attention: the forward keeps only the output and one log-sum-exp per
 * query row, the backward recomputes the scores from q and k (FlashAttention-2's algorithm), so no
 * [queries, keys] tensor exists in either direction.
 */
final class AttentionOps {
    private AttentionOps() {}

    /**
     * softmax(scale·q·kᵀ + mask)·v for q [B, H, Lq, D], k and v [B, H, Lk, D]. The mask, additive F32
     * and never differentiated, is [Lq, Lk], [B or 1, Lq, Lk] or [B or 1, H or 1, Lq, Lk]; causal
     * hides key j from query i when j &gt; i. Under {@link Autocast} q, k and v are read as bf16.
     */
    static Tensor attention(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, float scale) {
        String op = "scaledDotProductAttention";
        q = Autocast.operand(q);
        k = Autocast.operand(k);
        v = Autocast.operand(v);
        PointwiseOps.requireSameDevice(op, q, k, v, mask);
        if (q.ndim() != 4 || k.ndim() != 4 || v.ndim() != 4)
            throw new IllegalArgumentException(op + " needs q, k, v [B, H, L, D]; got " + Shape.str(q.shapeRef()) + ", "
                    + Shape.str(k.shapeRef()) + ", " + Shape.str(v.shapeRef()));
        int b = q.size(0), h = q.size(1), lq = q.size(2), d = q.size(3), lk = k.size(2);
        if (k.size(0) != b || k.size(1) != h || k.size(3) != d || !java.util.Arrays.equals(k.shapeRef(), v.shapeRef()))
            throw new IllegalArgumentException(op + ": q " + Shape.str(q.shapeRef()) + ", k " + Shape.str(k.shapeRef())
                    + " and v " + Shape.str(v.shapeRef()) + " do not match (k and v [" + b + ", " + h + ", L, " + d + "])");
        DType dtype = q.dtype();
        if ((dtype != DType.F32 && dtype != DType.BF16) || k.dtype() != dtype || v.dtype() != dtype)
            throw new IllegalArgumentException(op + ": q, k, v are " + q.dtype() + ", " + k.dtype() + ", " + v.dtype()
                    + "; all must be F32 or all BF16");
        if (mask != null) PointwiseOps.requireF32(mask, op + " mask");
        AttentionShape unmasked = new AttentionShape(b, h, lq, lk, d, scale, causal, 0, 0);
        AttentionShape s = mask == null ? unmasked : maskStrides(unmasked, mask);
        Tensor maskDense = mask == null ? null : ViewOps.dense(mask.detach());
        Tensor qc = q.contiguous(), kc = k.contiguous(), vc = v.contiguous();
        Tensor out = Tensor.empty(q.device(), DType.F32, b, h, lq, d);
        Tensor lse = Tensor.empty(q.device(), DType.F32, b, h, lq);
        q.kernels().attention(s, qc.buffer(), qc.offset, kc.buffer(), kc.offset, vc.buffer(), vc.offset,
                maskDense == null ? null : maskDense.buffer(), out.buffer(), lse.buffer());
        return Autograd.record(out, "scaledDotProductAttention", g -> {
            Tensor gq = Tensor.empty(g.device(), DType.F32, qc.shapeRef());
            Tensor gk = Tensor.empty(g.device(), DType.F32, kc.shapeRef());
            Tensor gv = Tensor.empty(g.device(), DType.F32, vc.shapeRef());
            g.kernels().attentionBackward(s, qc.buffer(), qc.offset, kc.buffer(), kc.offset, vc.buffer(), vc.offset,
                    maskDense == null ? null : maskDense.buffer(), out.buffer(), lse.buffer(), ViewOps.dense(g).buffer(),
                    gq.buffer(), gk.buffer(), gv.buffer());
            return new Tensor[] {gq, gk, gv};
        }, qc, kc, vc);
    }

    /** The mask's batch and head strides after checking that it broadcasts to [B, H, Lq, Lk]. */
    private static AttentionShape maskStrides(AttentionShape s, Tensor mask) {
        int[] ms = mask.shapeRef();
        int nd = ms.length;
        boolean fits = nd >= 2 && nd <= 4 && ms[nd - 2] == s.queries() && ms[nd - 1] == s.keys()
                && (nd < 3 || ms[nd - 3] == 1 || ms[nd - 3] == (nd == 3 ? s.batch() : s.heads()))
                && (nd < 4 || ms[0] == 1 || ms[0] == s.batch());
        if (!fits)
            throw new IllegalArgumentException("scaledDotProductAttention: mask " + Shape.str(ms) + " does not broadcast to ["
                    + s.batch() + ", " + s.heads() + ", " + s.queries() + ", " + s.keys() + "] (give [Lq, Lk], [B, Lq, Lk] or [B, H, Lq, Lk], with 1 to broadcast)");
        int plane = s.queries() * s.keys();
        if (nd == 2) return s.withMaskStrides(0, 0);
        if (nd == 3) return s.withMaskStrides(ms[0] == 1 ? 0 : plane, 0);
        return s.withMaskStrides(ms[0] == 1 ? 0 : ms[1] * plane, ms[1] == 1 ? 0 : plane);
    }
}
