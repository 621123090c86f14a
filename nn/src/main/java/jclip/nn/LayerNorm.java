package jclip.nn;

import jclip.tensor.Tensor;

/** Normalises over the last dimension with gain (weight) and bias; eps 1e-5 as in PyTorch. */
public final class LayerNorm extends Layer {
    public final Tensor weight;
    public final Tensor bias;
    private final float eps;

    public LayerNorm(int width) {
        this(width, 1e-5f);
    }

    public LayerNorm(int width, float eps) {
        this.weight = parameter("weight", Tensor.ones(width));
        this.bias = parameter("bias", Tensor.zeros(width));
        this.eps = eps;
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.layerNorm(weight, bias, eps);
    }
}
