package jclip.kernels;

/** Sizes of one NCHW convolution: x [n, cIn, h, w], weight [cOut, cIn, kH, kW], y [n, cOut, hOut, wOut]. */
public record Conv2dShape(int n, int cIn, int h, int w, int cOut, int kH, int kW,
        int strideH, int strideW, int padH, int padW) {
    public Conv2dShape {
        if (n < 0 || cIn <= 0 || h <= 0 || w <= 0 || cOut <= 0 || kH <= 0 || kW <= 0
                || strideH <= 0 || strideW <= 0 || padH < 0 || padW < 0)
            throw new IllegalArgumentException("invalid convolution sizes " + this);
        if (h + 2 * padH < kH || w + 2 * padW < kW)
            throw new IllegalArgumentException("kernel " + kH + "x" + kW + " larger than padded input "
                    + (h + 2 * padH) + "x" + (w + 2 * padW));
    }

    public int hOut() {
        return (h + 2 * padH - kH) / strideH + 1;
    }

    public int wOut() {
        return (w + 2 * padW - kW) / strideW + 1;
    }
}
