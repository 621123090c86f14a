package jclip.tensor;

import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import jclip.tensor.OpCheck.D;

/**
 * Plain double-precision definitions of the ops, written for clarity and independently of the
 * kernels: the references of OpCheck.
 */
final class Ref {
    private Ref() {}

    static int numel(int[] s) {
        int n = 1;
        for (int d : s) n *= d;
        return n;
    }

    static int[] strides(int[] s) {
        int[] st = new int[s.length];
        int acc = 1;
        for (int d = s.length - 1; d >= 0; d--) {
            st[d] = acc;
            acc *= s[d];
        }
        return st;
    }

    /** The multi-index of linear position i in shape s. */
    static int[] index(int i, int[] s) {
        int[] idx = new int[s.length];
        for (int d = s.length - 1; d >= 0; d--) {
            idx[d] = i % s[d];
            i /= s[d];
        }
        return idx;
    }

    static D map(D x, DoubleUnaryOperator f) {
        double[] out = new double[x.numel()];
        for (int i = 0; i < out.length; i++) out[i] = f.applyAsDouble(x.v()[i]);
        return new D(out, x.shape());
    }

    static D zip(D a, D b, DoubleBinaryOperator f) {
        int[] shape = Shape.broadcast(a.shape(), b.shape());
        double[] out = new double[numel(shape)];
        for (int i = 0; i < out.length; i++) {
            int[] idx = index(i, shape);
            out[i] = f.applyAsDouble(at(a, idx), at(b, idx));
        }
        return new D(out, shape);
    }

    /** Element of x at a (right-aligned, broadcast) index of a larger shape. */
    static double at(D x, int[] idx) {
        int[] s = x.shape();
        int shift = idx.length - s.length, off = 0;
        int[] st = strides(s);
        for (int d = 0; d < s.length; d++) off += (s[d] == 1 ? 0 : idx[d + shift]) * st[d];
        return x.v()[off];
    }

