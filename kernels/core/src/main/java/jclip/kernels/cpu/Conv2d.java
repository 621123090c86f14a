package jclip.kernels.cpu;

/*
 * 2-D convolution, NCHW, groups = 1, no dilation.
 *
 *   x      [N, Cin, H, W]
 *   weight [Cout, Cin, kH, kW]
 *   bias   [Cout]                  (optional: null = none)
 *   y      [N, Cout, Hout, Wout]   Hout = (H + 2*pH - kH) / sH + 1, Wout likewise
 *
 *   forward:        y  = conv(x, weight) + bias
 *   backwardInput:  dx [N, Cin, H, W] is WRITTEN (=) from dy [N, Cout, Hout, Wout] and weight
 *   backwardWeight: dWeight [Cout, Cin, kH, kW] and dBias [Cout] are ACCUMULATED (+=) from x and dy
 *
 * Method: im2col + GEMM. For one image, col [K, P] with K = Cin*kH*kW and P = Hout*Wout holds
 *   col[(ci*kH + ki)*kW + kj][oh*Wout + ow] = x[ci][oh*sH - pH + ki][ow*sW - pW + kj]  (0 outside x),
 * so that, viewing weight as a [Cout, K] matrix and y_n, dy_n as [Cout, P] matrices,
 *   y_n   = weight * col
 *   dcol  = weight^T * dy_n,  then dx_n = col2im(dcol)  (scatter-add, the adjoint of im2col)
 *   dW   += dy_n * col^T
 * A 1x1 convolution with stride 1 and no padding has col == x_n, so it skips im2col/col2im.
 * Images are independent in forward and backwardInput, so those run in parallel over groups
 * of images (one column buffer per group); backwardWeight sums over images and runs them in
 * order, leaving the parallelism to the GEMM and to im2col (over channels).
 *
 * Conv2d.Reference holds naive direct loops (accumulating in double) with the same signatures,
 * used by the tests.
 */
public final class Conv2d {
    private Conv2d() {}

    /** Output length along one axis: (in + 2*pad - k) / stride + 1. */
    public static int outSize(int in, int k, int stride, int pad) {
        if (in <= 0 || k <= 0 || stride <= 0 || pad < 0) {
            throw new IllegalArgumentException("bad conv geometry: in=" + in + " k=" + k
                    + " stride=" + stride + " pad=" + pad);
        }
        int span = in + 2 * pad - k;
        if (span < 0) {
            throw new IllegalArgumentException("kernel " + k + " larger than padded input "
                    + (in + 2 * pad));
        }
        return span / stride + 1;
    }

    /** y = conv(x, weight) + bias; bias may be null. y must not overlap x. */
    public static void forward(float[] x, int xOff, int n, int cIn, int h, int w,
            float[] weight, int wOff, float[] bias, int bOff,
            int cOut, int kH, int kW, int sH, int sW, int pH, int pW,
            float[] y, int yOff) {
        Geometry g = new Geometry(n, cIn, h, w, cOut, kH, kW, sH, sW, pH, pW);
        checkRange(x, xOff, g.inSize * n, "x");
        checkRange(weight, wOff, (long) cOut * g.colRows, "weight");
        if (bias != null) checkRange(bias, bOff, cOut, "bias");
        checkRange(y, yOff, g.outSize * n, "y");
        if (n == 0) return;

        final int kk = g.colRows, p = g.colCols;
        long costPerImage = (long) cOut * kk * p + (long) kk * p;
        int groups = Math.min(n, Parallel.threads());
        Parallel.forRange(groups, costPerImage * n / groups, (gFrom, gTo) -> {
            float[] col = g.pointwise ? null : new float[kk * p];
            for (int i = (int) ((long) n * gFrom / groups); i < (int) ((long) n * gTo / groups); i++) {
                int xi = (int) (xOff + i * g.inSize);
                int yi = (int) (yOff + i * g.outSize);
                float[] src = x;
                int srcOff = xi;
                if (!g.pointwise) {
                    im2col(x, xi, g, col);
                    src = col;
                    srcOff = 0;
                }
                Gemm.sgemm(false, false, cOut, p, kk, 1f,
                        weight, wOff, kk, 0,
                        src, srcOff, p, 0,
                        0f, y, yi, p, 0, 1);
                if (bias != null) {
                    for (int co = 0; co < cOut; co++) {
                        float bv = bias[bOff + co];
                        int base = yi + co * p;
                        for (int q = 0; q < p; q++) y[base + q] += bv;
                    }
                }
            }
        });
    }

