package jclip.kernels.cuda;

import static jclip.kernels.cuda.BackendParity.check;
import static jclip.kernels.cuda.BackendParity.f32;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import jclip.kernels.AdamWStep;
import jclip.kernels.BinaryOp;
import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.Kernels;
import jclip.kernels.Pool2dShape;
import jclip.kernels.ReduceOp;
import jclip.kernels.UnaryOp;
import jclip.kernels.cpu.Elementwise;
import jclip.kernels.cpu.HalfFloat;
import jclip.kernels.cpu.LayerNorm;
import jclip.kernels.cpu.Softmax;
import jclip.kernels.cuda.BackendParity.Host;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/*
 * Every CUDA kernel of src/main/cuda against the CPU reference (BackendParity), forward and
 * backward, on seeded random data at sizes that are not multiples of a warp or a block (1, 7, 33,
 * 257, 1000), at non-zero offsets, with broadcast and permuted strides. Tolerances: 1e-5 relative
 * for element-wise maps, 1e-4 for reductions, softmax and layer norm (float accumulation in a
 * different order from the CPU's double), exact for copies, fills, indexing and argmax. Backward
 * passes get their saved forward values (y, mean, rstd) from the CPU so both sides start equal.
 */
@Tag("gpu")
class CudaKernelsTest {
    private static final double ELEMENTWISE = 1e-5, REDUCTION = 1e-4, EXACT = 0;
    private static final int[] SIZES = {1, 33, 1000};

    private static float[] uniform(Random r, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return v;
    }

    /** Non-zero multiples of 1/4 in [-2, 2]: ties for comparisons and argmax, no division by zero. */
    private static float[] quarters(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (r.nextInt(8) + 1) * (r.nextBoolean() ? 0.25f : -0.25f);
        return v;
    }

    // ---------------------------------------------------------------------------------------
    // element-wise

    /** Inputs inside the op's domain, and a parameter for the ops that take one. */
    private static float[] unaryInput(UnaryOp op, Random r, int n) {
        return switch (op) {
            case LOG, SQRT, RSQRT, POW_SCALAR, RDIV_SCALAR -> uniform(r, n, 0.25, 3);
            default -> uniform(r, n, -4, 4);
        };
    }

    private static float unaryParam(UnaryOp op) {
        return switch (op) {
            case ADD_SCALAR -> 0.75f;
            case MUL_SCALAR -> -1.5f;
            case DIV_SCALAR -> 3f;
            case POW_SCALAR -> 2.5f;
            case RDIV_SCALAR -> 2f;
            case CLAMP_MIN -> 0.3f;
            case CLAMP_MAX -> -0.2f;
            default -> 0f;
        };
    }

    @Test
    void unaryForwardAndBackward() {
        Random r = new Random(1);
        for (UnaryOp op : UnaryOp.values())
            for (int n : SIZES) {
                float p = unaryParam(op);
                float[] x = unaryInput(op, r, n);
                float[] y = new float[n];
                Elementwise.unary(op, p, x, 0, y, 0, n);
                float[] padded = new float[n + 3];
                System.arraycopy(x, 0, padded, 3, n);
                check(op + " n=" + n, ELEMENTWISE, (k, b) -> k.unary(op, p, b[0], 3, b[1], 5, n),
                        f32("x", padded), f32("y", uniform(r, n + 6, -1, 1)));
                check(op + " backward n=" + n, ELEMENTWISE, (k, b) -> k.unaryBackward(op, p, b[0], b[1], b[2], b[3], n),
                        f32("x", x), f32("y", y), f32("gy", uniform(r, n, -1, 1)), f32("gx", uniform(r, n, -1, 1)));
            }
        // POW_SCALAR has a separate path for squares.
        float[] x = uniform(r, 257, -3, 3);
        check("POW_SCALAR 2", ELEMENTWISE, (k, b) -> k.unary(UnaryOp.POW_SCALAR, 2f, b[0], 0, b[1], 0, 257),
                f32("x", x), f32("y", uniform(r, 257, -1, 1)));
    }

