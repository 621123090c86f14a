package jclip.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import jclip.tensor.Autograd;
import jclip.tensor.Tensor;
import org.junit.jupiter.api.Test;

class OptimTest {
    /** The fused kernel against AdamW written out in double for three steps. */
    @Test
    void adamWMatchesTheFormula() {
        float[] p0 = {0.5f, -1.5f, 2f}, g = {0.1f, -0.2f, 0.3f};
        Tensor w = Tensor.of(p0, 3).requiresGrad(true), b = Tensor.of(p0, 3).requiresGrad(true);
        Map<String, Tensor> params = new LinkedHashMap<>();
        params.put("w", w);
        params.put("b", b);
        try (AdamW opt = new AdamW(params, n -> n.equals("w"), 0.9f, 0.98f, 1e-6f, 0.1f)) {
            double[] pw = {0.5, -1.5, 2}, pb = pw.clone(), m = new double[3], v = new double[3];
            for (int t = 1; t <= 3; t++) {
                double lr = 0.01 * t;
                w.mul(Tensor.of(g, 3)).sum().backward();
                b.mul(Tensor.of(g, 3)).sum().backward();
                opt.step((float) lr);
                w.zeroGrad();
                b.zeroGrad();
                for (int i = 0; i < 3; i++) {
                    m[i] = 0.9 * m[i] + 0.1 * g[i];
                    v[i] = 0.98 * v[i] + 0.02 * g[i] * g[i];
                    double update = lr * (m[i] / (1 - Math.pow(0.9, t))) / (Math.sqrt(v[i] / (1 - Math.pow(0.98, t))) + 1e-6);
                    pw[i] = pw[i] * (1 - lr * 0.1) - update;
                    pb[i] = pb[i] - update;
                }
            }
            float[] aw = w.toFloatArray(), ab = b.toFloatArray();
            for (int i = 0; i < 3; i++) {
                assertEquals(pw[i], aw[i], 1e-6, "decayed parameter " + i);
                assertEquals(pb[i], ab[i], 1e-6, "undecayed parameter " + i);
            }
            assertEquals(3, opt.stepCount());
        }
    }

    @Test
    void clipDecayRuleFollowsOpenClip() {
        assertTrue(AdamW.clipDecays("visual.conv1.weight", Tensor.zeros(2, 2, 1, 1)));
        assertTrue(AdamW.clipDecays("text_projection", Tensor.zeros(2, 2)));
        assertTrue(!AdamW.clipDecays("transformer.resblocks.0.ln_1.weight", Tensor.zeros(2)));
        assertTrue(!AdamW.clipDecays("token_embedding.weight", Tensor.zeros(5, 2)));
        assertTrue(!AdamW.clipDecays("positional_embedding", Tensor.zeros(5, 2)));
        assertTrue(!AdamW.clipDecays("logit_scale", Tensor.scalar(1)));
        assertTrue(!AdamW.clipDecays("visual.bn1.weight", Tensor.zeros(2)));
        assertTrue(!AdamW.clipDecays("visual.attnpool.c_proj.bias", Tensor.zeros(2)));
    }

    @Test
    void cosineScheduleWarmsUpThenDecaysToZero() {
        CosineSchedule s = new CosineSchedule(1e-3, 10, 110);
        assertEquals(1e-4, s.lr(0), 1e-12);
        assertEquals(1e-3, s.lr(9), 1e-12);
        assertEquals(1e-3, s.lr(10), 1e-12);
        assertEquals(0.5e-3, s.lr(60), 1e-12);
        assertEquals(0, s.lr(110), 1e-12);
        assertEquals(0, s.lr(500), 1e-12);
    }

    @Test
    void clipGlobalNormScalesAllGradients() {
        Tensor a = Tensor.of(new float[] {3}, 1).requiresGrad(true), b = Tensor.of(new float[] {4}, 1).requiresGrad(true);
        a.mul(a.detach()).sum().backward(); // grad 3
        b.mul(b.detach()).sum().backward(); // grad 4
        double norm = GradClip.clipGlobalNorm(java.util.List.of(a, b), 1.0);
        assertEquals(5, norm, 1e-6);
        assertEquals(0.6f, a.grad().item(), 1e-5);
        assertEquals(0.8f, b.grad().item(), 1e-5);
        assertEquals(1.0, GradClip.clipGlobalNorm(java.util.List.of(a, b), 10.0), 1e-5, "under the limit: unchanged");
        try (Autograd.NoGrad g = Autograd.noGrad()) {
            assertEquals(0.6f, a.grad().item(), 1e-5);
        }
    }
}