    /** dx = d(sum dy*y)/dx, written (not accumulated). dx must not overlap dy or weight. */
    public static void backwardInput(float[] dy, int dyOff, float[] weight, int wOff,
            int n, int cIn, int h, int w,
            int cOut, int kH, int kW, int sH, int sW, int pH, int pW,
            float[] dx, int dxOff) {
        Geometry g = new Geometry(n, cIn, h, w, cOut, kH, kW, sH, sW, pH, pW);
        checkRange(dy, dyOff, g.outSize * n, "dy");
        checkRange(weight, wOff, (long) cOut * g.colRows, "weight");
        checkRange(dx, dxOff, g.inSize * n, "dx");
        if (n == 0) return;

        final int kk = g.colRows, p = g.colCols;
        long costPerImage = (long) cOut * kk * p + (long) kk * p;
        int groups = Math.min(n, Parallel.threads());
        Parallel.forRange(groups, costPerImage * n / groups, (gFrom, gTo) -> {
            float[] dcol = g.pointwise ? null : new float[kk * p];
            for (int i = (int) ((long) n * gFrom / groups); i < (int) ((long) n * gTo / groups); i++) {
                int dyi = (int) (dyOff + i * g.outSize);
                int dxi = (int) (dxOff + i * g.inSize);
                // weight is stored [Cout, K], i.e. as the k x m matrix of op(A) = weight^T.
                if (g.pointwise) {
                    Gemm.sgemm(true, false, kk, p, cOut, 1f,
                            weight, wOff, kk, 0,
                            dy, dyi, p, 0,
                            0f, dx, dxi, p, 0, 1);
                } else {
                    Gemm.sgemm(true, false, kk, p, cOut, 1f,
                            weight, wOff, kk, 0,
                            dy, dyi, p, 0,
                            0f, dcol, 0, p, 0, 1);
                    col2im(dcol, g, dx, dxi);
                }
            }
        });
    }

    /**
     * dWeight += d(sum dy*y)/dweight and, if dBias is not null, dBias += sum of dy over N, Hout, Wout.
     */
    public static void backwardWeight(float[] x, int xOff, float[] dy, int dyOff,
            int n, int cIn, int h, int w,
            int cOut, int kH, int kW, int sH, int sW, int pH, int pW,
            float[] dWeight, int dwOff, float[] dBias, int dbOff) {
        Geometry g = new Geometry(n, cIn, h, w, cOut, kH, kW, sH, sW, pH, pW);
        checkRange(x, xOff, g.inSize * n, "x");
        checkRange(dy, dyOff, g.outSize * n, "dy");
        checkRange(dWeight, dwOff, (long) cOut * g.colRows, "dWeight");
        if (dBias != null) checkRange(dBias, dbOff, cOut, "dBias");
        if (n == 0) return;

        final int kk = g.colRows, p = g.colCols;
        float[] col = g.pointwise ? null : new float[kk * p];
        for (int i = 0; i < n; i++) {
            int xi = (int) (xOff + i * g.inSize);
            int dyi = (int) (dyOff + i * g.outSize);
            float[] src = x;
            int srcOff = xi;
            if (!g.pointwise) {
                im2col(x, xi, g, col);
                src = col;
                srcOff = 0;
            }
            // op(B) = col^T where col is stored [K, P] = n x k, hence transB with ldb = P.
            Gemm.sgemm(false, true, cOut, kk, p, 1f,
                    dy, dyi, p, 0,
                    src, srcOff, p, 0,
                    1f, dWeight, dwOff, kk, 0, 1);
        }
        if (dBias != null) {
            final long outSize = g.outSize;
            Parallel.forRange(cOut, (long) n * p, (from, to) -> {
                for (int co = from; co < to; co++) {
                    double s = 0;
                    for (int i = 0; i < n; i++) {
                        int base = (int) (dyOff + i * outSize + (long) co * p);
                        for (int q = 0; q < p; q++) s += dy[base + q];
                    }
                    dBias[dbOff + co] += (float) s;
                }
            });
        }
    }