    /** One broadcasting layout: the shape, and a's and b's offsets and strides. */
    private record Broadcast(String name, int[] shape, int aOffset, int[] aStrides, int bOffset, int[] bStrides) {
        int numel() {
            return Arrays.stream(shape).reduce(1, (p, q) -> p * q);
        }

        /** Elements a view needs: one past the farthest it reaches. */
        static int reach(int offset, int[] shape, int[] strides) {
            int far = offset;
            for (int d = 0; d < shape.length; d++) far += (shape[d] - 1) * strides[d];
            return far + 1;
        }

        static int[] contiguous(int[] shape) {
            int[] strides = new int[shape.length];
            for (int d = shape.length - 1, step = 1; d >= 0; step *= shape[d], d--) strides[d] = step;
            return strides;
        }
    }

    private static final Broadcast[] LAYOUTS = {
        new Broadcast("contiguous [257]", new int[] {257}, 0, new int[] {1}, 0, new int[] {1}),
        new Broadcast("row broadcast [7, 33]", new int[] {7, 33}, 2, new int[] {33, 1}, 1, new int[] {0, 1}),
        new Broadcast("permuted a, column b [5, 4, 9]", new int[] {5, 4, 9}, 0, new int[] {1, 45, 5}, 3, new int[] {4, 1, 0}),
        new Broadcast("scalar b over [3, 1, 11]", new int[] {3, 1, 11}, 1, new int[] {11, 11, 1}, 0, new int[] {0, 0, 0}),
        new Broadcast("0-d", new int[0], 4, new int[0], 2, new int[0]),
        // Ten dimensions merge into one; the kernels take at most eight.
        new Broadcast("10-d contiguous", new int[] {2, 1, 3, 1, 2, 2, 1, 2, 3, 2}, 0,
                new int[] {288, 144, 48, 48, 24, 12, 12, 6, 2, 1}, 0, new int[] {288, 144, 48, 48, 24, 12, 12, 6, 2, 1}),
    };

    @Test
    void binaryOpsBroadcastThroughStrides() {
        Random r = new Random(2);
        for (BinaryOp op : BinaryOp.values())
            for (Broadcast l : LAYOUTS) {
                int n = l.numel();
                float[] a = quarters(r, Broadcast.reach(l.aOffset(), l.shape(), l.aStrides()));
                float[] b = quarters(r, Broadcast.reach(l.bOffset(), l.shape(), l.bStrides()));
                check(op + " " + l.name(), ELEMENTWISE,
                        (k, buf) -> k.binary(op, l.shape(), buf[0], l.aOffset(), l.aStrides(), buf[1], l.bOffset(), l.bStrides(), buf[2], 1),
                        f32("a", a), f32("b", b), f32("out", uniform(r, n + 2, -1, 1)));
            }
    }

    @Test
    void whereSelectsThroughStrides() {
        Random r = new Random(3);
        for (Broadcast l : LAYOUTS) {
            int n = l.numel();
            // cond reads like b; a non-zero, non-one value counts as true too.
            float[] cond = new float[Broadcast.reach(l.bOffset(), l.shape(), l.bStrides())];
            for (int i = 0; i < cond.length; i++) cond[i] = r.nextInt(3) * 0.5f;
            check("where " + l.name(), EXACT,
                    (k, b) -> k.where(l.shape(), b[0], l.bOffset(), l.bStrides(), b[1], l.aOffset(), l.aStrides(),
                            b[2], 0, Broadcast.contiguous(l.shape()), b[3], 2),
                    f32("cond", cond), f32("a", uniform(r, Broadcast.reach(l.aOffset(), l.shape(), l.aStrides()), -1, 1)),
                    f32("b", uniform(r, n, -1, 1)), f32("out", uniform(r, n + 2, -1, 1)));
        }
    }

    // ---------------------------------------------------------------------------------------
    // copies and fills

