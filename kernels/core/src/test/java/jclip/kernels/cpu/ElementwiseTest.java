package jclip.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Arrays;
import java.util.Random;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import jclip.kernels.BinaryOp;
import jclip.kernels.UnaryOp;
import org.junit.jupiter.api.Test;

/*
 * Elementwise: erf against high-precision values (mpmath, 50 digits) and a BigDecimal series
 * written here; the activations at hand-checked points and at large |x|; every unary op through
 * the kernel at offsets; broadcasting and strided binary ops against a plain index loop; NaN
 * propagation; and the parallel path against the serial one.
 */
class ElementwiseTest {

    // ---------------------------------------------------------------------------------------
    // erf

    /** {x, erf(x)} from mpmath at 50 digits, rounded to double. */
    private static final double[][] ERF = {
        {0.5, 0.5204998778130465},
        {1, 0.8427007929497149},
        {2, 0.9953222650189527},
        {3, 0.9999779095030014},
        {-0.3, -0.3286267594591274},
        {1e-8, 1.1283791670955126e-08},
        {0.001, 0.0011283787909692365},
        {0.1, 0.1124629160182849},
        {1.2, 0.9103139782296353},
        {1.5, 0.9661051464753108},
        {1.9, 0.9927904292352575},
        {2.4, 0.999311486103355},
        {2.49, 0.9995707121322661},
        {4, 0.9999999845827421},
        {-4, -0.9999999845827421},
        {5.9, 0.9999999999999999},
        {6.5, 1.0},
    };

    @Test
    void erfMatchesHighPrecisionValues() {
        for (double[] p : ERF) {
            double got = Elementwise.erf(p[0]);
            assertEquals(p[1], got, 1e-15 * Math.abs(p[1]), "erf(" + p[0] + ")");
        }
    }

    @Test
    void erfSpecialValues() {
        assertEquals(0.0, Elementwise.erf(0.0));
        assertEquals(1.0, Elementwise.erf(Double.POSITIVE_INFINITY));
        assertEquals(-1.0, Elementwise.erf(Double.NEGATIVE_INFINITY));
        assertEquals(1.0, Elementwise.erf(30));
        assertTrue(Double.isNaN(Elementwise.erf(Double.NaN)));
        // tiny arguments: erf(x) = 2x/sqrt(pi) to double precision
        assertEquals(2 / Math.sqrt(Math.PI) * 1e-300, Elementwise.erf(1e-300), 1e-315);
    }

    private static final MathContext MC = new MathContext(50);
    private static final BigDecimal PI = new BigDecimal(
            "3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798");

    private static final BigDecimal TWO_OVER_SQRT_PI = BigDecimal.valueOf(2).divide(PI.sqrt(MC), MC);

    /** erf(x) = 2/sqrt(pi) Σ (-1)^k x^(2k+1) / (k! (2k+1)), summed exactly enough in BigDecimal. */
    static double erfReference(double x) {
        BigDecimal bx = new BigDecimal(x);
        BigDecimal x2 = bx.multiply(bx, MC);
        BigDecimal term = bx; // (-1)^k x^(2k+1) / k!
        BigDecimal sum = bx;
        BigDecimal eps = new BigDecimal("1e-40");
        for (int k = 1; k < 2000; k++) {
            term = term.multiply(x2, MC).divide(BigDecimal.valueOf(-k), MC);
            BigDecimal t = term.divide(BigDecimal.valueOf(2L * k + 1), MC);
            sum = sum.add(t, MC);
            if (t.abs().compareTo(eps) < 0 && k > x * x) break;
        }
        return TWO_OVER_SQRT_PI.multiply(sum, MC).doubleValue();
    }

    @Test
    void erfSweepMatchesBigDecimalSeriesTo1e15() {
        // The reference itself against mpmath first, so that a wrong reference cannot pass.
        for (double[] p : ERF) assertEquals(p[1], erfReference(p[0]), Math.ulp(p[1]), "reference erf(" + p[0] + ")");
        double worst = 0, worstX = 0;
        for (int i = 0; i <= 1300; i++) {
            double x = i * 0.005 + 0.0003; // off the round points, through every branch boundary (erfIsOdd covers x < 0)
            double ref = erfReference(x);
            double rel = Math.abs(Elementwise.erf(x) - ref) / Math.abs(ref);
            if (rel > worst) {
                worst = rel;
                worstX = x;
            }
        }
        assertTrue(worst <= 1e-15, "erf relative error " + worst + " at x = " + worstX);
    }