    // ---------------------------------------------------------------------------------------
    // im2col / col2im for one image

    /** Shape bookkeeping shared by all entry points; validates the arguments. */
    static final class Geometry {
        final int cIn, h, w, cOut, kH, kW, sH, sW, pH, pW, hOut, wOut;
        final int colRows;   // K = Cin*kH*kW
        final int colCols;   // P = Hout*Wout
        final long inSize;   // Cin*H*W, elements of one input image
        final long outSize;  // Cout*Hout*Wout, elements of one output image
        final boolean pointwise;

        Geometry(int n, int cIn, int h, int w, int cOut, int kH, int kW, int sH, int sW, int pH, int pW) {
            if (n < 0 || cIn <= 0 || cOut <= 0) {
                throw new IllegalArgumentException("bad conv sizes: n=" + n + " cIn=" + cIn + " cOut=" + cOut);
            }
            this.cIn = cIn; this.h = h; this.w = w; this.cOut = cOut;
            this.kH = kH; this.kW = kW; this.sH = sH; this.sW = sW; this.pH = pH; this.pW = pW;
            this.hOut = outSize(h, kH, sH, pH);
            this.wOut = outSize(w, kW, sW, pW);
            this.colRows = Math.multiplyExact(Math.multiplyExact(cIn, kH), kW);
            this.colCols = Math.multiplyExact(hOut, wOut);
            Math.multiplyExact(colRows, colCols); // the column buffer must fit in one array
            this.inSize = (long) cIn * h * w;
            this.outSize = (long) cOut * colCols;
            if (inSize * n > Integer.MAX_VALUE || outSize * n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("tensor too large for one float[]");
            }
            this.pointwise = kH == 1 && kW == 1 && sH == 1 && sW == 1 && pH == 0 && pW == 0;
        }
    }

    /**
     * First output index o with o*stride - pad + k >= 0, i.e. whose input index is not in the
     * leading padding (clamped to [0, outLen]).
     */
    private static int firstValid(int k, int stride, int pad, int outLen) {
        int need = pad - k; // o*stride >= need
        return need <= 0 ? 0 : Math.min(outLen, (need + stride - 1) / stride);
    }

    /** One past the last output index o with o*stride - pad + k < in (clamped to [0, outLen]). */
    private static int endValid(int k, int stride, int pad, int in, int outLen) {
        int last = Math.floorDiv(in - 1 + pad - k, stride); // o*stride <= in - 1 + pad - k
        return Math.max(0, Math.min(outLen, last + 1));
    }

