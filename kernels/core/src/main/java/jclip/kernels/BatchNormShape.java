package jclip.kernels;

/**
 * Sizes and settings of one batch norm over (N, H, W) of x [n, c, hw] (hw = H·W), with per-channel
 * parameters and statistics [c]. eps and momentum are the layer's, as nn.BatchNorm2d holds them, so
 * that the forward and the backward of one call take the same record: each operation reads those
 * it needs (the training backward uses the saved statistics and neither).
 */
public record BatchNormShape(int n, int c, int hw, float eps, float momentum) {
    public BatchNormShape {
        if (n < 0 || c <= 0 || hw <= 0) throw new IllegalArgumentException("invalid batch norm sizes " + this);
        if ((long) n * c * hw > Integer.MAX_VALUE)
            throw new IllegalArgumentException("batch norm of " + n + "x" + c + "x" + hw + " elements does not fit one buffer");
        if (!(eps >= 0) || Float.isInfinite(eps)) throw new IllegalArgumentException("batch norm eps " + eps + " is not a finite value >= 0");
        if (!Float.isFinite(momentum)) throw new IllegalArgumentException("batch norm momentum " + momentum + " is not finite");
    }

    /** Elements of x, y and their gradients. */
    public int elements() {
        return n * c * hw;
    }

    /** The values each channel's statistics are taken over. */
    public long valuesPerChannel() {
        return (long) n * hw;
    }
}