    @Test
    void erfIsOdd() {
        Random r = new Random(3);
        for (int i = 0; i < 1000; i++) {
            double x = r.nextDouble() * 8;
            assertEquals(-Elementwise.erf(x), Elementwise.erf(-x), 0.0, "erf(-x) at " + x);
        }
    }

    // ---------------------------------------------------------------------------------------
    // activations

    private static float[] unary(UnaryOp op, float p, float... x) {
        float[] y = new float[x.length];
        Elementwise.unary(op, p, x, 0, y, 0, x.length);
        return y;
    }

    private static void assertFloat(float expected, float actual, int ulps, String what) {
        float tol = ulps * Math.ulp(expected);
        if (!(Math.abs(actual - expected) <= tol))
            fail(what + ": expected " + expected + ", got " + actual + " (" + (actual - expected) / Math.ulp(expected) + " ulps)");
    }

    /** {x, gelu(x), quickGelu(x) with 1.702 exact, sigmoid(x)}, from mpmath, rounded to float. */
    private static final float[][] ACT = {
        {1f, 0.8413448f, 0.84579575f, 0.7310586f},
        {-1f, -0.15865526f, -0.15420423f, 0.26894143f},
        {0.5f, 0.34573123f, 0.35038844f, 0.62245935f},
        {-0.5f, -0.15426877f, -0.14961156f, 0.37754068f},
        {2f, 1.9544997f, 1.9356586f, 0.8807971f},
        {-2f, -0.045500264f, -0.064341374f, 0.11920292f},
        {3f, 2.9959502f, 2.9819286f, 0.95257413f},
        {-3f, -0.004049694f, -0.01807131f, 0.047425874f},
        {-5f, -1.4332578e-06f, -0.0010070163f, 0.006692851f},
        {10f, 10f, 10f, 0.9999546f},
        {0f, 0f, 0f, 0.5f},
    };

    @Test
    void activationsAtHandCheckedPoints() {
        float[] x = new float[ACT.length];
        for (int i = 0; i < x.length; i++) x[i] = ACT[i][0];
        float[] gelu = unary(UnaryOp.GELU, 0, x), quick = unary(UnaryOp.QUICK_GELU, 0, x), sig = unary(UnaryOp.SIGMOID, 0, x);
        for (int i = 0; i < x.length; i++) {
            assertFloat(ACT[i][1], gelu[i], 2, "gelu(" + x[i] + ")");
            // 1.702f is not 1.702: allow for the float constant
            assertEquals(ACT[i][2], quick[i], 2e-7 * Math.max(1, Math.abs(x[i])), "quickGelu(" + x[i] + ")");
            assertFloat(ACT[i][3], sig[i], 1, "sigmoid(" + x[i] + ")");
        }
        assertEquals(0.8413447f, gelu[0], 1e-7f);
        assertEquals(0.845796f, quick[0], 1e-6f);
    }

