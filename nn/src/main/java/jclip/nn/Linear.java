package jclip.nn;

import jclip.tensor.Rng;
import jclip.tensor.Tensor;

/** y = x·Wᵀ + b; weight [out, in], bias [out]. */
public final class Linear extends Layer {
    public final Tensor weight;
    public final Tensor bias;

    public Linear(int in, int out, boolean bias, Rng rng) {
        this.weight = parameter("weight", Init.defaultUniform(rng, in, out, in));
        this.bias = bias ? parameter("bias", Init.defaultUniform(rng, in, out)) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.linear(weight, bias);
    }

    /** residual + forward(x), the residual accumulated by the GEMM (Tensor.linear). */
    public Tensor forward(Tensor x, Tensor residual) {
        return x.linear(weight, bias, residual);
    }
}
