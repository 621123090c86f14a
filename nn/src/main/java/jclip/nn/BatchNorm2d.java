package jclip.nn;

import jclip.kernels.DType;
import jclip.tensor.Autograd;
import jclip.tensor.Tensor;

/**
 * Batch normalisation over N, H, W with PyTorch's defaults (momentum 0.1, eps 1e-5): batch
 * statistics in training (updating the running ones), running statistics in evaluation.
 */
public final class BatchNorm2d extends Layer {
    public final Tensor weight;
    public final Tensor bias;
    public final Tensor runningMean;
    public final Tensor runningVar;
    public final Tensor numBatchesTracked;
    private final float momentum = 0.1f;
    private final float eps = 1e-5f;

    public BatchNorm2d(int channels) {
        weight = parameter("weight", Tensor.ones(channels));
        bias = parameter("bias", Tensor.zeros(channels));
        runningMean = buffer("running_mean", Tensor.zeros(channels));
        runningVar = buffer("running_var", Tensor.ones(channels));
        numBatchesTracked = buffer("num_batches_tracked", Tensor.fromHost(new long[] {0}, DType.I64));
    }

    @Override
    public Tensor forward(Tensor x) {
        if (isTraining() && Autograd.isEnabled()) {
            try (Autograd.NoGrad g = Autograd.noGrad()) {
                numBatchesTracked.copyFrom(Tensor.fromHost(new long[] {numBatchesTracked.toLongArray()[0] + 1}, DType.I64));
            }
        }
        return x.batchNorm2d(weight, bias, runningMean, runningVar, isTraining(), momentum, eps);
    }
}
