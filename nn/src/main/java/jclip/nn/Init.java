package jclip.nn;

import jclip.tensor.Rng;
import jclip.tensor.Tensor;

/**
 * Initialisers, each a fresh tensor (PyTorch's in-place initialisers become factories). A null
 * Rng gives zeros: the fast path when weights are about to be loaded anyway.
 */
public final class Init {
    private Init() {}

    public static Tensor normal(Rng rng, double std, int... shape) {
        return rng == null ? Tensor.zeros(shape) : rng.normal(0, std, shape);
    }

    public static Tensor uniform(Rng rng, double bound, int... shape) {
        return rng == null ? Tensor.zeros(shape) : rng.uniform(-bound, bound, shape);
    }

    /**
     * PyTorch's default for Linear and Conv2d weights and biases: kaiming_uniform with a = √5,
     * which works out to U(-1/√fanIn, 1/√fanIn).
     */
    public static Tensor defaultUniform(Rng rng, int fanIn, int... shape) {
        return uniform(rng, 1 / Math.sqrt(fanIn), shape);
    }

    /** Glorot/Xavier uniform: U(-a, a) with a = √(6 / (fanIn + fanOut)). */
    public static Tensor xavierUniform(Rng rng, int fanIn, int fanOut, int... shape) {
        return uniform(rng, Math.sqrt(6.0 / (fanIn + fanOut)), shape);
    }
}
