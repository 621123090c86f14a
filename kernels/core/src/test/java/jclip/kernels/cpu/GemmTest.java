package jclip.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GemmTest {

    /** Fast kernels under test: the Vector API one (when the module is present) and the plain-Java one. */
    static List<GemmMicroKernel> kernels() {
        List<GemmMicroKernel> ks = new ArrayList<>();
        GemmMicroKernel v = Gemm.vectorKernel();
        if (v != null) ks.add(v);
        ks.add(Gemm.scalarKernel());
        return ks;
    }

    static Stream<Arguments> kernelArgs() {
        return kernels().stream().map(k -> Arguments.of(k.name(), k));
    }

    /** One problem: sizes, layout (padding, offsets, strides) and scalars. */
    record Case(boolean tA, boolean tB, int m, int n, int k, float alpha, float beta, int batch,
            int padA, int padB, int padC, int offA, int offB, int offC, int gapA, int gapB, int gapC,
            boolean nanC) {

        int lda() { return Math.max(1, tA ? m : k) + padA; }
        int ldb() { return Math.max(1, tB ? k : n) + padB; }
        int ldc() { return Math.max(1, n) + padC; }
        int rowsA() { return tA ? k : m; }
        int rowsB() { return tB ? n : k; }
        int strideA() { return Math.max(0, rowsA() * lda() + gapA); }
        int strideB() { return Math.max(0, rowsB() * ldb() + gapB); }
        int strideC() { return m * ldc() + gapC; }

        static Case plain(boolean tA, boolean tB, int m, int n, int k) {
            return new Case(tA, tB, m, n, k, 1f, 0f, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, false);
        }

        Case scalars(float alpha, float beta) {
            return new Case(tA, tB, m, n, k, alpha, beta, batch, padA, padB, padC, offA, offB, offC, gapA, gapB, gapC, nanC);
        }

        Case layout(int pad, int off) {
            return new Case(tA, tB, m, n, k, alpha, beta, batch, pad, pad + 1, pad + 2, off, off + 3, off + 1, gapA, gapB, gapC, nanC);
        }

        Case batched(int batch, int gap) {
            return new Case(tA, tB, m, n, k, alpha, beta, batch, padA, padB, padC, offA, offB, offC, gap, gap + 2, gap + 1, nanC);
        }

        /** Batch with strideA = 0: the same A for every q. */
        Case sharedA(int batch) {
            return new Case(tA, tB, m, n, k, alpha, beta, batch, padA, padB, padC, offA, offB, offC, -rowsA() * lda(), 3, 2, nanC);
        }

        Case withNanC() {
            return new Case(tA, tB, m, n, k, alpha, beta, batch, padA, padB, padC, offA, offB, offC, gapA, gapB, gapC, true);
        }

        @Override
        public String toString() {
            return (tA ? "T" : "N") + (tB ? "T" : "N") + " " + m + "x" + n + "x" + k + " alpha=" + alpha + " beta=" + beta
                    + " batch=" + batch + " pad=" + padA + "/" + padB + "/" + padC + " off=" + offA + "/" + offB + "/" + offC
                    + " strides=" + strideA() + "/" + strideB() + "/" + strideC() + (nanC ? " NaN-C" : "");
        }
    }

    private static final int[] AWKWARD = {1, 7, 17, 63, 65, 129, 257};

    /** Runs the case with the kernel and with the reference, and compares every element of C. */
    static void check(GemmMicroKernel kernel, Case t, long seed) {
        check(kernel, Gemm.PARALLEL_MIN_WORK, t, seed);
    }

    /** As above, going parallel from {@code parallelMinWork} multiply-adds (0: whenever possible). */
    static void check(GemmMicroKernel kernel, long parallelMinWork, Case t, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int sa = t.strideA(), sb = t.strideB(), sc = t.strideC();
        float[] a = random(rnd, t.offA + (t.batch - 1) * sa + t.rowsA() * t.lda() + 3);
        float[] b = random(rnd, t.offB + (t.batch - 1) * sb + t.rowsB() * t.ldb() + 3);
        float[] c0 = random(rnd, t.offC + (t.batch - 1) * sc + t.m * t.ldc() + 3);
        if (t.nanC) Arrays.fill(c0, Float.NaN);
        float[] expected = c0.clone();
        float[] actual = c0.clone();
        Gemm.reference(t.tA, t.tB, t.m, t.n, t.k, t.alpha, a, t.offA, t.lda(), sa, b, t.offB, t.ldb(), sb,
                t.beta, expected, t.offC, t.ldc(), sc, t.batch);
        Gemm.sgemm(kernel, parallelMinWork, t.tA, t.tB, t.m, t.n, t.k, t.alpha, a, t.offA, t.lda(), sa, b, t.offB,
                t.ldb(), sb, t.beta, actual, t.offC, t.ldc(), sc, t.batch);
        double tol = 1e-5 * Math.sqrt(Math.max(1, t.k));
        boolean[] inC = new boolean[c0.length];
        for (int q = 0; q < t.batch; q++) {
            for (int i = 0; i < t.m; i++) {
                for (int j = 0; j < t.n; j++) {
                    int ci = t.offC + q * sc + i * t.ldc() + j;
                    inC[ci] = true;
                    // Scale of the terms: |alpha| * sum |a||b| + |beta * c|, so cancellation cannot hide errors.
                    double mag = Math.abs(t.beta == 0 ? 0 : (double) t.beta * c0[ci]);
                    for (int p = 0; p < t.k; p++) {
                        float av = t.tA ? a[t.offA + q * sa + p * t.lda() + i] : a[t.offA + q * sa + i * t.lda() + p];
                        float bv = t.tB ? b[t.offB + q * sb + j * t.ldb() + p] : b[t.offB + q * sb + p * t.ldb() + j];
                        mag += Math.abs((double) t.alpha * av * bv);
                    }
                    double err = Math.abs((double) actual[ci] - expected[ci]);
                    if (!(err <= tol * mag + 1e-30) || Float.isNaN(actual[ci])) {
                        fail(kernel.name() + " " + t + ": C[" + q + "](" + i + "," + j + ") = " + actual[ci]
                                + ", reference " + expected[ci] + ", |diff| " + err + " > " + tol * mag);
                    }
                }
            }
        }
        for (int x = 0; x < c0.length; x++) {
            if (!inC[x] && Float.floatToRawIntBits(actual[x]) != Float.floatToRawIntBits(c0[x])) {
                fail(kernel.name() + " " + t + ": wrote outside C at index " + x);
            }
        }
    }

    static float[] random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }

    // ---------------------------------------------------------------------------------------------
    // The reference itself, against hand-computed products

    @Test
    void referenceMatchesHandComputedProducts() {
        // A = [[1,2,3],[4,5,6]] (2x3), B = [[1,0],[0,1],[2,-1]] (3x2): A*B = [[7,-1],[16,-1]]
        float[] aN = {1, 2, 3, 4, 5, 6};
        float[] aT = {1, 4, 2, 5, 3, 6}; // A stored transposed (3x2)
        float[] bN = {1, 0, 0, 1, 2, -1};
        float[] bT = {1, 0, 2, 0, 1, -1}; // B stored transposed (2x3)
        float[] want = {7, -1, 16, -1};
        for (boolean tA : new boolean[] {false, true}) {
            for (boolean tB : new boolean[] {false, true}) {
                float[] c = {100, 100, 100, 100};
                Gemm.reference(tA, tB, 2, 2, 3, 1f, tA ? aT : aN, 0, tA ? 2 : 3, 0, tB ? bT : bN, 0, tB ? 3 : 2, 0,
                        0f, c, 0, 2, 0, 1);
                assertEquals(Arrays.toString(want), Arrays.toString(c), "tA=" + tA + " tB=" + tB);
                // alpha = 2, beta = 0.5 on C = 100
                float[] c2 = {100, 100, 100, 100};
                Gemm.reference(tA, tB, 2, 2, 3, 2f, tA ? aT : aN, 0, tA ? 2 : 3, 0, tB ? bT : bN, 0, tB ? 3 : 2, 0,
                        0.5f, c2, 0, 2, 0, 1);
                assertEquals("[64.0, 48.0, 82.0, 48.0]", Arrays.toString(c2));
            }
        }
    }

    @Test
    void implementationIsNamed() {
        String impl = Gemm.implementation();
        assertNotNull(impl);
        boolean vectorPresent = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        if (vectorPresent && !"false".equalsIgnoreCase(System.getProperty("jclip.vector"))) {
            assertTrue(impl.startsWith("vector"), impl);
        } else {
            assertTrue(impl.startsWith("scalar"), impl);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Fast vs reference

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelArgs")
    void squareAwkwardSizesAllTransposes(String name, GemmMicroKernel kernel) {
        long seed = 1;
        for (int s : AWKWARD) {
            for (int tr = 0; tr < 4; tr++) {
                check(kernel, Case.plain((tr & 1) != 0, (tr & 2) != 0, s, s, s), seed++);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelArgs")
    void nonSquareSizesAllTransposes(String name, GemmMicroKernel kernel) {
        int[][] shapes = {
            {1, 257, 17}, {257, 1, 63}, {7, 129, 65}, {65, 7, 129}, {129, 65, 7}, {17, 63, 257}, {63, 17, 1},
            {1, 1, 257}, {257, 65, 1}, {2, 1000, 3}, {77, 77, 64}, {77, 64, 77},
            {120, 40, 2100},  // k spans three KC slices
            {20, 3200, 24},   // n spans two NC blocks
            {33, 515, 1290},  // k spans two slices, n not a multiple of any panel width
        };
        long seed = 100;
        for (int[] s : shapes) {
            for (int tr = 0; tr < 4; tr++) {
                check(kernel, Case.plain((tr & 1) != 0, (tr & 2) != 0, s[0], s[1], s[2]), seed++);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelArgs")
    void kZeroScalesC(String name, GemmMicroKernel kernel) {
        check(kernel, Case.plain(false, false, 17, 9, 0).scalars(1f, 0.5f), 7);
        check(kernel, Case.plain(true, true, 17, 9, 0).scalars(1f, 0f).withNanC(), 8);
        check(kernel, Case.plain(false, true, 5, 65, 0).scalars(2f, 1f).layout(3, 2), 9);
        // k = 0: A and B are not read, so they may be empty arrays.
        float[] c = {1, 2, 3, 4};
        Gemm.sgemm(kernel, false, false, 2, 2, 0, 1f, new float[0], 0, 1, 0, new float[0], 0, 2, 0, 3f, c, 0, 2, 0, 1);
        assertEquals("[3.0, 6.0, 9.0, 12.0]", Arrays.toString(c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelArgs")
    void kOne(String name, GemmMicroKernel kernel) {
        long seed = 200;
        for (int tr = 0; tr < 4; tr++) {
            check(kernel, Case.plain((tr & 1) != 0, (tr & 2) != 0, 65, 129, 1), seed++);
            check(kernel, Case.plain((tr & 1) != 0, (tr & 2) != 0, 300, 300, 1).scalars(0.5f, 1f), seed++);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelArgs")
    void paddedLeadingDimensionsAndOffsets(String name, GemmMicroKernel kernel) {
        long seed = 300;
        int[][] shapes = {{7, 17, 63}, {65, 33, 129}, {129, 70, 257}, {1, 40, 9}};
        for (int[] s : shapes) {
            for (int tr = 0; tr < 4; tr++) {
                check(kernel, Case.plain((tr & 1) != 0, (tr & 2) != 0, s[0], s[1], s[2]).layout(5, 11), seed++);
                check(kernel, Case.plain((tr & 1) != 0, (tr & 2) != 0, s[0], s[1], s[2]).layout(1, 1)
                        .scalars(-0.75f, 0.25f), seed++);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelArgs")
    void alphaBeta(String name, GemmMicroKernel kernel) {
        float[][] ab = {{1f, 0f}, {0.5f, 0f}, {-1.5f, 1f}, {2f, -0.75f}, {1f, 1f}, {0.25f, 3f}};
        long seed = 400;
        for (float[] s : ab) {
            for (int tr = 0; tr < 4; tr++) {
                boolean tA = (tr & 1) != 0, tB = (tr & 2) != 0;
                check(kernel, Case.plain(tA, tB, 65, 63, 129).scalars(s[0], s[1]), seed++);
                check(kernel, Case.plain(tA, tB, 7, 300, 257).scalars(s[0], s[1]).layout(2, 3), seed++);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelArgs")
    void betaZeroDoesNotReadC(String name, GemmMicroKernel kernel) {
        long seed = 500;
        int[][] shapes = {{1, 1, 1}, {7, 17, 63}, {65, 129, 7}, {257, 257, 257}, {20, 10, 3}};
        for (int[] s : shapes) {
            for (int tr = 0; tr < 4; tr++) {
                check(kernel, Case.plain((tr & 1) != 0, (tr & 2) != 0, s[0], s[1], s[2]).scalars(1.25f, 0f).withNanC(), seed++);
            }
        }
        // batched, on the parallel-over-batch path
        check(kernel, Case.plain(false, true, 77, 77, 64).scalars(0.125f, 0f).batched(16, 5).withNanC(), seed++);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelArgs")
    void alphaZeroDoesNotReadAB(String name, GemmMicroKernel kernel) {
        float[] a = new float[6], b = new float[6];
        Arrays.fill(a, Float.NaN);
        Arrays.fill(b, Float.POSITIVE_INFINITY);
        float[] c = {1, 2, 3, 4};
        Gemm.sgemm(kernel, false, false, 2, 2, 3, 0f, a, 0, 3, 0, b, 0, 2, 0, 2f, c, 0, 2, 0, 1);
        assertEquals("[2.0, 4.0, 6.0, 8.0]", Arrays.toString(c));
        Gemm.sgemm(kernel, false, false, 2, 2, 3, 0f, a, 0, 3, 0, b, 0, 2, 0, 0f, c, 0, 2, 0, 1);
        assertEquals("[0.0, 0.0, 0.0, 0.0]", Arrays.toString(c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelArgs")
    void batchedWithStrides(String name, GemmMicroKernel kernel) {
        long seed = 600;
        for (int tr = 0; tr < 4; tr++) {
            boolean tA = (tr & 1) != 0, tB = (tr & 2) != 0;
            check(kernel, Case.plain(tA, tB, 7, 17, 63).batched(3, 4), seed++);
            check(kernel, Case.plain(tA, tB, 17, 9, 33).layout(2, 5).scalars(0.5f, 1f).batched(5, 0), seed++);
            // many small products: parallel over the batch
            check(kernel, Case.plain(tA, tB, 33, 31, 40).scalars(1f, 0.5f).batched(24, 7), seed++);
        }
        // attention shape: batch of 77x64 * (77x64)^T and 77x77 * 77x64
        check(kernel, Case.plain(false, true, 77, 77, 64).scalars(0.125f, 0f).batched(32, 0), seed++);
        check(kernel, Case.plain(false, false, 77, 64, 77).batched(32, 0), seed++);
        // a few large products: each split over the threads
        check(kernel, Case.plain(true, false, 150, 140, 300).scalars(1f, -1f).batched(2, 9), seed++);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelArgs")
    void broadcastOperandWithStrideZero(String name, GemmMicroKernel kernel) {
        // strideA = 0: the same A for every q (e.g. one weight matrix for a batch of inputs).
        long seed = 700;
        check(kernel, Case.plain(false, false, 9, 33, 17).sharedA(6), seed++);
        check(kernel, Case.plain(true, true, 40, 20, 70).layout(2, 1).sharedA(20), seed++);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelArgs")
    void singleProductsOnTheParallelPath(String name, GemmMicroKernel kernel) {
        long seed = 800;
        // Past the default threshold (about 320^3).
        check(kernel, Case.plain(false, false, 400, 300, 300), seed++);
        // Forced parallel on smaller problems (threshold 0), all transposes, awkward sizes.
        for (int tr = 0; tr < 4; tr++) {
            boolean tA = (tr & 1) != 0, tB = (tr & 2) != 0;
            check(kernel, 0, Case.plain(tA, tB, 301, 299, 300).scalars(0.5f, 2f).layout(3, 7), seed++);
            check(kernel, 0, Case.plain(tA, tB, 65, 129, 257).withNanC(), seed++);
            check(kernel, 0, Case.plain(tA, tB, 1, 4000, 30), seed++);    // one row: split over columns
            check(kernel, 0, Case.plain(tA, tB, 2000, 3, 20), seed++);    // three columns: split over rows
            check(kernel, 0, Case.plain(tA, tB, 7, 17, 2100), seed++);    // k spans three KC slices
            check(kernel, 0, Case.plain(tA, tB, 30, 3300, 9), seed++);    // n spans two NC blocks
        }
        // k large enough that the packed-B cap shrinks the column block.
        check(kernel, 0, Case.plain(false, true, 9, 1100, 2500), seed++);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelArgs")
    void batchesOnTheParallelPaths(String name, GemmMicroKernel kernel) {
        long seed = 850;
        // threshold 0: 3 items on 2 threads, each split over the threads; 24 items, split over the batch
        check(kernel, 0, Case.plain(false, true, 70, 60, 50).scalars(1f, 0.5f).batched(3, 5), seed++);
        check(kernel, 0, Case.plain(true, false, 33, 31, 40).batched(24, 2).withNanC(), seed++);
        check(kernel, 0, Case.plain(false, false, 9, 33, 17).sharedA(7), seed++);
    }

    @Test
    void publicEntryPointMatchesReference() {
        check(Gemm.kernel(), Case.plain(false, true, 65, 66, 67).scalars(0.5f, 0.5f), 900);
        SplittableRandom rnd = new SplittableRandom(901);
        float[] a = random(rnd, 40 * 30), b = random(rnd, 30 * 20), c1 = new float[40 * 20], c2 = new float[40 * 20];
        Gemm.sgemm(false, false, 40, 20, 30, 1f, a, 0, 30, 0, b, 0, 20, 0, 0f, c1, 0, 20, 0, 1);
        Gemm.reference(false, false, 40, 20, 30, 1f, a, 0, 30, 0, b, 0, 20, 0, 0f, c2, 0, 20, 0, 1);
        for (int i = 0; i < c1.length; i++) assertEquals(c2[i], c1[i], 1e-5 * Math.sqrt(30) * 30);
    }

    @Test
    void nestedCallsFromInsideParallelBodies() {
        // Each product is large enough to fork on its own; called from pool workers, the forks nest.
        int items = 4, m = 330, n = 330, k = 320;
        SplittableRandom rnd = new SplittableRandom(950);
        float[][] as = new float[items][], bs = new float[items][], cs = new float[items][];
        for (int i = 0; i < items; i++) {
            as[i] = random(rnd, m * k);
            bs[i] = random(rnd, k * n);
            cs[i] = new float[m * n];
        }
        Parallel.forRange(items, (long) m * n * k, (from, to) -> {
            for (int i = from; i < to; i++) {
                Gemm.sgemm(false, false, m, n, k, 1f, as[i], 0, k, 0, bs[i], 0, n, 0, 0f, cs[i], 0, n, 0, 1);
            }
        });
        for (int i = 0; i < items; i++) {
            float[] want = new float[m * n];
            Gemm.reference(false, false, m, n, k, 1f, as[i], 0, k, 0, bs[i], 0, n, 0, 0f, want, 0, n, 0, 1);
            for (int x = 0; x < want.length; x++) assertEquals(want[x], cs[i][x], 1e-5 * Math.sqrt(k) * k, "item " + i);
        }
    }

    @Test
    void kernelsAgreeWithEachOther() {
        List<GemmMicroKernel> ks = kernels();
        SplittableRandom rnd = new SplittableRandom(1000);
        int m = 123, n = 77, k = 211;
        float[] a = random(rnd, m * k), b = random(rnd, k * n);
        float[] first = null;
        for (GemmMicroKernel kernel : ks) {
            float[] c = new float[m * n];
            Gemm.sgemm(kernel, false, false, m, n, k, 1f, a, 0, k, 0, b, 0, n, 0, 0f, c, 0, n, 0, 1);
            if (first == null) {
                first = c;
            } else {
                for (int i = 0; i < c.length; i++) assertEquals(first[i], c[i], 2e-5 * Math.sqrt(k) * 10);
            }
        }
    }

    @Test
    void emptyProductsAreNoOps() {
        float[] c = {1, 2, 3};
        for (GemmMicroKernel kernel : kernels()) {
            Gemm.sgemm(kernel, false, false, 0, 3, 5, 1f, new float[0], 0, 5, 0, new float[15], 0, 3, 0, 0f, c, 0, 3, 0, 1);
            Gemm.sgemm(kernel, false, false, 1, 0, 5, 1f, new float[5], 0, 5, 0, new float[0], 0, 1, 0, 0f, c, 0, 1, 0, 1);
            Gemm.sgemm(kernel, false, false, 1, 3, 5, 1f, new float[5], 0, 5, 0, new float[15], 0, 3, 0, 0f, c, 0, 3, 0, 0);
        }
        assertEquals("[1.0, 2.0, 3.0]", Arrays.toString(c));
    }

    // ---------------------------------------------------------------------------------------------
    // Argument checks

    /** Calls sgemm with one argument changed from a valid 4x5x6 NN problem. */
    private static void call(String change, Object value) {
        boolean tA = false, tB = false;
        int m = 4, n = 5, k = 6, lda = 6, ldb = 5, ldc = 5, aOff = 0, bOff = 0, cOff = 0, sA = 24, sB = 30, sC = 20, batch = 1;
        float[] a = new float[24], b = new float[30], c = new float[20];
        switch (change) {
            case "m" -> m = (int) value;
            case "n" -> n = (int) value;
            case "k" -> k = (int) value;
            case "batch" -> batch = (int) value;
            case "lda" -> lda = (int) value;
            case "ldb" -> ldb = (int) value;
            case "ldc" -> ldc = (int) value;
            case "aOff" -> aOff = (int) value;
            case "bOff" -> bOff = (int) value;
            case "cOff" -> cOff = (int) value;
            case "strideA" -> { sA = (int) value; batch = 2; a = new float[100]; b = new float[100]; c = new float[100]; }
            case "strideB" -> { sB = (int) value; batch = 2; a = new float[100]; b = new float[100]; c = new float[100]; }
            case "strideC" -> { sC = (int) value; batch = 2; a = new float[100]; b = new float[100]; c = new float[100]; }
            case "a" -> a = (float[]) value;
            case "b" -> b = (float[]) value;
            case "c" -> c = (float[]) value;
            case "ldaT" -> { tA = true; lda = (int) value; }
            case "ldbT" -> { tB = true; ldb = (int) value; }
            default -> throw new IllegalArgumentException(change);
        }
        Gemm.sgemm(tA, tB, m, n, k, 1f, a, aOff, lda, sA, b, bOff, ldb, sB, 0f, c, cOff, ldc, sC, batch);
    }

    private static void assertRejected(String argName, String change, Object value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> call(change, value),
                change + " = " + value);
        assertTrue(e.getMessage().startsWith(argName + " "), "message should start with " + argName + ": " + e.getMessage());
    }

    @Test
    void validProblemIsAccepted() {
        call("m", 4);
        call("strideC", 20);
        call("strideA", 0);
    }

    @Test
    void badArgumentsAreRejectedWithTheirName() {
        assertRejected("m", "m", -1);
        assertRejected("n", "n", -1);
        assertRejected("k", "k", -2);
        assertRejected("batch", "batch", -1);
        assertRejected("lda", "lda", 5);       // A is 4x6 (row length 6)
        assertRejected("lda", "ldaT", 3);      // A stored transposed is 6x4 (row length 4)
        assertRejected("ldb", "ldb", 4);       // B is 6x5
        assertRejected("ldb", "ldbT", 5);      // B stored transposed is 5x6
        assertRejected("ldc", "ldc", 4);
        assertRejected("aOff", "aOff", -1);
        assertRejected("bOff", "bOff", -1);
        assertRejected("cOff", "cOff", -3);
        assertRejected("strideA", "strideA", -1);
        assertRejected("strideB", "strideB", -5);
        assertRejected("strideC", "strideC", -1);
        assertRejected("strideC", "strideC", 19); // the two C matrices would overlap
        assertRejected("a", "a", new float[23]);
        assertRejected("b", "b", new float[29]);
        assertRejected("c", "c", new float[19]);
        assertRejected("a", "aOff", 1);        // offset pushes the last element past the end
        assertRejected("b", "bOff", 1);
        assertRejected("c", "cOff", 1);
        assertRejected("a", "strideA", 80);    // second A ends past the end of a[100]
        assertRejected("a", "a", null);
    }

    @Test
    void referenceRejectsTheSameArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Gemm.reference(false, false,
                2, 2, 2, 1f, new float[4], 0, 1, 0, new float[4], 0, 2, 0, 0f, new float[4], 0, 2, 0, 1));
        assertTrue(e.getMessage().contains("lda"), e.getMessage());
    }

    @Test
    void arraysTooShortWhenUntouchedAreFine() {
        // beta = 0, k = 0: A and B are never read, so their lengths do not matter.
        float[] c = new float[6];
        Arrays.fill(c, Float.NaN);
        Gemm.sgemm(false, false, 2, 3, 0, 1f, null, 0, 1, 0, null, 0, 3, 0, 0f, c, 0, 3, 0, 1);
        for (float x : c) assertFalse(Float.isNaN(x));
    }
    /**
     * x·Wᵀ with few rows of x takes the weight-stationary path (W read in place, never packed); the
     * same product with Wᵀ stored takes the packed path. Every element is the same FMA chain, so the
     * two agree bit for bit, with x transposed, with beta and across KC slices (k = 3,072).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelArgs")
    void weightStationaryPathEqualsPackedPathBitForBit(String name, GemmMicroKernel kernel) {
        int[][] shapes = {{1, 64, 33}, {50, 2304, 768}, {50, 768, 3072}, {17, 130, 1500}, {7, 7, 5}, {256, 300, 64}};
        SplittableRandom rnd = new SplittableRandom(41);
        for (int[] shape : shapes) {
            int m = shape[0], n = shape[1], k = shape[2];
            for (boolean tA : new boolean[] {false, true}) {
                for (float beta : new float[] {0f, 0.5f}) {
                    float[] x = random(rnd, m * k), w = random(rnd, n * k), wt = new float[k * n];
                    for (int j = 0; j < n; j++) for (int p = 0; p < k; p++) wt[p * n + j] = w[j * k + p];
                    float[] c1 = random(rnd, m * n), c2 = c1.clone();
                    int lda = tA ? m : k;
                    Gemm.sgemm(kernel, 0, tA, true, m, n, k, 1f, x, 0, lda, 0, w, 0, k, 0, beta, c1, 0, n, 0, 1);
                    Gemm.sgemm(kernel, 0, tA, false, m, n, k, 1f, x, 0, lda, 0, wt, 0, n, 0, beta, c2, 0, n, 0, 1);
                    for (int e = 0; e < c1.length; e++) {
                        if (Float.floatToRawIntBits(c1[e]) != Float.floatToRawIntBits(c2[e])) {
                            fail(name + " " + m + "x" + n + "x" + k + (tA ? " x transposed" : "") + " beta " + beta
                                    + ": element " + e + " is " + c1[e] + " weight-stationary, " + c2[e] + " packed");
                        }
                    }
                }
            }
        }
    }
}
