package jclip.tensor;

/** Updates that run as one kernel instead of a composition: optimizer steps. Never recorded. */
public final class FusedOps {
    private FusedOps() {}

    /** One AdamW step in place on param, m and v (contiguous F32 tensors of one shape). */
    public static void adamW(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2,
            float eps, float weightDecay, int step) {
        for (Tensor t : new Tensor[] {param, grad, m, v})
            if (!t.isContiguous() || t.offset != 0 || t.dtype() != jclip.kernels.DType.F32 || t.numel() != param.numel())
                throw new IllegalArgumentException("adamW needs contiguous F32 tensors of " + param.numel() + " elements, got " + t);
        param.kernels().adamW(param.buffer(), grad.buffer(), m.buffer(), v.buffer(), param.numel(), lr, beta1, beta2, eps, weightDecay, step);
    }
}