    @Test
    void activationsAtLargeMagnitudeHaveNoNaNOrOverflow() {
        float[] x = {100f, -100f, 1000f, -1000f, 1e30f, -1e30f, Float.MAX_VALUE, -Float.MAX_VALUE, 88.8f, -88.8f, 89f, -89f};
        for (UnaryOp op : new UnaryOp[] {UnaryOp.GELU, UnaryOp.QUICK_GELU, UnaryOp.SIGMOID}) {
            float[] y = unary(op, 0, x);
            for (int i = 0; i < x.length; i++) {
                assertFalse(Float.isNaN(y[i]), op + "(" + x[i] + ") is NaN");
                assertFalse(Float.isInfinite(y[i]), op + "(" + x[i] + ") is infinite");
                if (op == UnaryOp.SIGMOID) {
                    assertTrue(y[i] >= 0 && y[i] <= 1, op + "(" + x[i] + ") = " + y[i]);
                    if (x[i] >= 100) assertEquals(1f, y[i], op + "(" + x[i] + ")");
                    if (x[i] <= -1000) assertEquals(0f, y[i], op + "(" + x[i] + ")");
                } else if (x[i] > 0) {
                    assertEquals(x[i], y[i], op + "(" + x[i] + ")"); // x·1
                } else if (x[i] <= -100) {
                    assertEquals(0f, y[i], 0f, op + "(" + x[i] + ")"); // x·0, either sign
                }
            }
        }
        assertFloat(3.8e-44f, unary(UnaryOp.SIGMOID, 0, -100f)[0], 1, "sigmoid(-100), a float subnormal");
        float[] inf = unary(UnaryOp.SIGMOID, 0, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY);
        assertArrayEquals(new float[] {1f, 0f}, inf);
        assertEquals(Float.POSITIVE_INFINITY, unary(UnaryOp.GELU, 0, Float.POSITIVE_INFINITY)[0]);
    }

    /** A plain double formula for every unary op. */
    private static double unaryRef(UnaryOp op, double p, double v) {
        return switch (op) {
            case NEG -> -v;
            case EXP -> Math.exp(v);
            case LOG -> Math.log(v);
            case SQRT -> Math.sqrt(v);
            case RSQRT -> 1 / Math.sqrt(v);
            case ABS -> Math.abs(v);
            case TANH -> Math.tanh(v);
            case SIGMOID -> 1 / (1 + Math.exp(-v));
            case RELU -> Math.max(v, 0);
            case GELU -> 0.5 * v * (1 + erfReference(v / Math.sqrt(2)));
            case QUICK_GELU -> v / (1 + Math.exp(-1.702 * v));
            case ADD_SCALAR -> v + p;
            case MUL_SCALAR -> v * p;
            case DIV_SCALAR -> v / p;
            case POW_SCALAR -> Math.pow(v, p);
            case RDIV_SCALAR -> p / v;
            case CLAMP_MIN -> Math.max(v, p);
            case CLAMP_MAX -> Math.min(v, p);
        };
    }

    @Test
    void everyUnaryOpAtOffsetsMatchesDoubleFormula() {
        Random r = new Random(11);
        int n = 37, xo = 5, yo = 3;
        float[] x = new float[xo + n + 4];
        for (int i = 0; i < x.length; i++) x[i] = 0.25f + 2.5f * r.nextFloat(); // positive: log/sqrt defined
        for (int i = xo; i < xo + n; i += 3) x[i] = -x[i];                          // but some negatives where defined
        for (UnaryOp op : UnaryOp.values()) {
            boolean positiveOnly = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT;
            float p = op == UnaryOp.POW_SCALAR ? 3f : op == UnaryOp.CLAMP_MIN || op == UnaryOp.CLAMP_MAX ? 0.9f : 1.75f;
            float[] in = x.clone();
            if (positiveOnly) for (int i = 0; i < in.length; i++) in[i] = Math.abs(in[i]);
            float[] y = new float[yo + n + 4];
            Arrays.fill(y, -77f);
            Elementwise.unary(op, p, in, xo, y, yo, n);
            for (int i = 0; i < yo; i++) assertEquals(-77f, y[i], op + " wrote before its output offset");
            for (int i = yo + n; i < y.length; i++) assertEquals(-77f, y[i], op + " wrote past its range");
            for (int i = 0; i < n; i++) {
                double e = unaryRef(op, p, in[xo + i]);
                assertEquals(e, y[yo + i], 3e-7 * Math.max(1, Math.abs(e)), op + " at " + in[xo + i]);
            }
            // p = 2 has its own fast path
            if (op == UnaryOp.POW_SCALAR) {
                Elementwise.unary(op, 2f, in, xo, y, yo, n);
                for (int i = 0; i < n; i++) assertEquals(in[xo + i] * in[xo + i], y[yo + i], 0f, "pow 2");
            }
        }
    }