    static D reduce(D x, int dim, boolean keep, java.util.function.Function<double[], Double> f) {
        int[] s = x.shape();
        int d = dim < 0 ? dim + s.length : dim;
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= s[i];
        for (int i = d + 1; i < s.length; i++) inner *= s[i];
        double[] out = new double[outer * inner];
        double[] row = new double[s[d]];
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < inner; j++) {
                for (int k = 0; k < s[d]; k++) row[k] = x.v()[(o * s[d] + k) * inner + j];
                out[o * inner + j] = f.apply(row);
            }
        int[] os;
        if (keep) {
            os = s.clone();
            os[d] = 1;
        } else {
            os = new int[s.length - 1];
            for (int i = 0, k = 0; i < s.length; i++) if (i != d) os[k++] = s[i];
        }
        return new D(out, os);
    }

    static double sum(double[] r) {
        double s = 0;
        for (double v : r) s += v;
        return s;
    }

    static double max(double[] r) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : r) m = Math.max(m, v);
        return m;
    }

    static double argmax(double[] r) {
        int best = 0;
        for (int i = 1; i < r.length; i++) if (r[i] > r[best]) best = i;
        return best;
    }

    static double logsumexp(double[] r) {
        double m = max(r), s = 0;
        for (double v : r) s += Math.exp(v - m);
        return m + Math.log(s);
    }

    /** Softmax over the last dimension. */
    static D softmax(D x, boolean log) {
        int[] s = x.shape();
        int cols = s[s.length - 1], rows = x.numel() / cols;
        double[] out = new double[x.numel()];
        for (int r = 0; r < rows; r++) {
            double[] row = java.util.Arrays.copyOfRange(x.v(), r * cols, (r + 1) * cols);
            double lse = logsumexp(row);
            for (int c = 0; c < cols; c++) out[r * cols + c] = log ? row[c] - lse : Math.exp(row[c] - lse);
        }
        return new D(out, s);
    }

    /** Batched matmul with broadcast batch dims. */
    static D matmul(D a, D b) {
        int[] as = a.shape(), bs = b.shape();
        int m = as[as.length - 2], k = as[as.length - 1], n = bs[bs.length - 1];
        int[] ab = java.util.Arrays.copyOf(as, as.length - 2), bb = java.util.Arrays.copyOf(bs, bs.length - 2);
        int[] batch = Shape.broadcast(ab, bb);
        int nb = numel(batch);
        int[] os = java.util.Arrays.copyOf(batch, batch.length + 2);
        os[batch.length] = m;
        os[batch.length + 1] = n;
        double[] out = new double[nb * m * n];
        for (int q = 0; q < nb; q++) {
            int[] bi = index(q, batch);
            int ao = batchOffset(ab, bi) * m * k, bo = batchOffset(bb, bi) * k * n;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += a.v()[ao + i * k + p] * b.v()[bo + p * n + j];
                    out[(q * m + i) * n + j] = s;
                }
        }
        return new D(out, os);
    }

    private static int batchOffset(int[] s, int[] idx) {
        int shift = idx.length - s.length, off = 0;
        int[] st = strides(s);
        for (int d = 0; d < s.length; d++) off += (s[d] == 1 ? 0 : idx[d + shift]) * st[d];
        return off;
    }

    static D transpose2(D x) {
        return permute(x, swapLast(x.shape().length));
    }

    private static int[] swapLast(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        p[n - 1] = n - 2;
        p[n - 2] = n - 1;
        return p;
    }

    static D permute(D x, int... dims) {
        int[] s = x.shape();
        int[] os = new int[s.length];
        for (int i = 0; i < s.length; i++) os[i] = s[dims[i]];
        int[] st = strides(s);
        double[] out = new double[x.numel()];
        for (int i = 0; i < out.length; i++) {
            int[] idx = index(i, os);
            int off = 0;
            for (int d = 0; d < s.length; d++) off += idx[d] * st[dims[d]];
            out[i] = x.v()[off];
        }
        return new D(out, os);
    }

    static D reshape(D x, int... shape) {
        return new D(x.v().clone(), shape);
    }

    static D narrow(D x, int dim, int start, int len) {
        int[] s = x.shape(), os = s.clone();
        os[dim] = len;
        double[] out = new double[numel(os)];
        int[] st = strides(s);
        for (int i = 0; i < out.length; i++) {
            int[] idx = index(i, os);
            idx[dim] += start;
            int off = 0;
            for (int d = 0; d < s.length; d++) off += idx[d] * st[d];
            out[i] = x.v()[off];
        }
        return new D(out, os);
    }

    static D cat(int dim, D... xs) {
        int[] os = xs[0].shape().clone();
        os[dim] = 0;
        for (D x : xs) os[dim] += x.shape()[dim];
        double[] out = new double[numel(os)];
        int[] ost = strides(os);
        int at = 0;
        for (D x : xs) {
            for (int i = 0; i < x.numel(); i++) {
                int[] idx = index(i, x.shape());
                idx[dim] += at;
                int off = 0;
                for (int d = 0; d < os.length; d++) off += idx[d] * ost[d];
                out[off] = x.v()[i];
            }
            at += x.shape()[dim];
        }
        return new D(out, os);
    }

    static D layerNorm(D x, D gamma, D beta, double eps) {
        int[] s = x.shape();
        int cols = s[s.length - 1], rows = x.numel() / cols;
        double[] out = new double[x.numel()];
        for (int r = 0; r < rows; r++) {
            double mean = 0, var = 0;
            for (int c = 0; c < cols; c++) mean += x.v()[r * cols + c];
            mean /= cols;
            for (int c = 0; c < cols; c++) var += Math.pow(x.v()[r * cols + c] - mean, 2);
            var /= cols;
            for (int c = 0; c < cols; c++)
                out[r * cols + c] = (x.v()[r * cols + c] - mean) / Math.sqrt(var + eps) * gamma.v()[c] + beta.v()[c];
        }
        return new D(out, s);
    }

    /** Direct-loop NCHW convolution. */
    static D conv2d(D x, D w, D b, int stride, int pad) {
        int n = x.shape()[0], ci = x.shape()[1], h = x.shape()[2], wd = x.shape()[3];
        int co = w.shape()[0], kh = w.shape()[2], kw = w.shape()[3];
        int ho = (h + 2 * pad - kh) / stride + 1, wo = (wd + 2 * pad - kw) / stride + 1;
        double[] out = new double[n * co * ho * wo];
        for (int q = 0; q < n; q++)
            for (int o = 0; o < co; o++)
                for (int y = 0; y < ho; y++)
                    for (int z = 0; z < wo; z++) {
                        double s = b == null ? 0 : b.v()[o];
                        for (int c = 0; c < ci; c++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++) {
                                    int yy = y * stride - pad + i, zz = z * stride - pad + j;
                                    if (yy < 0 || yy >= h || zz < 0 || zz >= wd) continue;
                                    s += x.v()[((q * ci + c) * h + yy) * wd + zz] * w.v()[((o * ci + c) * kh + i) * kw + j];
                                }
                        out[((q * co + o) * ho + y) * wo + z] = s;
                    }
        return new D(out, new int[] {n, co, ho, wo});
    }

    /** Average pooling, padding counted as zeros in the divisor (PyTorch's default). */
    static D avgPool2d(D x, int k, int stride, int pad) {
        int n = x.shape()[0], c = x.shape()[1], h = x.shape()[2], w = x.shape()[3];
        int ho = (h + 2 * pad - k) / stride + 1, wo = (w + 2 * pad - k) / stride + 1;
        double[] out = new double[n * c * ho * wo];
        for (int q = 0; q < n * c; q++)
            for (int y = 0; y < ho; y++)
                for (int z = 0; z < wo; z++) {
                    double s = 0;
                    for (int i = 0; i < k; i++)
                        for (int j = 0; j < k; j++) {
                            int yy = y * stride - pad + i, zz = z * stride - pad + j;
                            if (yy >= 0 && yy < h && zz >= 0 && zz < w) s += x.v()[(q * h + yy) * w + zz];
                        }
                    out[(q * ho + y) * wo + z] = s / (k * k);
                }
        return new D(out, new int[] {n, c, ho, wo});
    }

    /** Batch norm with batch statistics (biased variance) over N, H, W. */
    static D batchNormTraining(D x, D gamma, D beta, double eps) {
        int n = x.shape()[0], c = x.shape()[1], hw = x.shape()[2] * x.shape()[3];
        double[] out = new double[x.numel()];
        for (int ch = 0; ch < c; ch++) {
            double mean = 0, var = 0;
            for (int q = 0; q < n; q++) for (int i = 0; i < hw; i++) mean += x.v()[(q * c + ch) * hw + i];
            mean /= n * hw;
            for (int q = 0; q < n; q++) for (int i = 0; i < hw; i++) var += Math.pow(x.v()[(q * c + ch) * hw + i] - mean, 2);
            var /= n * hw;
            for (int q = 0; q < n; q++)
                for (int i = 0; i < hw; i++) {
                    int p = (q * c + ch) * hw + i;
                    out[p] = (x.v()[p] - mean) / Math.sqrt(var + eps) * gamma.v()[ch] + beta.v()[ch];
                }
        }
        return new D(out, x.shape());
    }

    static double erf(double x) {
        // Independent of the kernel's series: Simpson integration of 2/sqrt(pi) e^{-t^2} on [0, x].
        int steps = 2000;
        double h = x / steps, s = 0;
        for (int i = 0; i <= steps; i++) {
            double t = i * h, f = Math.exp(-t * t);
            s += (i == 0 || i == steps) ? f : (i % 2 == 1 ? 4 * f : 2 * f);
        }
        return 2 / Math.sqrt(Math.PI) * s * h / 3;
    }
}
