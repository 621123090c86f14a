package jclip.kernels;

/**
 * The hyperparameters of one AdamW update, and the scalars every backend derives from them the same
 * way (so that the CPU and CUDA steps agree to the bit on the constants): see jclip.kernels.cpu.AdamW.
 */
public record AdamWStep(float lr, float beta1, float beta2, float eps, float weightDecay, int t) {
    public AdamWStep {
        if (t < 1) throw new IllegalArgumentException("AdamW step count t starts at 1, got " + t);
    }

    /** The factor of decoupled weight decay, 1 - lr·wd. */
    public float decay() {
        return 1 - lr * weightDecay;
    }

    /** lr / (1 - β1^t): the learning rate with the first moment's bias correction. */
    public float stepSize() {
        return (float) (lr / (1 - Math.pow(beta1, t)));
    }

    /** 1 / √(1 - β2^t): the second moment's bias correction, applied to √v. */
    public float invSqrtC2() {
        return (float) (1 / Math.sqrt(1 - Math.pow(beta2, t)));
    }
}