    /** n random values of a dtype: floats in [-300, 300] (so conversions round, truncate and wrap), ints likewise. */
    private static Object randomValues(DType dtype, Random r, int n) {
        Object v = dtype.newHostArray(n);
        for (int i = 0; i < n; i++) {
            float f = (float) (600 * r.nextDouble() - 300);
            switch (dtype) {
                case F32 -> ((float[]) v)[i] = f;
                case F16 -> ((short[]) v)[i] = HalfFloat.floatToF16(f);
                case BF16 -> ((short[]) v)[i] = HalfFloat.floatToBf16(f);
                case I32 -> ((int[]) v)[i] = r.nextInt(601) - 300;
                // Beyond 2^32 so that I64 to I32 wraps and I64 to float rounds.
                case I64 -> ((long[]) v)[i] = r.nextLong() >> 20;
                case U8 -> ((byte[]) v)[i] = (byte) r.nextInt(256);
                case BOOL -> ((byte[]) v)[i] = (byte) r.nextInt(2);
            }
        }
        return v;
    }

    @Test
    void copyConvertsBetweenEveryPairOfDtypes() {
        Random r = new Random(4);
        // src [11, 3] read transposed as [3, 11]; dst rows padded to 13 from offset 2.
        int[] shape = {3, 11}, srcStrides = {1, 3}, dstStrides = {13, 1};
        for (DType from : DType.values())
            for (DType to : DType.values()) {
                check("copy " + from + " -> " + to, EXACT,
                        (k, b) -> k.copy(shape, b[0], 1, srcStrides, b[1], 2, dstStrides),
                        new Host("src", from, randomValues(from, r, 1 + 33)), new Host("dst", to, randomValues(to, r, 2 + 39)));
            }
    }

