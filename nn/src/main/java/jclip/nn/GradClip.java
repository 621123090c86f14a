package jclip.nn;

import java.util.Collection;
import jclip.tensor.Autograd;
import jclip.tensor.MemoryScope;
import jclip.tensor.Tensor;

/** Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_. */
public final class GradClip {
    private GradClip() {}

    /** Scales all gradients by min(1, maxNorm / ‖g‖₂) and returns the norm before clipping. */
    public static double clipGlobalNorm(Collection<Tensor> params, double maxNorm) {
        double sumSq = 0;
        try (Autograd.NoGrad g = Autograd.noGrad(); MemoryScope scope = MemoryScope.open()) {
            for (Tensor p : params) {
                Tensor grad = p.grad();
                if (grad != null) sumSq += grad.mul(grad).sum().item();
            }
            double norm = Math.sqrt(sumSq);
            double scale = maxNorm / (norm + 1e-6);
            if (scale < 1)
                for (Tensor p : params) if (p.grad() != null) p.grad().mulInPlace((float) scale);
            return norm;
        }
    }
}
