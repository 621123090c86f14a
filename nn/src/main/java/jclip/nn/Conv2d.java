package jclip.nn;

import jclip.tensor.Rng;
import jclip.tensor.Tensor;

/** NCHW convolution with square kernel, stride and padding; weight [out, in, k, k]. */
public final class Conv2d extends Layer {
    public final Tensor weight;
    public final Tensor bias;
    private final int stride;
    private final int padding;

    public Conv2d(int in, int out, int kernel, int stride, int padding, boolean bias, Rng rng) {
        int fanIn = in * kernel * kernel;
        this.weight = parameter("weight", Init.defaultUniform(rng, fanIn, out, in, kernel, kernel));
        this.bias = bias ? parameter("bias", Init.defaultUniform(rng, fanIn, out)) : null;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.conv2d(weight, bias, stride, padding);
    }
}
