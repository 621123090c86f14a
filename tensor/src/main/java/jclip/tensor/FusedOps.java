package jclip.tensor;

import jclip.kernels.AdamWStep;
import jclip.kernels.DType;

/** Updates that run as one kernel instead of a composition: optimizer steps. Never recorded. */
public final class FusedOps {
    private FusedOps() {}

    /** One AdamW step in place on param, m and v: contiguous F32 tensors (views at any offset) of one size. */
    public static void adamW(AdamWStep step, Tensor param, Tensor grad, Tensor m, Tensor v) {
        for (Tensor t : new Tensor[] {param, grad, m, v})
            if (!t.isContiguous() || t.dtype() != DType.F32 || t.numel() != param.numel() || t.device() != param.device())
                throw new IllegalArgumentException("adamW needs contiguous F32 tensors of " + param.numel() + " elements on "
                        + param.device() + ", got " + t);
        param.kernels().adamW(step, param.buffer(), param.offset, grad.buffer(), grad.offset, m.buffer(), m.offset,
                v.buffer(), v.offset, param.numel());
    }
}
