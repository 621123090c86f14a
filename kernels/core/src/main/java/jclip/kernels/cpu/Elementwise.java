package jclip.kernels.cpu;

import jclip.kernels.BinaryOp;
import jclip.kernels.UnaryOp;

/**
 * Element-wise maps on float arrays: unary ops and their derivatives, and broadcasting binary ops
 * and selection over strided operands. The switch on the op sits outside each loop so that every
 * loop body is a single expression the JIT can vectorise.
 */
public final class Elementwise {
    private Elementwise() {}

    /** The Vector API QuickGELU, or null (module absent or -Djclip.vector=false): then the loops here. */
    static final ActivationKernel ACTIVATIONS =
            VectorKernels.enabled() ? VectorKernels.load(ActivationKernel.class, "ActivationVectorKernel") : null;

    private static final double SQRT1_2 = 1 / Math.sqrt(2);
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    // ---------------------------------------------------------------------------------------
    // unary

    /** y[i] = op(x[i]; p), i < n. */
    public static void unary(UnaryOp op, float p, float[] x, int xo, float[] y, int yo, int n) {
        Parallel.forRange(n, 8, (from, to) -> unaryRange(op, p, x, xo + from, y, yo + from, to - from));
    }

    private static void unaryRange(UnaryOp op, float p, float[] x, int xo, float[] y, int yo, int n) {
        switch (op) {
            case NEG -> { for (int i = 0; i < n; i++) y[yo + i] = -x[xo + i]; }
            case EXP -> { for (int i = 0; i < n; i++) y[yo + i] = (float) Math.exp(x[xo + i]); }
            case LOG -> { for (int i = 0; i < n; i++) y[yo + i] = (float) Math.log(x[xo + i]); }
            case SQRT -> { for (int i = 0; i < n; i++) y[yo + i] = (float) Math.sqrt(x[xo + i]); }
            case RSQRT -> { for (int i = 0; i < n; i++) y[yo + i] = (float) (1 / Math.sqrt(x[xo + i])); }
            case ABS -> { for (int i = 0; i < n; i++) y[yo + i] = Math.abs(x[xo + i]); }
            case TANH -> { for (int i = 0; i < n; i++) y[yo + i] = (float) Math.tanh(x[xo + i]); }
            case SIGMOID -> { for (int i = 0; i < n; i++) y[yo + i] = sigmoid(x[xo + i]); }
            case RELU -> { for (int i = 0; i < n; i++) y[yo + i] = Math.max(x[xo + i], 0f); }
            case GELU -> { for (int i = 0; i < n; i++) y[yo + i] = gelu(x[xo + i]); }
            case QUICK_GELU -> {
                if (ACTIVATIONS != null) ACTIVATIONS.quickGelu(x, xo, y, yo, n);
                else for (int i = 0; i < n; i++) { float v = x[xo + i]; y[yo + i] = v * sigmoid(1.702f * v); }
            }
            case ADD_SCALAR -> { for (int i = 0; i < n; i++) y[yo + i] = x[xo + i] + p; }
            case MUL_SCALAR -> { for (int i = 0; i < n; i++) y[yo + i] = x[xo + i] * p; }
            case DIV_SCALAR -> { for (int i = 0; i < n; i++) y[yo + i] = x[xo + i] / p; }
            case POW_SCALAR -> {
                if (p == 2f) for (int i = 0; i < n; i++) { float v = x[xo + i]; y[yo + i] = v * v; }
                else for (int i = 0; i < n; i++) y[yo + i] = (float) Math.pow(x[xo + i], p);
            }
            case RDIV_SCALAR -> { for (int i = 0; i < n; i++) y[yo + i] = p / x[xo + i]; }
            // NaN passes through a clamp, as in PyTorch.
            case CLAMP_MIN -> { for (int i = 0; i < n; i++) { float v = x[xo + i]; y[yo + i] = v < p ? p : v; } }
            case CLAMP_MAX -> { for (int i = 0; i < n; i++) { float v = x[xo + i]; y[yo + i] = v > p ? p : v; } }
        }
    }

    /** gx[i] = gy[i] · op'(x[i]); y = op(x) is given for the rules that are cheaper in terms of y. */
    public static void unaryBackward(UnaryOp op, float p, float[] x, float[] y, float[] gy, float[] gx, int n) {
        Parallel.forRange(n, 8, (from, to) -> unaryBackwardRange(op, p, x, y, gy, gx, from, to));
    }

