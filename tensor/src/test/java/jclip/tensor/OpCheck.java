package jclip.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.function.Function;
import jclip.kernels.DType;

/**
 * The one helper every op test goes through (tinygrad's helper_test_op): an op on tensors, an
 * independent reference of the same function on doubles, and input shapes. It checks
 * <ol>
 *   <li>the forward against the reference,</li>
 *   <li>the gradient of every input, from backward() with a random upstream gradient w, against
 *       central finite differences of Σ w·reference(x) computed in double precision.</li>
 * </ol>
 */
final class OpCheck {
    /** A double-precision array with its shape: the reference's inputs and output. */
    record D(double[] v, int[] shape) {
        int numel() {
            return v.length;
        }

        static D of(Tensor t) {
            float[] f = t.toFloatArray();
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            return new D(d, t.shape());
        }
    }

    interface Reference {
        D apply(D[] inputs);
    }

    /** How the inputs are drawn. */
    enum Inputs { NORMAL, POSITIVE, AWAY_FROM_ZERO }

    private final String name;
    private final Function<Tensor[], Tensor> op;
    private final Reference reference;
    private final int[][] shapes;
    private Inputs inputs = Inputs.NORMAL;
    private double forwardTolerance = 1e-5;
    private double gradTolerance = 1e-4;
    private boolean gradients = true;
    private long seed = 1234;

    private OpCheck(String name, Function<Tensor[], Tensor> op, Reference reference, int[][] shapes) {
        this.name = name;
        this.op = op;
        this.reference = reference;
        this.shapes = shapes;
    }

    static OpCheck op(String name, Function<Tensor[], Tensor> op, Reference reference, int[]... shapes) {
        return new OpCheck(name, op, reference, shapes);
    }

    OpCheck inputs(Inputs kind) {
        inputs = kind;
        return this;
    }

    OpCheck tolerances(double forward, double grad) {
        forwardTolerance = forward;
        gradTolerance = grad;
        return this;
    }

    OpCheck forwardOnly() {
        gradients = false;
        return this;
    }

    OpCheck seed(long s) {
        seed = s;
        return this;
    }

    void check() {
        try (MemoryScope scope = MemoryScope.open()) {
            Rng rng = new Rng(seed);
            Tensor[] xs = new Tensor[shapes.length];
            D[] ds = new D[shapes.length];
            for (int i = 0; i < shapes.length; i++) {
                xs[i] = draw(rng, shapes[i]).requiresGrad(gradients);
                ds[i] = D.of(xs[i]);
            }
            Tensor out = op.apply(xs);
            D expected = reference.apply(ds);
            assertArrayEquals(expected.shape(), out.shape(), name + ": output shape");
            assertClose(name + " forward", expected.v(), out.toFloatArray(), forwardTolerance);
            if (!gradients) return;

            Tensor w = rng.randn(out.shape());
            out.backward(w);
            double[] wd = D.of(w).v();
            for (int i = 0; i < xs.length; i++) {
                double[] numeric = finiteDifference(ds, i, wd);
                Tensor g = xs[i].grad();
                assertTrue(g != null, name + ": input " + i + " got no gradient");
                assertArrayEquals(xs[i].shape(), g.shape(), name + ": gradient shape of input " + i);
                assertClose(name + " gradient of input " + i, numeric, g.toFloatArray(), gradTolerance);
            }
        }
    }

    private Tensor draw(Rng rng, int[] shape) {
        Tensor t = rng.randn(shape);
        if (inputs == Inputs.NORMAL) return t;
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            if (inputs == Inputs.POSITIVE) v[i] = 0.5f + Math.abs(v[i]);
            else v[i] = Math.copySign(0.2f + Math.abs(v[i]), v[i]);
        }
        return Tensor.fromHost(v, DType.F32, shape);
    }

    /** d/dx_i of Σ w·reference(x), by central differences in double. */
    private double[] finiteDifference(D[] ds, int which, double[] w) {
        double[] x = ds[which].v();
        double[] grad = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            double saved = x[j];
            double h = 1e-6 * Math.max(1, Math.abs(saved));
            x[j] = saved + h;
            double plus = dot(w, reference.apply(ds).v());
            x[j] = saved - h;
            double minus = dot(w, reference.apply(ds).v());
            x[j] = saved;
            grad[j] = (plus - minus) / (2 * h);
        }
        return grad;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** ‖actual − expected‖ ≤ tol · max(‖expected‖, 1e-3·sqrt(n)), and no NaN where none is expected. */
    static void assertClose(String what, double[] expected, float[] actual, double tol) {
        if (expected.length != actual.length)
            throw new AssertionError(what + ": " + actual.length + " values, expected " + expected.length);
        double diff = 0, norm = 0;
        int worst = -1;
        double worstErr = -1;
        for (int i = 0; i < expected.length; i++) {
            if (Double.isNaN(expected[i]) != Float.isNaN(actual[i]))
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            if (Double.isNaN(expected[i]) || Double.isInfinite(expected[i]) && expected[i] == actual[i]) continue;
            double d = actual[i] - expected[i];
            diff += d * d;
            norm += expected[i] * expected[i];
            if (Math.abs(d) > worstErr) {
                worstErr = Math.abs(d);
                worst = i;
            }
        }
        double scale = Math.max(Math.sqrt(norm), 1e-3 * Math.sqrt(expected.length));
        double rel = Math.sqrt(diff) / scale;
        if (!(rel <= tol))
            throw new AssertionError(String.format("%s: relative error %.3g > %.3g (worst element %d: %s vs expected %s)",
                    what, rel, tol, worst, worst < 0 ? "" : actual[worst], worst < 0 ? "" : expected[worst]));
    }

    static String str(int[] s) {
        return Arrays.toString(s);
    }
}
