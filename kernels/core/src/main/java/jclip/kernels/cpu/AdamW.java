package jclip.kernels.cpu;

/**
 * One fused AdamW update (Loshchilov and Hutter), in place on p, m and v, all [n]:
 * <pre>
 *   p -= lr·wd·p                       (decoupled weight decay)
 *   m  = β1·m + (1-β1)·g
 *   v  = β2·v + (1-β2)·g²
 *   p -= lr · m/(1-β1^t) / (√(v/(1-β2^t)) + ε)
 * </pre>
 * One pass over memory instead of the dozen an unfused composition takes.
 */
public final class AdamW {
    private AdamW() {}

    public static void step(float[] p, float[] g, float[] m, float[] v, int n, float lr, float beta1, float beta2,
            float eps, float weightDecay, int t) {
        if (t < 1) throw new IllegalArgumentException("AdamW step count starts at 1, got " + t);
        float decay = 1 - lr * weightDecay;
        double c1 = 1 - Math.pow(beta1, t), c2 = 1 - Math.pow(beta2, t);
        float stepSize = (float) (lr / c1);
        float invSqrtC2 = (float) (1 / Math.sqrt(c2));
        float b1c = 1 - beta1, b2c = 1 - beta2;
        Parallel.forRange(n, 16, (from, to) -> {
            for (int i = from; i < to; i++) {
                float gi = g[i];
                float mi = beta1 * m[i] + b1c * gi;
                float vi = beta2 * v[i] + b2c * gi * gi;
                m[i] = mi;
                v[i] = vi;
                p[i] = p[i] * decay - stepSize * mi / ((float) Math.sqrt(vi) * invSqrtC2 + eps);
            }
        });
    }
}