    /** Fills col [K, P] from the image at x[xOff], which is [Cin, H, W]. Parallel over channels. */
    static void im2col(float[] x, int xOff, Geometry g, float[] col) {
        final int kHW = g.kH * g.kW, p = g.colCols;
        Parallel.forRange(g.cIn, (long) kHW * p, (from, to) -> {
            for (int ci = from; ci < to; ci++) {
                int plane = xOff + ci * g.h * g.w;
                for (int ki = 0; ki < g.kH; ki++) {
                    int ohLo = firstValid(ki, g.sH, g.pH, g.hOut);
                    int ohHi = Math.max(ohLo, endValid(ki, g.sH, g.pH, g.h, g.hOut));
                    for (int kj = 0; kj < g.kW; kj++) {
                        int owLo = firstValid(kj, g.sW, g.pW, g.wOut);
                        int owHi = Math.max(owLo, endValid(kj, g.sW, g.pW, g.w, g.wOut));
                        int row = ((ci * g.kH + ki) * g.kW + kj) * p;
                        // rows of the output whose input row falls in the padding
                        java.util.Arrays.fill(col, row, row + ohLo * g.wOut, 0f);
                        java.util.Arrays.fill(col, row + ohHi * g.wOut, row + p, 0f);
                        for (int oh = ohLo; oh < ohHi; oh++) {
                            int ih = oh * g.sH - g.pH + ki;
                            int dst = row + oh * g.wOut;
                            int srcRow = plane + ih * g.w - g.pW + kj; // input index of ow = 0
                            for (int ow = 0; ow < owLo; ow++) col[dst + ow] = 0f;
                            if (g.sW == 1) {
                                System.arraycopy(x, srcRow + owLo, col, dst + owLo, owHi - owLo);
                            } else {
                                for (int ow = owLo; ow < owHi; ow++) col[dst + ow] = x[srcRow + ow * g.sW];
                            }
                            for (int ow = owHi; ow < g.wOut; ow++) col[dst + ow] = 0f;
                        }
                    }
                }
            }
        });
    }

    /** dx [Cin, H, W] at dx[dxOff] = col2im(dcol): zero, then scatter-add. Parallel over channels. */
    static void col2im(float[] dcol, Geometry g, float[] dx, int dxOff) {
        final int kHW = g.kH * g.kW, p = g.colCols;
        Parallel.forRange(g.cIn, (long) kHW * p, (from, to) -> {
            for (int ci = from; ci < to; ci++) {
                int plane = dxOff + ci * g.h * g.w;
                java.util.Arrays.fill(dx, plane, plane + g.h * g.w, 0f);
                for (int ki = 0; ki < g.kH; ki++) {
                    int ohLo = firstValid(ki, g.sH, g.pH, g.hOut);
                    int ohHi = endValid(ki, g.sH, g.pH, g.h, g.hOut);
                    for (int kj = 0; kj < g.kW; kj++) {
                        int owLo = firstValid(kj, g.sW, g.pW, g.wOut);
                        int owHi = endValid(kj, g.sW, g.pW, g.w, g.wOut);
                        int row = ((ci * g.kH + ki) * g.kW + kj) * p;
                        for (int oh = ohLo; oh < ohHi; oh++) {
                            int ih = oh * g.sH - g.pH + ki;
                            int src = row + oh * g.wOut;
                            int dstRow = plane + ih * g.w - g.pW + kj;
                            for (int ow = owLo; ow < owHi; ow++) dx[dstRow + ow * g.sW] += dcol[src + ow];
                        }
                    }
                }
            }
        });
    }

    private static void checkRange(float[] a, int off, long len, String name) {
        if (a == null) throw new NullPointerException(name);
        if (off < 0 || off + len > a.length) {
            throw new IndexOutOfBoundsException(name + ": offset " + off + " + length " + len
                    + " exceeds array length " + a.length);
        }
    }

    // ---------------------------------------------------------------------------------------

    /**
     * Naive direct-loop convolution with the same signatures and semantics as the enclosing
     * class, accumulating in double. Slow; for tests and as the readable definition.
     */
    public static final class Reference {
        private Reference() {}

