package jclip.kernels.cpu;

/*
 * 2-D average pooling, NCHW, with PyTorch's default nn.AvgPool2d semantics:
 * count_include_pad = true, ceil_mode = false.
 *
 *   x  [N, C, H, W]
 *   y  [N, C, Hout, Wout]   Hout = (H + 2*pH - kH) / sH + 1, Wout likewise
 *
 *   y[n,c,oh,ow] = (1 / (kH*kW)) * sum over ki < kH, kj < kW of x[n, c, oh*sH - pH + ki, ow*sW - pW + kj]
 *   (taps in the zero padding contribute 0 but still count in the divisor; with ceil_mode = false
 *   no window reaches past the padded input, so the divisor is always kH*kW)
 *
 *   backward: dx [N, C, H, W] is WRITTEN (=) from dy [N, C, Hout, Wout].
 *
 * As in PyTorch, the padding may be at most half the kernel (pH <= kH/2, pW <= kW/2).
 * nn.AvgPool2d(k) means kernel = stride = k, padding 0; AvgPool2d(1) is the identity.
 */
public final class AvgPool2d {
    private AvgPool2d() {}

    /** Output length along one axis: (in + 2*pad - k) / stride + 1 (ceil_mode = false). */
    public static int outSize(int in, int k, int stride, int pad) {
        if (in <= 0 || k <= 0 || stride <= 0 || pad < 0) {
            throw new IllegalArgumentException("bad pool geometry: in=" + in + " k=" + k
                    + " stride=" + stride + " pad=" + pad);
        }
        if (pad > k / 2) {
            throw new IllegalArgumentException("pad " + pad + " should be at most half of kernel " + k);
        }
        int span = in + 2 * pad - k;
        if (span < 0) {
            throw new IllegalArgumentException("kernel " + k + " larger than padded input " + (in + 2 * pad));
        }
        return span / stride + 1;
    }

    /** y = avgpool(x). y must not overlap x (except the identity case, where y may equal x). */
    public static void forward(float[] x, int xOff, int n, int c, int h, int w,
            int kH, int kW, int sH, int sW, int pH, int pW,
            float[] y, int yOff) {
        final int hOut = outSize(h, kH, sH, pH), wOut = outSize(w, kW, sW, pW);
        final int planes = checkSizes(n, c, h, w, hOut, wOut);
        final int inPlane = h * w, outPlane = hOut * wOut;
        checkRange(x, xOff, (long) planes * inPlane, "x");
        checkRange(y, yOff, (long) planes * outPlane, "y");
        if (isIdentity(kH, kW, sH, sW, pH, pW)) {
            if (x != y || xOff != yOff) System.arraycopy(x, xOff, y, yOff, planes * inPlane);
            return;
        }
        final float divisor = kH * kW;
        Parallel.forRange(planes, (long) outPlane * kH * kW, (from, to) -> {
            for (int pl = from; pl < to; pl++) {
                int xp = xOff + pl * inPlane;
                int yp = yOff + pl * outPlane;
                for (int oh = 0; oh < hOut; oh++) {
                    int ih0 = Math.max(0, oh * sH - pH);
                    int ih1 = Math.min(h, oh * sH - pH + kH);
                    for (int ow = 0; ow < wOut; ow++) {
                        int iw0 = Math.max(0, ow * sW - pW);
                        int iw1 = Math.min(w, ow * sW - pW + kW);
                        float s = 0f;
                        for (int ih = ih0; ih < ih1; ih++) {
                            int row = xp + ih * w;
                            for (int iw = iw0; iw < iw1; iw++) s += x[row + iw];
                        }
                        y[yp + oh * wOut + ow] = s / divisor;
                    }
                }
            }
        });
    }

    /** dx = d(sum dy*y)/dx, written (not accumulated). dx must not overlap dy (except the identity case). */
    public static void backward(float[] dy, int dyOff, int n, int c, int h, int w,
            int kH, int kW, int sH, int sW, int pH, int pW,
            float[] dx, int dxOff) {
        final int hOut = outSize(h, kH, sH, pH), wOut = outSize(w, kW, sW, pW);
        final int planes = checkSizes(n, c, h, w, hOut, wOut);
        final int inPlane = h * w, outPlane = hOut * wOut;
        checkRange(dy, dyOff, (long) planes * outPlane, "dy");
        checkRange(dx, dxOff, (long) planes * inPlane, "dx");
        if (isIdentity(kH, kW, sH, sW, pH, pW)) {
            if (dx != dy || dxOff != dyOff) System.arraycopy(dy, dyOff, dx, dxOff, planes * inPlane);
            return;
        }
        final float divisor = kH * kW;
        Parallel.forRange(planes, (long) outPlane * kH * kW, (from, to) -> {
            for (int pl = from; pl < to; pl++) {
                int dxp = dxOff + pl * inPlane;
                int dyp = dyOff + pl * outPlane;
                java.util.Arrays.fill(dx, dxp, dxp + inPlane, 0f);
                for (int oh = 0; oh < hOut; oh++) {
                    int ih0 = Math.max(0, oh * sH - pH);
                    int ih1 = Math.min(h, oh * sH - pH + kH);
                    for (int ow = 0; ow < wOut; ow++) {
                        int iw0 = Math.max(0, ow * sW - pW);
                        int iw1 = Math.min(w, ow * sW - pW + kW);
                        float g = dy[dyp + oh * wOut + ow] / divisor;
                        for (int ih = ih0; ih < ih1; ih++) {
                            int row = dxp + ih * w;
                            for (int iw = iw0; iw < iw1; iw++) dx[row + iw] += g;
                        }
                    }
                }
            }
        });
    }

    private static boolean isIdentity(int kH, int kW, int sH, int sW, int pH, int pW) {
        return kH == 1 && kW == 1 && sH == 1 && sW == 1 && pH == 0 && pW == 0;
    }

    /** Validates sizes and returns the number of planes N*C. */
    private static int checkSizes(int n, int c, int h, int w, int hOut, int wOut) {
        if (n < 0 || c <= 0) throw new IllegalArgumentException("bad pool sizes: n=" + n + " c=" + c);
        long planes = (long) n * c;
        if (planes * h * w > Integer.MAX_VALUE || planes * hOut * wOut > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor too large for one float[]");
        }
        return (int) planes;
    }

    private static void checkRange(float[] a, int off, long len, String name) {
        if (a == null) throw new NullPointerException(name);
        if (off < 0 || off + len > a.length) {
            throw new IndexOutOfBoundsException(name + ": offset " + off + " + length " + len
                    + " exceeds array length " + a.length);
        }
    }
}
