package jclip.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import jclip.kernels.AdamWStep;
import jclip.tensor.Autograd;
import jclip.tensor.Flat;
import jclip.tensor.FusedOps;
import jclip.tensor.Tensor;

/**
 * AdamW with decoupled weight decay, one fused kernel per parameter. The CLIP paper's settings
 * are β1 = 0.9, β2 = 0.98, ε = 1e-6; weight decay applies only where {@code decays} says.
 *
 * <p>The parameters and both moments each lie in one {@link Flat} storage (the constructor packs the
 * parameters' data, values and tensors unchanged), which saves the heap regions hundreds of
 * separate arrays would waste (Flat). Gradients stay separate buffers, made in each backward and
 * freed by zeroGrad, so that they never coexist with all of a forward's activations.
 */
public final class AdamW implements AutoCloseable {
    private final List<String> names = new ArrayList<>();
    private final List<Tensor> params = new ArrayList<>();
    private final List<Boolean> decay = new ArrayList<>();
    private final List<Tensor> exp, expSq;
    private final float beta1, beta2, eps, weightDecay;
    private int step;

    public AdamW(Map<String, Tensor> parameters, Predicate<String> decays, float beta1, float beta2, float eps, float weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        parameters.forEach((name, p) -> {
            names.add(name);
            params.add(p);
            decay.add(decays.test(name));
        });
        Flat.pack(params);
        exp = Flat.zerosLike(params);
        expSq = Flat.zerosLike(params);
    }

    /**
     * open_clip's rule: no decay for gains and biases (1-d), batch and layer norms, embeddings
     * and the logit scale; decay for weight matrices and convolution kernels.
     */
    public static boolean clipDecays(String name, Tensor p) {
        return p.ndim() >= 2 && !name.contains("bn") && !name.contains("ln") && !name.contains("bias")
                && !name.contains("embedding") && !name.contains("logit_scale");
    }

    /** One update with learning rate lr; parameters without a gradient are left alone. */
    public void step(float lr) {
        step++;
        AdamWStep decayed = new AdamWStep(lr, beta1, beta2, eps, weightDecay, step), plain = new AdamWStep(lr, beta1, beta2, eps, 0f, step);
        try (Autograd.NoGrad g = Autograd.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor grad = params.get(i).grad();
                if (grad == null) continue;
                FusedOps.adamW(decay.get(i) ? decayed : plain, params.get(i), grad, exp.get(i), expSq.get(i));
            }
        }
    }

    public int stepCount() {
        return step;
    }

    public boolean decays(String name) {
        return decay.get(names.indexOf(name));
    }

    /** First and second moments by parameter name ("exp_avg.NAME", "exp_avg_sq.NAME"), for checkpoints. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            out.put("exp_avg." + names.get(i), exp.get(i));
            out.put("exp_avg_sq." + names.get(i), expSq.get(i));
        }
        return out;
    }

    /** Restores moments and the step count saved by {@link #stateDict()}. */
    public void loadStateDict(Map<String, Tensor> state, int stepCount) {
        List<String> missing = new ArrayList<>();
        for (String k : stateDict().keySet()) if (!state.containsKey(k)) missing.add(k);
        if (!missing.isEmpty()) throw new IllegalArgumentException("optimizer state lacks " + missing.size() + " entries: " + missing);
        try (Autograd.NoGrad g = Autograd.noGrad()) {
            stateDict().forEach((k, t) -> t.copyFrom(state.get(k)));
        }
        step = stepCount;
    }

    @Override
    public void close() {
        exp.forEach(Tensor::close);
        expSq.forEach(Tensor::close);
    }
}
