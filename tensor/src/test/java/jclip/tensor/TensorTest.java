package jclip.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import jclip.kernels.DType;
import jclip.kernels.cpu.HalfFloat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/*
 * The basic Tensor API: creation and copying, accessors, 0-d tensors, dtype conversion, views
 * and storage sharing, error messages, hand-checked forward values, dropout and Rng. Gradients
 * of the ops are OpsTest's (through OpCheck); only dropout's mask gradient is checked here.
 */
class TensorTest {

    private static float[] iota(int n, float start) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = start + i;
        return v;
    }

    /** Asserts that call throws type with a message containing every one of parts. */
    private static <T extends Throwable> T assertMessage(Class<T> type, Executable call, String... parts) {
        T e = assertThrows(type, call);
        for (String p : parts)
            assertTrue(e.getMessage() != null && e.getMessage().contains(p), "message should contain " + p + ": " + e.getMessage());
        return e;
    }

    // ---------------------------------------------------------------------------------------
    // creation and accessors

    @Test
    void ofCopiesItsInput() {
        float[] f = {1, 2, 3, 4};
        Tensor t = Tensor.of(f, 2, 2);
        f[0] = 99;
        assertArrayEquals(new float[] {1, 2, 3, 4}, t.toFloatArray());
        int[] i = {5, 6};
        Tensor ti = Tensor.of(i, 2);
        i[1] = -1;
        assertArrayEquals(new int[] {5, 6}, ti.toIntArray());
        long[] l = {7, 8, 9};
        Tensor tl = Tensor.of(l, 3);
        l[2] = 0;
        assertArrayEquals(new long[] {7, 8, 9}, tl.toLongArray());
        // toFloatArray hands out a copy too
        t.toFloatArray()[1] = -5;
        assertEquals(2f, t.toFloatArray()[1]);
    }

    @Test
    void fromHostWrapsWithoutCopying() {
        float[] f = {1, 2, 3};
        Tensor t = Tensor.fromHost(f, DType.F32, 3);
        f[2] = 30; // documented: the caller hands the array over
        assertArrayEquals(new float[] {1, 2, 30}, t.toFloatArray());
    }

    @Test
    void fromHostRejectsWrongLengthNamingTheShape() {
        assertMessage(IllegalArgumentException.class, () -> Tensor.fromHost(new float[5], DType.F32, 2, 3), "[2, 3]", "5");
        assertMessage(IllegalArgumentException.class, () -> Tensor.of(new float[7], 2, 3), "[2, 3]", "7");
        assertMessage(IllegalArgumentException.class, () -> Tensor.of(new long[1], 4), "[4]");
        // an array of the wrong type for the dtype
        assertThrows(IllegalArgumentException.class, () -> Tensor.fromHost(new float[2], DType.I32, 2));
    }

    @Test
    void shapeAccessors() {
        Tensor t = Tensor.zeros(2, 3, 4);
        assertArrayEquals(new int[] {2, 3, 4}, t.shape());
        t.shape()[0] = 100; // a copy
        assertArrayEquals(new int[] {2, 3, 4}, t.shape());
        assertEquals(3, t.ndim());
        assertEquals(24, t.numel());
        assertEquals(4, t.size(-1));
        assertEquals(2, t.size(-3));
        assertEquals(3, t.size(1));
        assertMessage(IllegalArgumentException.class, () -> t.size(3), "3");
        assertMessage(IllegalArgumentException.class, () -> t.size(-4), "-4");
        assertEquals(0, Tensor.zeros(2, 0, 3).numel());
        assertEquals(DType.F32, t.dtype());
        assertTrue(t.isContiguous());
        assertArrayEquals(new float[24], t.toFloatArray());
        assertArrayEquals(new float[] {2.5f, 2.5f}, Tensor.full(2.5f, 2).toFloatArray());
        assertArrayEquals(new long[] {0, 1, 2, 3}, Tensor.arange(4).toLongArray());
        assertEquals(DType.I64, Tensor.arange(4).dtype());
    }

    @Test
    void zeroDimensionalTensors() {
        Tensor s = Tensor.scalar(2.5f);
        assertEquals(0, s.ndim());
        assertArrayEquals(new int[0], s.shape());
        assertEquals(1, s.numel());
        assertEquals(2.5f, s.item());
        assertArrayEquals(new float[] {2.5f}, s.toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> s.size(0));
        Tensor sum = s.add(Tensor.scalar(1f)).mul(2f);
        assertEquals(0, sum.ndim());
        assertEquals(7f, sum.item());
        // broadcasting a 0-d tensor against a vector
        assertArrayEquals(new float[] {3.5f, 4.5f}, Tensor.of(new float[] {1, 2}, 2).add(s).toFloatArray());
        // a full reduction is 0-d
        Tensor total = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2).sum();
        assertEquals(0, total.ndim());
        assertEquals(10f, total.item());
        assertEquals(5f, Tensor.of(new float[] {5}, 1, 1).item()); // one element of any shape
        assertMessage(IllegalStateException.class, () -> Tensor.of(new float[] {1, 2}, 2).item(), "[2]");
    }

    // ---------------------------------------------------------------------------------------
    // dtypes

    @Test
    void toFloatArrayFromEveryStorageType() {
        assertArrayEquals(new float[] {-3, 0, 16_777_216f}, Tensor.of(new int[] {-3, 0, 16_777_217}, 3).toFloatArray());
        assertArrayEquals(new float[] {-1, (float) (1L << 40)}, Tensor.of(new long[] {-1, 1L << 40}, 2).toFloatArray());
        short[] f16 = {HalfFloat.floatToF16(1.5f), HalfFloat.floatToF16(-65504f), (short) 0x0001, (short) 0x7c00};
        assertArrayEquals(new float[] {1.5f, -65504f, 0x1p-24f, Float.POSITIVE_INFINITY},
                Tensor.fromHost(f16, DType.F16, 2, 2).toFloatArray());
        short[] bf16 = {(short) 0x3f80, (short) 0xc020, (short) 0x7f7f};
        assertArrayEquals(new float[] {1f, -2.5f, Math.scalb(255f, 120)}, Tensor.fromHost(bf16, DType.BF16, 3).toFloatArray());
        // and the other way: float to integers truncates toward zero
        assertArrayEquals(new int[] {2, -2, 0}, Tensor.of(new float[] {2.9f, -2.9f, 0.5f}, 3).toIntArray());
        assertArrayEquals(new long[] {123456789L}, Tensor.of(new long[] {123456789L}, 1).toLongArray());
    }

    @Test
    void bf16AndF16RoundTripRoundsToNearestEven() {
        float[] v = {1f + 0x1p-8f, 1f + 3 * 0x1p-8f, 0.1f, 65504f, 1f / 3, -2.5f, 1f + 0x1p-11f};
        Tensor x = Tensor.of(v, v.length);
        Tensor bf = x.to(DType.BF16);
        assertEquals(DType.BF16, bf.dtype());
        assertArrayEquals(new float[] {1f, 1f + 0x1p-6f, 0.10009765625f, 65536f, 0.333984375f, -2.5f, 1f}, bf.to(DType.F32).toFloatArray());
        assertArrayEquals(new float[] {1f + 0x1p-8f, 1f + 3 * 0x1p-8f, 0.0999755859375f, 65504f, 0.333251953125f, -2.5f, 1f},
                x.to(DType.F16).to(DType.F32).toFloatArray());
        assertSame(x, x.to(DType.F32), "to() of the same dtype is the tensor itself");
        // a transposed (strided) view converts in logical order
        Tensor m = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).transpose(0, 1);
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, m.to(DType.BF16).toFloatArray());
        assertArrayEquals(new int[] {1, 4, 2, 5, 3, 6}, m.to(DType.I32).toIntArray());
    }

    @Test
    void integerTensorsCannotRequireGrad() {
        assertMessage(IllegalArgumentException.class, () -> Tensor.of(new int[] {1, 2}, 2).requiresGrad(true), "I32");
        assertMessage(IllegalArgumentException.class, () -> Tensor.arange(3).requiresGrad(true), "I64");
        Tensor i = Tensor.of(new int[] {1}, 1).requiresGrad(false);
        assertFalse(i.requiresGrad());
        assertTrue(Tensor.zeros(2).requiresGrad(true).requiresGrad());
        // ops that compute in F32 reject integer inputs with a hint
        assertMessage(IllegalArgumentException.class, () -> Tensor.of(new int[] {1, 2}, 2).exp(), "I32", "F32");
    }

    // ---------------------------------------------------------------------------------------
    // views

    @Test
    void narrowAndTransposeShareStorage() {
        Tensor base = Tensor.of(iota(12, 0), 3, 4);
        Tensor rows = base.narrow(0, 1, 2);  // rows 1..2: contiguous
        Tensor cols = base.narrow(1, 1, 2);  // columns 1..2: strided
        Tensor tr = base.transpose(0, 1);
        assertTrue(rows.isContiguous());
        assertFalse(cols.isContiguous());
        assertFalse(tr.isContiguous());
        assertArrayEquals(new int[] {2, 4}, rows.shape());
        assertArrayEquals(new int[] {3, 2}, cols.shape());
        assertArrayEquals(new int[] {4, 3}, tr.shape());
        assertArrayEquals(iota(8, 4), rows.toFloatArray());
        assertArrayEquals(new float[] {1, 2, 5, 6, 9, 10}, cols.toFloatArray());
        try (Autograd.NoGrad g = Autograd.noGrad()) {
            base.copyFrom(Tensor.of(iota(12, 100), 3, 4));
        }
        assertArrayEquals(iota(8, 104), rows.toFloatArray(), "in-place update of the base seen through a narrow view");
        assertArrayEquals(new float[] {101, 102, 105, 106, 109, 110}, cols.toFloatArray());
        assertArrayEquals(new float[] {100, 104, 108, 101, 105, 109, 102, 106, 110, 103, 107, 111}, tr.toFloatArray());
        // and the other way: writing through the contiguous view changes the base
        try (Autograd.NoGrad g = Autograd.noGrad()) {
            rows.fill(-1f);
        }
        assertArrayEquals(new float[] {100, 101, 102, 103, -1, -1, -1, -1, -1, -1, -1, -1}, base.toFloatArray());
        // in-place on a non-contiguous view is refused
        assertThrows(IllegalStateException.class, () -> cols.fill(0f));
        // narrow out of range names the dimension size
        assertMessage(IllegalArgumentException.class, () -> base.narrow(1, 3, 2), "size 4");
    }

    @Test
    void contiguousOfTransposedViewGivesTransposedOrder() {
        Tensor base = Tensor.of(iota(6, 1), 2, 3);
        Tensor t = base.transpose(0, 1);
        Tensor c = t.contiguous();
        assertTrue(c.isContiguous());
        assertArrayEquals(new int[] {3, 2}, c.shape());
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, c.toFloatArray());
        assertSame(base, base.contiguous());
        // a copy: later writes to the base do not show
        base.fill(0f);
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, c.toFloatArray());
        assertArrayEquals(new float[6], t.toFloatArray());
        // a 3-d permutation
        Tensor p = Tensor.of(iota(24, 0), 2, 3, 4).permute(2, 0, 1).contiguous();
        assertArrayEquals(new int[] {4, 2, 3}, p.shape());
        float[] pv = p.toFloatArray();
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 3; j++) assertEquals(i * 12 + j * 4 + k, pv[(k * 2 + i) * 3 + j], "[" + k + ", " + i + ", " + j + "]");
    }

    @Test
    void reshapeIsAViewOfContiguousDataAndACopyOfStridedData() {
        Tensor base = Tensor.of(iota(6, 1), 2, 3);
        Tensor view = base.reshape(3, 2);
        Tensor inferred = base.reshape(-1);
        assertArrayEquals(new int[] {6}, inferred.shape());
        Tensor copied = base.transpose(0, 1).reshape(6);
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, copied.toFloatArray());
        base.fill(7f);
        assertArrayEquals(new float[] {7, 7, 7, 7, 7, 7}, view.toFloatArray(), "reshape of contiguous data is a view");
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, copied.toFloatArray(), "reshape of a transposed view copies");
        assertMessage(IllegalArgumentException.class, () -> base.reshape(4, 2), "[2, 3]", "[4, 2]");
        assertThrows(IllegalArgumentException.class, () -> base.reshape(-1, -1));
    }

    // ---------------------------------------------------------------------------------------
    // shape errors

    @Test
    void broadcastingErrorsNameBothShapes() {
        Tensor a = Tensor.zeros(2, 3), b = Tensor.zeros(4);
        assertMessage(IllegalArgumentException.class, () -> a.add(b), "[2, 3]", "[4]");
        assertMessage(IllegalArgumentException.class, () -> a.mul(Tensor.zeros(3, 3)), "[2, 3]", "[3, 3]");
        // broadcasting that is legal
        assertArrayEquals(new int[] {4, 2, 3}, a.add(Tensor.zeros(4, 1, 1)).shape());
    }

    @Test
    void matmulShapeErrorsNameBothShapes() {
        assertMessage(IllegalArgumentException.class, () -> Tensor.zeros(2, 3).matmul(Tensor.zeros(4, 5)), "[2, 3]", "[4, 5]");
        assertMessage(IllegalArgumentException.class, () -> Tensor.zeros(5, 2, 3).matmul(Tensor.zeros(2, 5)), "[5, 2, 3]", "[2, 5]");
        assertThrows(IllegalArgumentException.class, () -> Tensor.scalar(1f).matmul(Tensor.zeros(1, 1)));
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 2, 3).matmul(Tensor.zeros(3, 3, 4))); // batch 2 vs 3
        // a correct product, by hand: [[1,2],[3,4]] @ [[5],[6]] = [[17],[39]]
        assertArrayEquals(new float[] {17, 39},
                Tensor.of(new float[] {1, 2, 3, 4}, 2, 2).matmul(Tensor.of(new float[] {5, 6}, 2, 1)).toFloatArray());
    }

    @Test
    void catAndStackErrorsForMismatchedShapes() {
        Tensor a = Tensor.zeros(2, 3), b = Tensor.zeros(2, 4);
        assertMessage(IllegalArgumentException.class, () -> Tensor.cat(List.of(a, b), 0), "[2, 4]", "[2, 3]");
        assertMessage(IllegalArgumentException.class, () -> Tensor.stack(List.of(a, b), 0), "[2, 4]", "[2, 3]");
        assertThrows(IllegalArgumentException.class, () -> Tensor.cat(List.of(a, Tensor.zeros(2, 3, 1)), 0)); // ndim
        assertThrows(IllegalArgumentException.class, () -> Tensor.cat(List.of(a, Tensor.of(new int[6], 2, 3)), 0)); // dtype
        assertThrows(IllegalArgumentException.class, () -> Tensor.cat(List.of(), 0));
        assertThrows(IllegalArgumentException.class, () -> Tensor.stack(List.of(), 0));
        // the legal ones
        assertArrayEquals(new int[] {2, 7}, Tensor.cat(List.of(a, b), 1).shape());
        Tensor s = Tensor.stack(List.of(Tensor.of(new float[] {1, 2}, 2), Tensor.of(new float[] {3, 4}, 2)), 1);
        assertArrayEquals(new int[] {2, 2}, s.shape());
        assertArrayEquals(new float[] {1, 3, 2, 4}, s.toFloatArray());
    }

    // ---------------------------------------------------------------------------------------
    // forward values by hand

    @Test
    void handCheckedForwardValues() {
        assertArrayEquals(new float[] {0.09003057f, 0.24472847f, 0.66524096f},
                Tensor.of(new float[] {1, 2, 3}, 3).softmax(0).toFloatArray(), 1e-7f);
        assertArrayEquals(new float[] {-2.4076059f, -1.4076059f, -0.40760596f},
                Tensor.of(new float[] {1, 2, 3}, 3).logSoftmax(-1).toFloatArray(), 1e-6f);
        assertEquals(0.8413447f, Tensor.scalar(1f).gelu().item(), 1e-7f);
        // x·sigmoid(1.702x) at 1: 1 / (1 + e^-1.702) = 0.8457958
        assertEquals(0.8457958f, Tensor.scalar(1f).quickGelu().item(), 1e-6f);
        assertArrayEquals(new float[] {-1.2247449f, 0f, 1.2247449f},
                Tensor.of(new float[] {1, 2, 3}, 1, 3).layerNorm(Tensor.ones(3), Tensor.zeros(3), 0f).toFloatArray(), 1e-6f);
        // logits [[1, 2, 3], [1, 0, -1]], labels [2, 1]:
        // row 0: log(e + e² + e³) - 3 = 0.40760596, row 1: log(e + 1 + e^-1) - 0 = 1.40760596; mean 0.90760596
        Tensor logits = Tensor.of(new float[] {1, 2, 3, 1, 0, -1}, 2, 3);
        assertEquals(0.90760596f, logits.crossEntropy(Tensor.of(new long[] {2, 1}, 2)).item(), 1e-6f);
        assertEquals(0.90760596f, logits.crossEntropy(Tensor.of(new int[] {2, 1}, 2)).item(), 1e-6f);
        assertEquals(0, logits.crossEntropy(Tensor.of(new long[] {2, 1}, 2)).ndim());
        assertEquals(1000.6931f, Tensor.of(new float[] {1000, 1000}, 2).logsumexp(0, false).item(), 1e-4f);
        assertEquals(-1000 + (float) Math.log(2), Tensor.of(new float[] {-1000, -1000}, 2).logsumexp(0, false).item(), 1e-4f);
        float ninf = Float.NEGATIVE_INFINITY;
        assertEquals(ninf, Tensor.of(new float[] {ninf, ninf}, 2).logsumexp(0, false).item(), "logsumexp of all -inf");
        // sum / mean / max along a dimension
        Tensor m = Tensor.of(new float[] {1, 5, 2, 7, 0, 3}, 2, 3);
        assertArrayEquals(new float[] {8, 10}, m.sum(1, false).toFloatArray());
        assertArrayEquals(new int[] {2, 1}, m.sum(1, true).shape());
        assertArrayEquals(new float[] {4, 2.5f, 2.5f}, m.mean(0, false).toFloatArray());
        assertArrayEquals(new float[] {5, 7}, m.max(-1, false).toFloatArray());
    }

    @Test
    void argmaxReturnsI64() {
        Tensor m = Tensor.of(new float[] {1, 5, 5, 2, 9, 0}, 2, 3);
        Tensor a = m.argmax(1, false);
        assertEquals(DType.I64, a.dtype());
        assertArrayEquals(new int[] {2}, a.shape());
        assertArrayEquals(new long[] {1, 1}, a.toLongArray()); // row 0: first of the tied 5s
        Tensor k = m.argmax(0, true);
        assertArrayEquals(new int[] {1, 3}, k.shape());
        assertArrayEquals(new long[] {1, 1, 0}, k.toLongArray());
    }

    // ---------------------------------------------------------------------------------------
    // dropout

    @Test
    void dropoutWithZeroProbabilityIsTheIdentity() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3);
        assertSame(x, x.dropout(0f, new Rng(1)));
        assertThrows(IllegalArgumentException.class, () -> x.dropout(1f, new Rng(1)));
        assertThrows(IllegalArgumentException.class, () -> x.dropout(-0.1f, new Rng(1)));
    }

    @Test
    void dropoutKeepsAboutOneMinusPScaled() {
        int n = 100_000;
        for (float p : new float[] {0.5f, 0.25f}) {
            float[] y = Tensor.ones(n).dropout(p, new Rng(42)).toFloatArray();
            float scale = 1 / (1 - p);
            int kept = 0;
            for (float v : y) {
                if (v == scale) kept++;
                else assertEquals(0f, v, "dropped values are 0, kept ones 1/(1-p)");
            }
            double expected = n * (1 - p), sd = Math.sqrt(n * p * (1 - p));
            assertTrue(Math.abs(kept - expected) < 5 * sd, "p = " + p + ": kept " + kept + " of " + n);
        }
        // kept values are scaled exactly, by 2 for p = 0.5
        Tensor x = new Rng(3).randn(1000);
        float[] xv = x.toFloatArray(), yv = x.dropout(0.5f, new Rng(4)).toFloatArray();
        for (int i = 0; i < xv.length; i++) assertTrue(yv[i] == 0f || yv[i] == 2 * xv[i], "element " + i + ": " + yv[i] + " from " + xv[i]);
    }

    @Test
    void dropoutMaskIsSeededAndIsTheGradient() {
        int n = 4096;
        float[] m1 = Tensor.ones(n).dropout(0.5f, new Rng(7)).toFloatArray();
        float[] m2 = Tensor.ones(n).dropout(0.5f, new Rng(7)).toFloatArray();
        float[] m3 = Tensor.ones(n).dropout(0.5f, new Rng(8)).toFloatArray();
        assertArrayEquals(m1, m2, "same seed, same mask");
        assertFalse(Arrays.equals(m1, m3), "different seeds, different masks");
        Tensor x = new Rng(9).randn(n).requiresGrad(true);
        Tensor y = x.dropout(0.5f, new Rng(7));
        y.sum().backward();
        assertArrayEquals(m1, x.grad().toFloatArray(), "d(sum dropout(x))/dx is the scaled mask");
        float[] xv = x.toFloatArray(), yv = y.toFloatArray();
        for (int i = 0; i < n; i++) assertEquals(xv[i] * m1[i], yv[i], "y = x · mask at " + i);
    }

    // ---------------------------------------------------------------------------------------
    // Rng

    @Test
    void sameSeedSameTensorsDifferentSeedsDiffer() {
        assertArrayEquals(new Rng(5).randn(3, 7).toFloatArray(), new Rng(5).randn(3, 7).toFloatArray());
        assertArrayEquals(new Rng(5).rand(50).toFloatArray(), new Rng(5).rand(50).toFloatArray());
        assertArrayEquals(new Rng(5).uniform(-2, 3, 9).toFloatArray(), new Rng(5).uniform(-2, 3, 9).toFloatArray());
        float[] a = new Rng(5).randn(100).toFloatArray(), b = new Rng(6).randn(100).toFloatArray();
        int same = 0;
        for (int i = 0; i < 100; i++) if (a[i] == b[i]) same++;
        assertTrue(same < 3, same + " equal draws from different seeds");
        // successive draws from one generator differ
        Rng r = new Rng(5);
        assertFalse(Arrays.equals(r.randn(10).toFloatArray(), r.randn(10).toFloatArray()));
        // split children are reproducible and differ from the parent's stream
        Rng p1 = new Rng(11), p2 = new Rng(11);
        float[] c1 = p1.split().rand(20).toFloatArray(), c2 = p2.split().rand(20).toFloatArray();
        assertArrayEquals(c1, c2);
        assertFalse(Arrays.equals(c1, p1.rand(20).toFloatArray()));
        assertArrayEquals(new int[] {3, 7}, new Rng(5).randn(3, 7).shape());
    }

    @Test
    void randnHasMeanZeroAndStdOne() {
        int n = 100_000;
        float[] v = new Rng(2024).randn(n).toFloatArray();
        double s = 0, s2 = 0;
        int within1 = 0;
        for (float x : v) {
            s += x;
            s2 += (double) x * x;
            if (Math.abs(x) < 1) within1++;
        }
        double mean = s / n, std = Math.sqrt(s2 / n - mean * mean);
        // 5 standard errors: 1/sqrt(n) for the mean, 1/sqrt(2n) for the std
        assertEquals(0, mean, 5 / Math.sqrt(n), "mean");
        assertEquals(1, std, 5 / Math.sqrt(2.0 * n), "std");
        // normal, not merely unit variance: P(|x| < 1) = 0.6827
        assertEquals(0.6827, within1 / (double) n, 5 * Math.sqrt(0.6827 * 0.3173 / n), "fraction within one std");
        float[] w = new Rng(1).normal(10, 0.5, n).toFloatArray();
        double ws = 0;
        for (float x : w) ws += x;
        assertEquals(10, ws / n, 5 * 0.5 / Math.sqrt(n), "normal(10, 0.5) mean");
    }

    @Test
    void randIsUniformOnZeroOne() {
        int n = 100_000;
        float[] v = new Rng(77).rand(n).toFloatArray();
        double s = 0, s2 = 0;
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (float x : v) {
            s += x;
            s2 += (double) x * x;
            min = Math.min(min, x);
            max = Math.max(max, x);
        }
        assertTrue(min >= 0f, "min " + min);
        assertTrue(max < 1f, "max " + max);
        double mean = s / n, var = s2 / n - mean * mean;
        assertEquals(0.5, mean, 5 * Math.sqrt(1.0 / 12 / n), "mean");
        assertEquals(1.0 / 12, var, 0.003, "variance");
        float[] u = new Rng(78).uniform(-3, -1, 1000).toFloatArray();
        for (float x : u) assertTrue(x >= -3 && x < -1, "uniform(-3, -1) gave " + x);
    }

    /** Seed 13629332's second draw is the double 0.99999997345..., which rounds to 1.0f unless clamped. */
    @Test
    void randNeverReturnsOne() {
        float[] v = new Rng(13629332).rand(2).toFloatArray();
        assertTrue(v[1] < 1f, "rand() returned " + v[1]);
        Rng r = new Rng(13629332);
        r.nextFloat();
        assertTrue(r.nextFloat() < 1f, "nextFloat() returned 1");
    }
}
