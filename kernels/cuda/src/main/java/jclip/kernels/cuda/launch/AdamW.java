package jclip.kernels.cuda.launch;

import jclip.kernels.Buffer;
import jclip.kernels.cuda.CudaDevice;
import jclip.kernels.cuda.CudaKernel;

/** Launches src/main/cuda/adamw.cu: one fused AdamW step, the update of jclip.kernels.cpu.AdamW. */
public final class AdamW {
    private final CudaKernel step;

    public AdamW(CudaDevice device) {
        step = device.kernel("adamw", "jclip_adamw_f32");
    }

    public void adamW(Buffer param, Buffer grad, Buffer m, Buffer v, int n, float lr, float beta1, float beta2,
            float eps, float weightDecay, int t) {
        if (t < 1) throw new IllegalArgumentException("adamW: the step count t starts at 1, got " + t);
        Args.nonNegative("adamW", "n", n);
        Args.f32("adamW", "param", param, 0, n);
        Args.f32("adamW", "grad", grad, 0, n);
        Args.f32("adamW", "m", m, 0, n);
        Args.f32("adamW", "v", v, 0, n);
        if (n == 0) return;
        // The step's scalars, computed exactly as the CPU backend computes them.
        float decay = 1 - lr * weightDecay;
        double c1 = 1 - Math.pow(beta1, t), c2 = 1 - Math.pow(beta2, t);
        float stepSize = (float) (lr / c1);
        float invSqrtC2 = (float) (1 / Math.sqrt(c2));
        step.pointer(param, 0).pointer(grad, 0).pointer(m, 0).pointer(v, 0).i32(n).f32(beta1).f32(beta2).f32(eps)
                .f32(decay).f32(stepSize).f32(invSqrtC2)
                .launch(Layout.blocks(n), Layout.THREADS, 0);
    }
}
