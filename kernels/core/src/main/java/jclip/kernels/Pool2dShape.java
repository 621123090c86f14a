package jclip.kernels;

/** Sizes of one NCHW pooling: x [n, c, h, w] to y [n, c, hOut, wOut]; padding counts as zeros. */
public record Pool2dShape(int n, int c, int h, int w, int kH, int kW, int strideH, int strideW, int padH, int padW) {
    public Pool2dShape {
        if (n < 0 || c <= 0 || h <= 0 || w <= 0 || kH <= 0 || kW <= 0 || strideH <= 0 || strideW <= 0
                || padH < 0 || padW < 0 || 2 * padH > kH || 2 * padW > kW)
            throw new IllegalArgumentException("invalid pooling sizes " + this);
        if (h + 2 * padH < kH || w + 2 * padW < kW)
            throw new IllegalArgumentException("pooling window " + kH + "x" + kW + " larger than input " + h + "x" + w);
    }

    public int hOut() {
        return (h + 2 * padH - kH) / strideH + 1;
    }

    public int wOut() {
        return (w + 2 * padW - kW) / strideW + 1;
    }
}
