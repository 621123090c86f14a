package jclip.nn;

import jclip.tensor.Tensor;

/** A module with one input and one output, so that layers compose in a {@link Sequential}. */
public abstract class Layer extends Module {
    public abstract Tensor forward(Tensor x);
}
