package jclip.nn;

import jclip.tensor.Tensor;

/** Average pooling with a square window and stride equal to it (PyTorch's AvgPool2d(k)). */
public final class AvgPool2d extends Layer {
    private final int kernel;

    public AvgPool2d(int kernel) {
        this.kernel = kernel;
    }

    @Override
    public Tensor forward(Tensor x) {
        return kernel == 1 ? x : x.avgPool2d(kernel, kernel, 0);
    }
}