    @Test
    void copyFloatToIntegerSaturatesAsJavaCasts() {
        float[] edges = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e20f, -1e20f, 3e9f, -3e9f, 255.9f, -0.7f};
        Random r = new Random(14);
        for (DType to : new DType[] {DType.I32, DType.I64, DType.U8, DType.BOOL}) {
            int n = edges.length;
            check("copy F32 edge values -> " + to, EXACT, (k, b) -> k.copy(new int[] {n}, b[0], 0, new int[] {1}, b[1], 0, new int[] {1}),
                    f32("src", edges), new Host("dst", to, randomValues(to, r, n)));
        }
    }

    @Test
    void copyLayouts() {
        Random r = new Random(5);
        int[][][] layouts = {
            {{257}, {1}, {1}},                 // contiguous
            {{4, 7}, {0, 1}, {7, 1}},          // broadcast a row
            {{3, 5, 2}, {1, 3, 15}, {10, 2, 1}}, // a full permutation
            {{}, {}, {}},                      // 0-d
            {{1000}, {3}, {1}},                // gather every third element
        };
        for (int[][] l : layouts) {
            int[] shape = l[0];
            int src = Broadcast.reach(0, shape, l[1]), dst = Broadcast.reach(1, shape, l[2]);
            check("copy " + Arrays.toString(shape) + " strides " + Arrays.toString(l[1]) + " -> " + Arrays.toString(l[2]), EXACT,
                    (k, b) -> k.copy(shape, b[0], 0, l[1], b[1], 1, l[2]),
                    f32("src", uniform(r, src, -1, 1)), new Host("dst", DType.BF16, randomValues(DType.BF16, r, dst)));
        }
    }

    @Test
    void fillEveryDtype() {
        Random r = new Random(6);
        for (DType dtype : DType.values())
            for (double value : new double[] {2.7, -1, 1e10}) {
                check("fill " + dtype + " " + value, EXACT, (k, b) -> k.fill(b[0], 3, 257, value),
                        new Host("out", dtype, randomValues(dtype, r, 3 + 257 + 2)));
            }
    }

    // ---------------------------------------------------------------------------------------
    // reductions, softmax, layer norm

    @Test
    void reduceEveryOpOverRowsAndColumns() {
        Random r = new Random(7);
        // The last four are long enough for SUM and MAX to split dim over blocks and reduce twice.
        int[][] shapes = {{1, 1000, 1}, {33, 257, 1}, {7, 1, 1}, {3, 257, 7}, {2, 5, 33}, {1, 40, 1000}, {4, 0, 3},
            {1, 20000, 1}, {2, 9000, 1}, {1, 600, 40}, {2, 1000, 7}};
        for (int[] s : shapes) {
            int outer = s[0], dim = s[1], inner = s[2], n = outer * inner, xo = 3;
            for (ReduceOp op : ReduceOp.values()) {
                if (dim == 0 && op != ReduceOp.SUM) continue; // max of nothing is an error (badArgumentsAreNamed)
                // Quarters for MAX and ARGMAX: many ties, which must resolve to the first.
                float[] x = op == ReduceOp.SUM ? uniform(r, xo + outer * dim * inner, -1, 1) : quarters(r, xo + outer * dim * inner);
                Host out = op == ReduceOp.ARGMAX ? new Host("out", DType.I64, randomValues(DType.I64, r, n))
                        : f32("out", uniform(r, n, -1, 1));
                check("reduce " + op + " " + Arrays.toString(s), op == ReduceOp.ARGMAX ? EXACT : REDUCTION,
                        (k, b) -> k.reduce(op, b[0], xo, outer, dim, inner, b[1]), f32("x", x), out);
            }
        }
    }

    @Test
    void maxAndArgmaxLetTheFirstNaNWin() {
        Random r = new Random(8);
        for (int[] s : new int[][] {{5, 257, 1}, {2, 37, 9}}) {
            int outer = s[0], dim = s[1], inner = s[2], n = outer * inner;
            float[] x = quarters(r, outer * dim * inner);
            for (int i = 0; i < x.length; i += 41) x[i] = Float.NaN;
            check("max with NaN " + Arrays.toString(s), EXACT, (k, b) -> k.reduce(ReduceOp.MAX, b[0], 0, outer, dim, inner, b[1]),
                    f32("x", x), f32("out", uniform(r, n, -1, 1)));
            check("argmax with NaN " + Arrays.toString(s), EXACT, (k, b) -> k.reduce(ReduceOp.ARGMAX, b[0], 0, outer, dim, inner, b[1]),
                    f32("x", x), new Host("out", DType.I64, randomValues(DType.I64, r, n)));
        }
    }

    private static final int[][] ROWS_COLS = {{1, 1}, {7, 33}, {33, 257}, {3, 1000}};

    @Test
    void softmaxForwardAndBackward() {
        Random r = new Random(9);
        for (boolean log : new boolean[] {false, true})
            for (int[] s : ROWS_COLS) {
                int rows = s[0], cols = s[1], n = rows * cols;
                float[] x = uniform(r, 2 + n, -4, 4);
                check((log ? "logSoftmax " : "softmax ") + Arrays.toString(s), REDUCTION,
                        (k, b) -> k.softmax(log, b[0], 2, b[1], rows, cols), f32("x", x), f32("y", uniform(r, n, -1, 1)));
                float[] y = new float[n];
                Softmax.forward(log, x, 2, y, 0, rows, cols);
                check((log ? "logSoftmax " : "softmax ") + Arrays.toString(s) + " backward", REDUCTION,
                        (k, b) -> k.softmaxBackward(log, b[0], b[1], b[2], rows, cols),
                        f32("y", y), f32("gy", uniform(r, n, -1, 1)), f32("gx", uniform(r, n, -1, 1)));
            }
    }

    @Test
    void layerNormForwardAndBackward() {
        Random r = new Random(10);
        for (int[] s : new int[][] {{1, 7}, {33, 257}, {5, 1000}, {70, 40}}) {
            int rows = s[0], cols = s[1], n = rows * cols, xo = 3;
            float eps = 1e-5f;
            // An offset mean and a spread, as activations have.
            float[] x = uniform(r, xo + n, 1, 5);
            float[] gamma = uniform(r, cols, 0.5, 1.5), beta = uniform(r, cols, -1, 1);
            check("layerNorm " + Arrays.toString(s), REDUCTION,
                    (k, b) -> k.layerNorm(b[0], xo, b[1], b[2], eps, b[3], b[4], b[5], rows, cols),
                    f32("x", x), f32("gamma", gamma), f32("beta", beta), f32("y", uniform(r, n, -1, 1)),
                    f32("mean", uniform(r, rows, -1, 1)), f32("rstd", uniform(r, rows, -1, 1)));
            float[] y = new float[n], mean = new float[rows], rstd = new float[rows];
            LayerNorm.forward(x, xo, gamma, beta, eps, y, mean, rstd, rows, cols);
            // gGamma and gBeta start non-zero: the backward accumulates into them.
            check("layerNorm " + Arrays.toString(s) + " backward", REDUCTION,
                    (k, b) -> k.layerNormBackward(b[0], xo, b[1], b[2], b[3], b[4], b[5], b[6], b[7], rows, cols),
                    f32("x", x), f32("gamma", gamma), f32("mean", mean), f32("rstd", rstd), f32("gy", uniform(r, n, -1, 1)),
                    f32("gx", uniform(r, n, -1, 1)), f32("gGamma", uniform(r, cols, -1, 1)), f32("gBeta", uniform(r, cols, -1, 1)));
        }
    }

    // ---------------------------------------------------------------------------------------
    // indexing, pooling, AdamW

    /** count indices in [0, dim), repeats included, as I32 or I64, after `offset` entries of padding. */
    private static Host indices(DType dtype, Random r, int offset, int count, int dim) {
        Object v = dtype.newHostArray(offset + count);
        for (int i = 0; i < offset + count; i++) {
            int k = i < offset ? -1 : r.nextInt(dim);
            if (dtype == DType.I32) ((int[]) v)[i] = k;
            else ((long[]) v)[i] = k;
        }
        return new Host("index", dtype, v);
    }

    @Test
    void indexingSelectsGathersAndScatters() {
        Random r = new Random(11);
        int outer = 3, dim = 7, count = 33, inner = 5, so = 2, io = 4;
        int sides = outer * count * inner, full = outer * dim * inner;
        for (DType type : new DType[] {DType.I32, DType.I64}) {
            check("indexSelect " + type, EXACT, (k, b) -> k.indexSelect(b[0], so, b[1], io, b[2], outer, dim, count, inner),
                    f32("src", uniform(r, so + full, -1, 1)), indices(type, r, io, count, dim), f32("out", uniform(r, sides, -1, 1)));
            check("gather " + type, EXACT, (k, b) -> k.gather(b[0], so, b[1], io, b[2], outer, dim, count, inner),
                    f32("src", uniform(r, so + full, -1, 1)), indices(type, r, io, sides, dim), f32("out", uniform(r, sides, -1, 1)));
            // Quarters sum exactly in any order, so the atomics' order cannot change the result.
            check("indexAdd " + type, EXACT, (k, b) -> k.indexAdd(b[0], b[1], io, b[2], outer, dim, count, inner),
                    f32("g", quarters(r, sides)), indices(type, r, io, count, dim), f32("dst", quarters(r, full)));
            check("scatterAdd " + type, EXACT, (k, b) -> k.scatterAdd(b[0], b[1], io, b[2], outer, dim, count, inner),
                    f32("g", quarters(r, sides)), indices(type, r, io, sides, dim), f32("dst", quarters(r, full)));
        }
    }

    @Test
    void avgPool2dForwardAndBackward() {
        Random r = new Random(12);
        Pool2dShape[] shapes = {
            new Pool2dShape(2, 3, 7, 9, 3, 2, 2, 1, 1, 1),   // overlapping windows, padding
            new Pool2dShape(3, 2, 14, 14, 7, 7, 7, 7, 0, 0), // kernel = stride, as ModifiedResNet's pools
            new Pool2dShape(1, 5, 11, 6, 4, 3, 3, 2, 2, 1),  // the stride leaves the last rows out
            new Pool2dShape(1, 1, 1, 1, 1, 1, 1, 1, 0, 0),   // identity
        };
        for (Pool2dShape s : shapes) {
            int in = s.n() * s.c() * s.h() * s.w(), out = s.n() * s.c() * s.hOut() * s.wOut();
            check("avgPool2d " + s, ELEMENTWISE, (k, b) -> k.avgPool2d(b[0], b[1], s),
                    f32("x", uniform(r, in, -1, 1)), f32("y", uniform(r, out, -1, 1)));
            check("avgPool2d backward " + s, ELEMENTWISE, (k, b) -> k.avgPool2dBackward(b[0], b[1], s),
                    f32("gy", uniform(r, out, -1, 1)), f32("gx", uniform(r, in, -1, 1)));
        }
    }

    @Test
    void adamWMatchesTheCpuStep() {
        Random r = new Random(13);
        for (int n : SIZES)
            for (int t : new int[] {1, 7}) {
                // Each operand at its own offset, as an optimizer's flat storages place them.
                check("adamW n=" + n + " t=" + t, ELEMENTWISE,
                        (k, b) -> k.adamW(new AdamWStep(1e-3f, 0.9f, 0.98f, 1e-6f, 0.2f, t), b[0], 1, b[1], 2, b[2], 3, b[3], 0, n),
                        f32("param", uniform(r, n + 1, -1, 1)), f32("grad", uniform(r, n + 2, -1, 1)),
                        f32("m", uniform(r, n + 3, -0.1, 0.1)), f32("v", uniform(r, n, 1e-4, 1e-2)));
            }
    }

    // ---------------------------------------------------------------------------------------
    // launcher contracts

    @Test
    void emptySizesLaunchNothing() {
        Kernels k = CudaDevice.get(0).kernels();
        try (Buffer x = k.allocate(DType.F32, 4); Buffer i = k.allocate(DType.I64, 4)) {
            k.unary(UnaryOp.EXP, 0, x, 4, x, 4, 0);
            k.binary(BinaryOp.ADD, new int[] {3, 0}, x, 0, new int[] {1, 1}, x, 0, new int[] {1, 1}, x, 0);
            k.copy(new int[] {0, 5}, x, 0, new int[] {5, 1}, i, 0, new int[] {5, 1});
            k.reduce(ReduceOp.SUM, x, 0, 0, 3, 1, x);
            k.softmax(false, x, 0, x, 0, 7);
            k.indexSelect(x, 0, i, 0, x, 1, 4, 0, 1);
            k.adamW(new AdamWStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0, 1), x, 0, x, 0, x, 0, x, 0, 0);
            CudaDevice.get(0).synchronize();
        }
    }

    @Test
    void badArgumentsAreNamed() {
        Kernels k = CudaDevice.get(0).kernels();
        try (Buffer x = k.allocate(DType.F32, 10); Buffer ints = k.allocate(DType.I32, 10)) {
            assertMessage(IndexOutOfBoundsException.class, "x", () -> k.unary(UnaryOp.EXP, 0, x, 5, x, 0, 6));
            assertMessage(IllegalArgumentException.class, "out must be I64",
                    () -> k.reduce(ReduceOp.ARGMAX, x, 0, 2, 5, 1, x));
            assertMessage(IllegalArgumentException.class, "index must be I32 or I64",
                    () -> k.indexSelect(x, 0, x, 0, x, 1, 2, 2, 1));
            assertMessage(IllegalArgumentException.class, "y must be F32",
                    () -> k.softmax(false, x, 0, ints, 2, 5));
            assertMessage(IndexOutOfBoundsException.class, "b with offset 1",
                    () -> k.binary(BinaryOp.ADD, new int[] {2, 5}, x, 0, new int[] {5, 1}, x, 1, new int[] {5, 1}, x, 0));
            assertMessage(IllegalArgumentException.class, "empty dimension",
                    () -> k.reduce(ReduceOp.MAX, x, 0, 2, 0, 1, x));
        }
    }

    private static void assertMessage(Class<? extends RuntimeException> type, String part, Runnable call) {
        RuntimeException e = assertThrows(type, call::run);
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should name '" + part + "'");
    }
}
