package jclip.kernels.cuda.launch;

import jclip.kernels.AdamWStep;
import jclip.kernels.Buffer;
import jclip.kernels.cuda.CudaDevice;
import jclip.kernels.cuda.CudaKernel;

/** Launches src/main/cuda/adamw.cu: one fused AdamW step, the update of jclip.kernels.cpu.AdamW. */
public final class AdamW {
    private final CudaKernel step;

    public AdamW(CudaDevice device) {
        step = device.kernel("adamw", "jclip_adamw_f32");
    }

    public void adamW(AdamWStep s, Buffer param, int paramOffset, Buffer grad, int gradOffset, Buffer m, int mOffset,
            Buffer v, int vOffset, int n) {
        Args.nonNegative("adamW", "n", n);
        Args.f32("adamW", "param", param, paramOffset, n);
        Args.f32("adamW", "grad", grad, gradOffset, n);
        Args.f32("adamW", "m", m, mOffset, n);
        Args.f32("adamW", "v", v, vOffset, n);
        if (n == 0) return;
        step.pointer(param, paramOffset).pointer(grad, gradOffset).pointer(m, mOffset).pointer(v, vOffset).i32(n)
                .f32(s.beta1()).f32(s.beta2()).f32(s.eps()).f32(s.decay()).f32(s.stepSize()).f32(s.invSqrtC2())
                .launch(Layout.blocks(n), Layout.THREADS, 0);
    }
}
