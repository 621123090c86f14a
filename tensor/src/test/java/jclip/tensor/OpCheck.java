package jclip.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import jclip.kernels.DType;
import org.junit.jupiter.api.DynamicContainer;

/**
 * The one helper every op test goes through (tinygrad's helper_test_op): an op on tensors, an
 * independent reference of the same function on doubles, and input shapes. On a given device it
 * checks
 * <ol>
 *   <li>the forward against the reference,</li>
 *   <li>the gradient of every input, from backward() with a random upstream gradient w, against
 *       central finite differences of Σ w·reference(x) computed in double precision.</li>
 * </ol>
 * The inputs and w are drawn on the CPU from one seed and moved to the device, so every device
 * sees the same float values and the reference sees them exactly; the CPU's double-precision
 * reference is the truth for every device.
 *
 * <p>Gradients are compared to the finite differences, not to the CPU's gradient: the differences
 * are taken in double (step 1e-6, so truncation ~1e-12 and rounding ~1e-10, far below float32's
 * 6e-8 per operation) and so are an independent truth, while the CPU gradient is itself a float32
 * result that shares the backward rules (Autograd's table) with every device: comparing against it
 * would pass a wrong rule on both and charge the device the CPU's own rounding as well.
 *
 * <p>Tolerances: all cases are F32 on F32 inputs. The defaults below hold on every device (the
 * CPU kernels and the CUDA kernels, simulated or real, both compute in float32 and accumulate in
 * float or better; cuBLAS runs with CUBLAS_COMPUTE_32F, no TF32), so a case states one tolerance
 * for all devices; none is widened per device. BF16 is checked separately (AutocastTest).
 */
final class OpCheck {
    /** Relative error (see {@link #assertClose}) a float32 forward must meet: a few ulps of accumulated rounding. */
    static final double F32_FORWARD = 1e-5;
    /** The same for a float32 gradient, which goes through one more chain of products and sums. */
    static final double F32_GRAD = 1e-4;

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
    private double forwardTolerance = F32_FORWARD;
    private double gradTolerance = F32_GRAD;
    private boolean gradients = true;
    private static final long SEED = 1234;

    private OpCheck(String name, Function<Tensor[], Tensor> op, Reference reference, int[][] shapes) {
        this.name = name;
        this.op = op;
        this.reference = reference;
        this.shapes = shapes;
    }

    /**
     * A case: {@code op} receives the inputs on the device under test; a constant it makes (an
     * index, a mask) belongs on {@code x[0].device()}.
     */
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

    String name() {
        return name;
    }

    /** One dynamic test per case, named "case on device", in a container named {@code group}. */
    static DynamicContainer group(String group, Device device, OpCheck... cases) {
        return dynamicContainer(group, Stream.of(cases).map(c -> dynamicTest(c.name + " on " + device, () -> c.check(device))));
    }

    void check(Device device) {
        String what = name + " on " + device;
        try (MemoryScope scope = MemoryScope.open()) {
            Rng rng = new Rng(SEED);
            Tensor[] xs = new Tensor[shapes.length];
            D[] ds = new D[shapes.length];
            for (int i = 0; i < shapes.length; i++) {
                Tensor host = draw(rng, shapes[i]);
                ds[i] = D.of(host);
                xs[i] = host.to(device).requiresGrad(gradients);
            }
            Tensor out = run(what, () -> op.apply(xs));
            D expected = reference.apply(ds);
            assertEquals(device, out.device(), what + ": computed on the device");
            assertArrayEquals(expected.shape(), out.shape(), what + ": output shape");
            assertClose(what + " forward", expected.v(), out.toFloatArray(), forwardTolerance);
            if (!gradients) return;

            Tensor w = rng.randn(out.shape());
            run(what + " backward", () -> {
                out.backward(w.to(device));
                return out;
            });
            double[] wd = D.of(w).v();
            for (int i = 0; i < xs.length; i++) {
                double[] numeric = finiteDifference(ds, i, wd);
                Tensor g = xs[i].grad();
                assertTrue(g != null, what + ": input " + i + " got no gradient");
                assertEquals(device, g.device(), what + ": the gradient of input " + i + " stays on the device");
                assertArrayEquals(xs[i].shape(), g.shape(), what + ": gradient shape of input " + i);
                assertClose(what + " gradient of input " + i, numeric, g.toFloatArray(), gradTolerance);
            }
        }
    }

    /** Runs the op (or its backward) so that an exception it throws names the case and the device. */
    private static Tensor run(String what, Supplier<Tensor> step) {
        try {
            return step.get();
        } catch (RuntimeException e) {
            throw new AssertionError(what + ": " + e, e);
        }
    }

    /** A CPU tensor of the given shape, drawn from rng as {@link #inputs} says. */
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
}