    @Test
    void clampPassesNaNThrough() {
        float[] x = {Float.NaN, -5f, 5f};
        float[] lo = unary(UnaryOp.CLAMP_MIN, 0f, x), hi = unary(UnaryOp.CLAMP_MAX, 0f, x);
        assertTrue(Float.isNaN(lo[0]) && Float.isNaN(hi[0]), "clamp of NaN is NaN, as in PyTorch");
        assertArrayEquals(new float[] {0f, 5f}, Arrays.copyOfRange(lo, 1, 3));
        assertArrayEquals(new float[] {-5f, 0f}, Arrays.copyOfRange(hi, 1, 3));
        assertTrue(Float.isNaN(unary(UnaryOp.RELU, 0, Float.NaN)[0]), "relu(NaN) is NaN");
    }

    // ---------------------------------------------------------------------------------------
    // binary

    private static double binaryRef(BinaryOp op, double a, double b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> Math.pow(a, b);
            case MAXIMUM -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
            case MINIMUM -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b);
            case GREATER -> a > b ? 1 : 0;
            case LESS -> a < b ? 1 : 0;
            case EQUAL -> a == b ? 1 : 0;
        };
    }

    /** The strided offset of linear index i of shape. */
    private static int offset(int i, int[] shape, int[] strides) {
        int off = 0;
        for (int d = shape.length - 1; d >= 0; d--) {
            off += (i % shape[d]) * strides[d];
            i /= shape[d];
        }
        return off;
    }

    /** Runs binary(op) over shape with the given strides and checks every element against a plain loop. */
    private static void checkBinary(int[] shape, float[] a, int ao, int[] as, float[] b, int bo, int[] bs) {
        int n = Shapes.numel(shape);
        for (BinaryOp op : BinaryOp.values()) {
            int oo = 4;
            float[] out = new float[oo + n + 3];
            Arrays.fill(out, -55f);
            Elementwise.binary(op, shape, a, ao, as, b, bo, bs, out, oo);
            for (int i = 0; i < oo; i++) assertEquals(-55f, out[i], op + " wrote before its output offset");
            for (int i = oo + n; i < out.length; i++) assertEquals(-55f, out[i], op + " wrote past its output");
            for (int i = 0; i < n; i++) {
                float x = a[ao + offset(i, shape, as)], y = b[bo + offset(i, shape, bs)];
                float expected = (float) binaryRef(op, x, y);
                String what = op + " at " + i + " of " + Arrays.toString(shape) + ": " + x + ", " + y;
                if (Float.isNaN(expected)) assertTrue(Float.isNaN(out[oo + i]), what + " should be NaN");
                else assertEquals(expected, out[oo + i], 0f, what); // float op == double op rounded to float
            }
        }
    }

    private static float[] randomArray(Random r, int n) {
        float[] v = new float[n];
        // positive bases keep POW real; small integers make EQUAL/GREATER ties happen
        for (int i = 0; i < n; i++) v[i] = i % 4 == 0 ? r.nextInt(3) : 0.5f + 2 * r.nextFloat();
        return v;
    }

    @Test
    void binaryBroadcastStridesMatchPlainLoop() {
        Random r = new Random(5);
        int[] shape = {3, 4, 5};
        // a: [4, 5] broadcast over dim 0; b: [3, 1, 1] broadcast over dims 1 and 2
        float[] a = randomArray(r, 2 + 20), b = randomArray(r, 1 + 3);
        checkBinary(shape, a, 2, new int[] {0, 5, 1}, b, 1, new int[] {1, 0, 0});
        // a: [3, 4, 1] (broadcast along the last, contiguous-inner dimension), b full
        float[] c = randomArray(r, 12), d = randomArray(r, 60);
        checkBinary(shape, c, 0, new int[] {4, 1, 0}, d, 0, new int[] {20, 5, 1});
        // scalar against a tensor: all strides 0
        checkBinary(shape, new float[] {9f, 1.5f}, 1, new int[] {0, 0, 0}, d, 0, new int[] {20, 5, 1});
    }

    @Test
    void binaryNonContiguousStridesMatchPlainLoop() {
        Random r = new Random(6);
        // a is the transpose of a [5, 4] matrix: shape [4, 5], strides [1, 4]
        float[] a = randomArray(r, 3 + 20), b = randomArray(r, 64);
        checkBinary(new int[] {4, 5}, a, 3, new int[] {1, 4}, b, 0, new int[] {12, 2}); // b every other column of [*, 12]
        // negative-free permuted 3-d view and a narrow (offset) view
        float[] c = randomArray(r, 2 * 3 * 7 + 5);
        checkBinary(new int[] {3, 2, 7}, c, 5, new int[] {7, 21, 1}, c, 0, new int[] {1, 3, 6});
        // 0-d
        checkBinary(new int[0], new float[] {0f, 2f}, 1, new int[0], new float[] {3f}, 0, new int[0]);
        // a dimension of size 0: nothing is written
        float[] out = {1f};
        Elementwise.binary(BinaryOp.ADD, new int[] {3, 0}, a, 0, new int[] {0, 1}, b, 0, new int[] {0, 1}, out, 0);
        assertEquals(1f, out[0]);
    }

    @Test
    void maximumAndMinimumPropagateNaN() {
        float nan = Float.NaN;
        float[] a = {nan, 1f, nan, -1f, 2f, Float.NEGATIVE_INFINITY};
        float[] b = {1f, nan, nan, -2f, Float.POSITIVE_INFINITY, -3f};
        int[] shape = {6}, s = {1};
        float[] max = new float[6], min = new float[6];
        Elementwise.binary(BinaryOp.MAXIMUM, shape, a, 0, s, b, 0, s, max, 0);
        Elementwise.binary(BinaryOp.MINIMUM, shape, a, 0, s, b, 0, s, min, 0);
        for (int i = 0; i < 3; i++) {
            assertTrue(Float.isNaN(max[i]), "maximum(" + a[i] + ", " + b[i] + ") = " + max[i]);
            assertTrue(Float.isNaN(min[i]), "minimum(" + a[i] + ", " + b[i] + ") = " + min[i]);
        }
        assertArrayEquals(new float[] {-1f, Float.POSITIVE_INFINITY, -3f}, Arrays.copyOfRange(max, 3, 6));
        assertArrayEquals(new float[] {-2f, 2f, Float.NEGATIVE_INFINITY}, Arrays.copyOfRange(min, 3, 6));
        // broadcast NaN scalar through a strided path too
        float[] wide = new float[8];
        Elementwise.binary(BinaryOp.MAXIMUM, new int[] {2, 4}, new float[] {nan}, 0, new int[] {0, 0}, new float[] {1, 2, 3, 4}, 0,
                new int[] {0, 1}, wide, 0);
        for (float v : wide) assertTrue(Float.isNaN(v), "maximum with a broadcast NaN");
        // comparisons with NaN are false
        float[] cmp = new float[3];
        for (BinaryOp op : new BinaryOp[] {BinaryOp.GREATER, BinaryOp.LESS, BinaryOp.EQUAL}) {
            Elementwise.binary(op, new int[] {3}, a, 0, s, b, 0, s, cmp, 0);
            assertArrayEquals(new float[] {0f, 0f, 0f}, cmp, op + " with NaN");
        }
    }

    @Test
    void whereBroadcastsAllThreeOperands() {
        int[] shape = {3, 4};
        float[] cond = {1, 0, 0, 1};                     // [4], broadcast over rows
        float[] a = {10, 20, 30};                        // [3, 1]
        float[] b = {-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12};
        float[] out = new float[12];
        Elementwise.where(shape, cond, 0, new int[] {0, 1}, a, 0, new int[] {1, 0}, b, 0, new int[] {4, 1}, out, 0);
        assertArrayEquals(new float[] {10, -2, -3, 10, 20, -6, -7, 20, 30, -10, -11, 30}, out);
        // NaN condition is "not zero": picks a
        float[] o1 = new float[1];
        Elementwise.where(new int[0], new float[] {Float.NaN}, 0, new int[0], new float[] {1}, 0, new int[0], new float[] {2}, 0, new int[0], o1, 0);
        assertEquals(1f, o1[0]);
    }

    // ---------------------------------------------------------------------------------------
    // the parallel path

    @Test
    void parallelUnaryEqualsSerialResult() {
        int n = 1 << 20;
        Random r = new Random(8);
        float[] y = new float[n + 1];
        float[] x = new float[n + 3];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 4);
        for (UnaryOp op : new UnaryOp[] {UnaryOp.GELU, UnaryOp.QUICK_GELU, UnaryOp.SIGMOID, UnaryOp.MUL_SCALAR, UnaryOp.CLAMP_MIN}) {
            int len = op == UnaryOp.GELU ? n / 8 : n; // erf is slow: a shorter run still splits into many tasks
            Arrays.fill(y, 123f);
            Elementwise.unary(op, 0.5f, x, 3, y, 1, len); // big enough to split across the pool
            // QuickGELU with the Vector API kernel: one serial call over the whole range (its masked
            // tail lands elsewhere than the parallel chunks' tails).
            float[] quickSerial = new float[len];
            if (op == UnaryOp.QUICK_GELU && Elementwise.ACTIVATIONS != null) Elementwise.ACTIVATIONS.quickGelu(x, 3, quickSerial, 0, len);
            assertEquals(123f, y[0], "untouched before the offset");
            if (len < n) assertEquals(123f, y[len + 1], "untouched after the range");
            for (int i = 0; i < len; i++) {
                float v = x[3 + i];
                float e = switch (op) {
                    case GELU -> Elementwise.gelu(v);
                    case QUICK_GELU -> Elementwise.ACTIVATIONS != null ? quickSerial[i] : v * Elementwise.sigmoid(1.702f * v);
                    case SIGMOID -> Elementwise.sigmoid(v);
                    case MUL_SCALAR -> v * 0.5f;
                    default -> v < 0.5f ? 0.5f : v;
                };
                if (Float.floatToIntBits(e) != Float.floatToIntBits(y[1 + i]))
                    fail(op + " element " + i + " of " + n + ": parallel " + y[1 + i] + ", serial " + e);
            }
        }
    }

    @Test
    void parallelBinaryEqualsSerialResult() {
        int rows = 1024, cols = 1024;
        Random r = new Random(9);
        float[] a = new float[rows * cols], b = new float[cols];
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat() - 0.5f;
        for (int i = 0; i < b.length; i++) b[i] = r.nextFloat() + 0.5f;
        int[] shape = {rows, cols};
        for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.DIV, BinaryOp.MAXIMUM}) {
            DoubleBinaryOperator f = (x, y) -> (float) binaryRef(op, (float) x, (float) y);
            float[] out = new float[rows * cols];
            // a read transposed (strides [1, cols]) so every row takes the strided path; b broadcast over rows
            Elementwise.binary(op, shape, a, 0, new int[] {1, cols}, b, 0, new int[] {0, 1}, out, 0);
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) {
                    float e = (float) f.applyAsDouble(a[j * cols + i], b[j]);
                    if (e != out[i * cols + j]) fail(op + " at (" + i + ", " + j + "): " + out[i * cols + j] + " vs " + e);
                }
        }
    }

    @Test
    void unaryBackwardIsGradientTimesDerivativeOnParallelPath() {
        // the rules themselves are checked by OpsTest through autograd; here the parallel split of a long array
        int n = 1 << 16;
        float[] x = new float[n], y = new float[n], gy = new float[n], gx = new float[n];
        Random r = new Random(10);
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
            gy[i] = (float) r.nextGaussian();
        }
        Elementwise.unary(UnaryOp.TANH, 0, x, 0, y, 0, n);
        Elementwise.unaryBackward(UnaryOp.TANH, 0, x, y, gy, gx, n);
        DoubleUnaryOperator dtanh = v -> 1 - Math.tanh(v) * Math.tanh(v);
        for (int i = 0; i < n; i++) assertEquals(gy[i] * dtanh.applyAsDouble(x[i]), gx[i], 1e-6 * (1 + Math.abs(gy[i])), "tanh' at " + i);
    }
}
