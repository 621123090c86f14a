package jclip.nn;

import jclip.tensor.Tensor;

/** Layers applied in order, named "0", "1", ... unless given names (CLIP's downsample uses "-1", "0", "1"). */
public final class Sequential extends Layer {
    private final java.util.List<Layer> layers = new java.util.ArrayList<>();

    public Sequential(Layer... layers) {
        for (int i = 0; i < layers.length; i++) add(Integer.toString(i), layers[i]);
    }

    public Sequential add(String name, Layer layer) {
        layers.add(child(name, layer));
        return this;
    }

    @Override
    public Tensor forward(Tensor x) {
        for (Layer l : layers) x = l.forward(x);
        return x;
    }
}
