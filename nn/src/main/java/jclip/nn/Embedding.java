package jclip.nn;

import jclip.tensor.Rng;
import jclip.tensor.Tensor;

/** A table of vectors looked up by integer ids: weight [count, dim]. */
public final class Embedding extends Layer {
    public final Tensor weight;

    public Embedding(int count, int dim, double std, Rng rng) {
        this.weight = parameter("weight", Init.normal(rng, std, count, dim));
    }

    /** ids [...] (I32 or I64) to [..., dim]. */
    @Override
    public Tensor forward(Tensor ids) {
        return Tensor.embedding(weight, ids);
    }
}