        public static void forward(float[] x, int xOff, int n, int cIn, int h, int w,
                float[] weight, int wOff, float[] bias, int bOff,
                int cOut, int kH, int kW, int sH, int sW, int pH, int pW,
                float[] y, int yOff) {
            int hOut = outSize(h, kH, sH, pH), wOut = outSize(w, kW, sW, pW);
            for (int i = 0; i < n; i++) {
                for (int co = 0; co < cOut; co++) {
                    for (int oh = 0; oh < hOut; oh++) {
                        for (int ow = 0; ow < wOut; ow++) {
                            double s = bias == null ? 0 : bias[bOff + co];
                            for (int ci = 0; ci < cIn; ci++) {
                                for (int ki = 0; ki < kH; ki++) {
                                    int ih = oh * sH - pH + ki;
                                    if (ih < 0 || ih >= h) continue;
                                    for (int kj = 0; kj < kW; kj++) {
                                        int iw = ow * sW - pW + kj;
                                        if (iw < 0 || iw >= w) continue;
                                        s += (double) x[xOff + ((i * cIn + ci) * h + ih) * w + iw]
                                                * weight[wOff + ((co * cIn + ci) * kH + ki) * kW + kj];
                                    }
                                }
                            }
                            y[yOff + ((i * cOut + co) * hOut + oh) * wOut + ow] = (float) s;
                        }
                    }
                }
            }
        }

        public static void backwardInput(float[] dy, int dyOff, float[] weight, int wOff,
                int n, int cIn, int h, int w,
                int cOut, int kH, int kW, int sH, int sW, int pH, int pW,
                float[] dx, int dxOff) {
            int hOut = outSize(h, kH, sH, pH), wOut = outSize(w, kW, sW, pW);
            double[] acc = new double[cIn * h * w];
            for (int i = 0; i < n; i++) {
                java.util.Arrays.fill(acc, 0);
                for (int co = 0; co < cOut; co++) {
                    for (int oh = 0; oh < hOut; oh++) {
                        for (int ow = 0; ow < wOut; ow++) {
                            double g = dy[dyOff + ((i * cOut + co) * hOut + oh) * wOut + ow];
                            for (int ci = 0; ci < cIn; ci++) {
                                for (int ki = 0; ki < kH; ki++) {
                                    int ih = oh * sH - pH + ki;
                                    if (ih < 0 || ih >= h) continue;
                                    for (int kj = 0; kj < kW; kj++) {
                                        int iw = ow * sW - pW + kj;
                                        if (iw < 0 || iw >= w) continue;
                                        acc[(ci * h + ih) * w + iw] +=
                                                g * weight[wOff + ((co * cIn + ci) * kH + ki) * kW + kj];
                                    }
                                }
                            }
                        }
                    }
                }
                for (int e = 0; e < acc.length; e++) dx[dxOff + i * acc.length + e] = (float) acc[e];
            }
        }

        public static void backwardWeight(float[] x, int xOff, float[] dy, int dyOff,
                int n, int cIn, int h, int w,
                int cOut, int kH, int kW, int sH, int sW, int pH, int pW,
                float[] dWeight, int dwOff, float[] dBias, int dbOff) {
            int hOut = outSize(h, kH, sH, pH), wOut = outSize(w, kW, sW, pW);
            for (int co = 0; co < cOut; co++) {
                for (int ci = 0; ci < cIn; ci++) {
                    for (int ki = 0; ki < kH; ki++) {
                        for (int kj = 0; kj < kW; kj++) {
                            double s = 0;
                            for (int i = 0; i < n; i++) {
                                for (int oh = 0; oh < hOut; oh++) {
                                    int ih = oh * sH - pH + ki;
                                    if (ih < 0 || ih >= h) continue;
                                    for (int ow = 0; ow < wOut; ow++) {
                                        int iw = ow * sW - pW + kj;
                                        if (iw < 0 || iw >= w) continue;
                                        s += (double) x[xOff + ((i * cIn + ci) * h + ih) * w + iw]
                                                * dy[dyOff + ((i * cOut + co) * hOut + oh) * wOut + ow];
                                    }
                                }
                            }
                            dWeight[dwOff + ((co * cIn + ci) * kH + ki) * kW + kj] += (float) s;
                        }
                    }
                }
                if (dBias != null) {
                    double s = 0;
                    for (int i = 0; i < n; i++) {
                        for (int q = 0; q < hOut * wOut; q++) s += dy[dyOff + (i * cOut + co) * hOut * wOut + q];
                    }
                    dBias[dbOff + co] += (float) s;
                }
            }
        }
    }
}
