package jclip.nn;

import java.util.Collection;
import jclip.tensor.Autograd;
import jclip.tensor.MemoryScope;
import jclip.tensor.Tensor;

/** Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_. */
public final class GradClip {
    private GradClip() {}

    /**
     * Scales all gradients by min(1, maxNorm / ‖g‖₂) and returns the norm before clipping. The sum
     * of squares accumulates on the gradients' device and is read once: on a GPU each read waits for
     * the device, so one per parameter would stall every step.
     */
    public static double clipGlobalNorm(Collection<Tensor> params, double maxNorm) {
        try (Autograd.NoGrad g = Autograd.noGrad(); MemoryScope scope = MemoryScope.open()) {
            Tensor sumSq = null;
            for (Tensor p : params) {
                Tensor grad = p.grad();
                if (grad != null) sumSq = sumSq == null ? grad.mul(grad).sum() : sumSq.add(grad.mul(grad).sum());
            }
            double norm = sumSq == null ? 0 : Math.sqrt(sumSq.item());
            double scale = maxNorm / (norm + 1e-6);
            if (scale < 1)
                for (Tensor p : params) if (p.grad() != null) p.grad().mulInPlace((float) scale);
            return norm;
        }
    }
}
