package jclip.kernels.cpu;

import jclip.kernels.AdamWStep;

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

    public static void step(AdamWStep s, float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff, int n) {
        float decay = s.decay(), stepSize = s.stepSize(), invSqrtC2 = s.invSqrtC2(), eps = s.eps();
        float beta1 = s.beta1(), beta2 = s.beta2(), b1c = 1 - beta1, b2c = 1 - beta2;
        Parallel.forRange(n, 16, (from, to) -> {
            for (int i = from; i < to; i++) {
                float gi = g[gOff + i];
                float mi = beta1 * m[mOff + i] + b1c * gi;
                float vi = beta2 * v[vOff + i] + b2c * gi * gi;
                m[mOff + i] = mi;
                v[vOff + i] = vi;
                p[pOff + i] = p[pOff + i] * decay - stepSize * mi / ((float) Math.sqrt(vi) * invSqrtC2 + eps);
            }
        });
    }
}