    private static void unaryBackwardRange(UnaryOp op, float p, float[] x, float[] y, float[] gy, float[] gx, int from, int to) {
        switch (op) {
            case NEG -> { for (int i = from; i < to; i++) gx[i] = -gy[i]; }
            case EXP -> { for (int i = from; i < to; i++) gx[i] = gy[i] * y[i]; }
            case LOG -> { for (int i = from; i < to; i++) gx[i] = gy[i] / x[i]; }
            case SQRT -> { for (int i = from; i < to; i++) gx[i] = gy[i] * 0.5f / y[i]; }
            case RSQRT -> { for (int i = from; i < to; i++) { float r = y[i]; gx[i] = gy[i] * -0.5f * r * r * r; } }
            case ABS -> { for (int i = from; i < to; i++) gx[i] = gy[i] * Math.signum(x[i]); }
            case TANH -> { for (int i = from; i < to; i++) { float t = y[i]; gx[i] = gy[i] * (1 - t * t); } }
            case SIGMOID -> { for (int i = from; i < to; i++) { float s = y[i]; gx[i] = gy[i] * s * (1 - s); } }
            case RELU -> { for (int i = from; i < to; i++) gx[i] = x[i] > 0 ? gy[i] : 0f; }
            case GELU -> {
                for (int i = from; i < to; i++) {
                    double v = x[i];
                    double cdf = 0.5 * (1 + erf(v * SQRT1_2));
                    gx[i] = (float) (gy[i] * (cdf + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v)));
                }
            }
            case QUICK_GELU -> {
                if (ACTIVATIONS != null) {
                    ACTIVATIONS.quickGeluBackward(x, gy, gx, from, to);
                    return;
                }
                for (int i = from; i < to; i++) {
                    float v = x[i];
                    float s = sigmoid(1.702f * v);
                    gx[i] = gy[i] * (s + 1.702f * v * s * (1 - s));
                }
            }
            case ADD_SCALAR -> System.arraycopy(gy, from, gx, from, to - from);
            case MUL_SCALAR -> { for (int i = from; i < to; i++) gx[i] = gy[i] * p; }
            case DIV_SCALAR -> { for (int i = from; i < to; i++) gx[i] = gy[i] / p; }
            case POW_SCALAR -> { for (int i = from; i < to; i++) gx[i] = (float) (gy[i] * p * Math.pow(x[i], p - 1)); }
            case RDIV_SCALAR -> { for (int i = from; i < to; i++) { float v = x[i]; gx[i] = -gy[i] * p / (v * v); } }
            case CLAMP_MIN -> { for (int i = from; i < to; i++) gx[i] = x[i] >= p ? gy[i] : 0f; }
            case CLAMP_MAX -> { for (int i = from; i < to; i++) gx[i] = x[i] <= p ? gy[i] : 0f; }
        }
    }

    public static float sigmoid(float x) {
        // Branch-free so the loops around it stay simple; exp(-x) overflowing to infinity for very
        // negative x gives 1/(1+inf) = 0, the right limit, and never NaN.
        return (float) (1 / (1 + Math.exp(-x)));
    }

    public static float gelu(float x) {
        return (float) (0.5 * x * (1 + erf(x * SQRT1_2)));
    }

    /**
     * The error function to about 1e-15 relative error (6e-16 measured): Taylor series near zero, Lentz's continued
     * fraction for erfc further out. Java has no Math.erf.
     */
    public static double erf(double x) {
        double a = Math.abs(x);
        double r;
        // Not beyond 1.5: the alternating series cancels terms up to ~e^(a²), losing ~50 ulps by 2.5.
        if (a < 1.5) {
            // erf(x) = 2/sqrt(pi) · Σ (-1)^k x^(2k+1) / (k! (2k+1))
            double term = a, sum = a, x2 = a * a;
            for (int k = 1; k < 60; k++) {
                term *= -x2 / k;
                double t = term / (2 * k + 1);
                sum += t;
                if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else if (a > 6) {
            r = 1;
        } else {
            r = 1 - erfcContinuedFraction(a);
        }
        return x < 0 ? -r : r;
    }

    /** erfc(a) for a >= 1.5 by the continued fraction a/(a²+ 1/2/(1+ 1/(a²+ 3/2/(1+ ...)))). */
    private static double erfcContinuedFraction(double a) {
        // erfc(a) = exp(-a²)/sqrt(pi) · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...)))))
        double tiny = 1e-300;
        double f = a, c = a, d = 0;
        for (int k = 1; k < 200; k++) {
            double ak = k * 0.5;
            d = a + ak * d;
            d = d == 0 ? tiny : d;
            c = a + ak / c;
            c = c == 0 ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) break;
        }
        return Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
    }

    // ---------------------------------------------------------------------------------------
    // binary with broadcasting

    /** out (contiguous, shape) = op(a, b) where a and b are read through strides (0 broadcasts). */
    public static void binary(BinaryOp op, int[] shape, float[] a, int ao, int[] as, float[] b, int bo, int[] bs,
            float[] out, int oo) {
        int nd = shape.length;
        if (nd == 0) {
            binaryRow(op, 1, a, ao, 0, b, bo, 0, out, oo);
            return;
        }
        int inner = shape[nd - 1];
        int rows = Shapes.numel(shape) / Math.max(inner, 1);
        if (inner == 0 || rows == 0) return;
        int aIn = as[nd - 1], bIn = bs[nd - 1];
        Parallel.forRange(rows, inner, (from, to) -> {
            for (int r = from; r < to; r++) {
                int aOff = ao + Shapes.rowOffset(r, shape, as), bOff = bo + Shapes.rowOffset(r, shape, bs);
                binaryRow(op, inner, a, aOff, aIn, b, bOff, bIn, out, oo + r * inner);
            }
        });
    }

    private static void binaryRow(BinaryOp op, int n, float[] a, int ai, int as, float[] b, int bi, int bs, float[] o, int oi) {
        if (as == 1 && bs == 1) {
            switch (op) {
                case ADD -> { for (int i = 0; i < n; i++) o[oi + i] = a[ai + i] + b[bi + i]; return; }
                case SUB -> { for (int i = 0; i < n; i++) o[oi + i] = a[ai + i] - b[bi + i]; return; }
                case MUL -> { for (int i = 0; i < n; i++) o[oi + i] = a[ai + i] * b[bi + i]; return; }
                case DIV -> { for (int i = 0; i < n; i++) o[oi + i] = a[ai + i] / b[bi + i]; return; }
                default -> { }
            }
        }
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) o[oi + i] = a[ai + i * as] + b[bi + i * bs]; }
            case SUB -> { for (int i = 0; i < n; i++) o[oi + i] = a[ai + i * as] - b[bi + i * bs]; }
            case MUL -> { for (int i = 0; i < n; i++) o[oi + i] = a[ai + i * as] * b[bi + i * bs]; }
            case DIV -> { for (int i = 0; i < n; i++) o[oi + i] = a[ai + i * as] / b[bi + i * bs]; }
            case POW -> { for (int i = 0; i < n; i++) o[oi + i] = (float) Math.pow(a[ai + i * as], b[bi + i * bs]); }
            case MAXIMUM -> { for (int i = 0; i < n; i++) o[oi + i] = maximum(a[ai + i * as], b[bi + i * bs]); }
            case MINIMUM -> { for (int i = 0; i < n; i++) o[oi + i] = minimum(a[ai + i * as], b[bi + i * bs]); }
            case GREATER -> { for (int i = 0; i < n; i++) o[oi + i] = a[ai + i * as] > b[bi + i * bs] ? 1f : 0f; }
            case LESS -> { for (int i = 0; i < n; i++) o[oi + i] = a[ai + i * as] < b[bi + i * bs] ? 1f : 0f; }
            case EQUAL -> { for (int i = 0; i < n; i++) o[oi + i] = a[ai + i * as] == b[bi + i * bs] ? 1f : 0f; }
        }
    }

    // NaN propagates through maximum/minimum, as in torch.maximum.
    private static float maximum(float x, float y) {
        return x != x || y != y ? Float.NaN : Math.max(x, y);
    }

    private static float minimum(float x, float y) {
        return x != x || y != y ? Float.NaN : Math.min(x, y);
    }

    /** out = cond != 0 ? a : b with strided (broadcast) operands and contiguous out. */
    public static void where(int[] shape, float[] c, int co, int[] cs, float[] a, int ao, int[] as,
            float[] b, int bo, int[] bs, float[] out, int oo) {
        int nd = shape.length;
        if (nd == 0) {
            out[oo] = c[co] != 0 ? a[ao] : b[bo];
            return;
        }
        int inner = shape[nd - 1];
        int rows = Shapes.numel(shape) / Math.max(inner, 1);
        if (inner == 0 || rows == 0) return;
        int cIn = cs[nd - 1], aIn = as[nd - 1], bIn = bs[nd - 1];
        Parallel.forRange(rows, inner, (from, to) -> {
            for (int r = from; r < to; r++) {
                int cOff = co + Shapes.rowOffset(r, shape, cs);
                int aOff = ao + Shapes.rowOffset(r, shape, as);
                int bOff = bo + Shapes.rowOffset(r, shape, bs);
                int o = oo + r * inner;
                for (int i = 0; i < inner; i++)
                    out[o + i] = c[cOff + i * cIn] != 0 ? a[aOff + i * aIn] : b[bOff + i * bIn];
            }
        });
    }
}
