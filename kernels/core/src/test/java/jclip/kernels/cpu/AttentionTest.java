package jclip.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import jclip.kernels.AttentionShape;
import jclip.kernels.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused attention forward and backward (both tile kernels) against the double-precision
 * reference on fresh random inputs of awkward sizes, masks, strides and offsets, with the default
 * tiles and with small ones that cross many tiles, bands and key chunks; the reference against a
 * naive composition and its backward against finite differences; and a 4,096-token sequence.
 */
class AttentionTest {
    /** Forward tolerance, relative to the largest output: float accumulation against double. */
    private static final double FORWARD_TOL = 1e-5;
    /** Backward tolerance, relative to each gradient's largest element (dS = P∘(gP − D) cancels). */
    private static final double BACKWARD_TOL = 2e-5;

    static Stream<Arguments> kernels() {
        List<Arguments> ks = new ArrayList<>();
        AttentionTileKernel v = Attention.vectorKernel();
        if (v != null) ks.add(Arguments.of(v.name(), v));
        AttentionTileKernel s = Attention.scalarKernel();
        ks.add(Arguments.of(s.name(), s));
        return ks.stream();
    }

    /** How the scores are masked. */
    enum Masking {
        NONE, CAUSAL,
        /** One [queries, keys] mask for every batch and head. */
        BROADCAST,
        /** A mask per batch, shared by its heads. */
        PER_BATCH,
        /** A mask per (batch, head). */
        PER_HEAD,
        /** Causal and a broadcast mask. */
        CAUSAL_AND_MASK
    }

    /** One problem's inputs, q, k and v at offsets into longer arrays. */
    record Problem(AttentionShape s, float[] q, int qo, float[] k, int ko, float[] v, int vo, float[] mask, float[] gOut) {
        @Override
        public String toString() {
            return "[" + s.batch() + ", " + s.heads() + ", " + s.queries() + "/" + s.keys() + ", " + s.headDim() + "]"
                    + (s.causal() ? " causal" : "") + (mask == null ? "" : " mask strides " + s.maskBatchStride() + "/"
                    + s.maskHeadStride()) + " scale " + s.scale();
        }
    }

    private static float[] gaussian(SplittableRandom rnd, int n, double sd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            // Box-Muller; never exactly zero in practice, and no two draws alike.
            double u = rnd.nextDouble(1e-12, 1), w = rnd.nextDouble();
            x[i] = (float) (sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w));
        }
        return x;
    }

    private static float[] bf16Valued(float[] x) {
        float[] r = new float[x.length];
        for (int i = 0; i < x.length; i++) r[i] = HalfFloat.bf16ToFloat(HalfFloat.floatToBf16(x[i]));
        return r;
    }

    static Problem problem(SplittableRandom rnd, int batch, int heads, int lq, int lk, int d, Masking masking,
            float scale, boolean bf16) {
        boolean causal = masking == Masking.CAUSAL || masking == Masking.CAUSAL_AND_MASK;
        AttentionShape s = new AttentionShape(batch, heads, lq, lk, d, scale, causal, 0, 0);
        float[] mask = null;
        int maskLength = 0;
        switch (masking) {
            case BROADCAST, CAUSAL_AND_MASK -> maskLength = lq * lk;
            case PER_BATCH -> {
                s = s.withMaskStrides(lq * lk, 0);
                maskLength = batch * lq * lk;
            }
            case PER_HEAD -> {
                s = s.withMaskStrides(heads * lq * lk + 3, lq * lk);
                maskLength = batch * (heads * lq * lk + 3);
            }
            default -> { }
        }
        if (maskLength > 0) {
            mask = gaussian(rnd, maskLength, 1.5);
            // Some hidden keys, but never a whole row (fullyHiddenRowsGiveNaN covers that).
            for (int e = 0; e < maskLength; e++) if (rnd.nextInt(7) == 0 && e % lk != 0) mask[e] = Float.NEGATIVE_INFINITY;
        }
        int qo = 3, ko = 5, vo = 7;
        float[] q = gaussian(rnd, qo + s.queryElements() + 2, 1);
        float[] k = gaussian(rnd, ko + s.keyElements() + 1, 1);
        float[] v = gaussian(rnd, vo + s.keyElements() + 3, 1);
        if (bf16) {
            q = bf16Valued(q);
            k = bf16Valued(k);
            v = bf16Valued(v);
        }
        return new Problem(s, q, qo, k, ko, v, vo, mask, gaussian(rnd, s.queryElements(), 1));
    }

    static Problem problem(SplittableRandom rnd, int batch, int heads, int lq, int lk, int d, Masking masking) {
        return problem(rnd, batch, heads, lq, lk, d, masking, (float) (1 / Math.sqrt(d)), false);
    }

    /**
     * Largest |x| over finite elements, at least 1. The inputs have unit variance, so the terms
     * summed are O(1); a gradient can be exactly 0 in double while float leaves the rounding noise
     * of the O(1) terms whose difference it is (gq and gk when a row sees a single key: P = 1, so
     * gP = D exactly, and dS is that noise).
     */
    private static double scaleOf(float[] x) {
        double m = 1;
        for (float e : x) if (Float.isFinite(e)) m = Math.max(m, Math.abs(e));
        return m;
    }

    /** max |actual − expected| ≤ tol · max |expected|, NaN where and only where expected is NaN. */
    static double assertClose(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double scale = scaleOf(expected), worst = 0;
        for (int e = 0; e < expected.length; e++) {
            if (Float.isNaN(expected[e]) || Float.isNaN(actual[e])) {
                if (Float.isNaN(expected[e]) != Float.isNaN(actual[e]))
                    fail(what + "[" + e + "]: expected " + expected[e] + ", got " + actual[e]);
                continue;
            }
            if (Float.isInfinite(expected[e])) {
                assertEquals(expected[e], actual[e], what + "[" + e + "]");
                continue;
            }
            double err = Math.abs((double) actual[e] - expected[e]) / scale;
            if (!(err <= tol)) fail(what + "[" + e + "]: expected " + expected[e] + ", got " + actual[e] + " (error "
                    + err + " of the scale " + scale + ", tolerance " + tol + ")");
            worst = Math.max(worst, err);
        }
        return worst;
    }

    /**
     * The fast forward and backward with this kernel, tiles and chunks against the reference. The
     * backward is fed the fast forward's out and lse, as in training.
     */
    static void check(AttentionTileKernel kernel, int tq, int tk, int chunks, Problem p, String label) {
        AttentionShape s = p.s;
        float[] outRef = new float[s.queryElements()], lseRef = new float[s.rows()];
        Attention.reference(s, p.q, p.qo, p.k, p.ko, p.v, p.vo, p.mask, outRef, lseRef);
        float[] out = new float[s.queryElements()], lse = new float[s.rows()];
        Arrays.fill(out, 123f);
        Arrays.fill(lse, 123f);
        Attention.forward(kernel, tq, tk, s, p.q, p.qo, p.k, p.ko, p.v, p.vo, p.mask, out, lse);
        String at = label + " " + p + " tiles " + tq + "x" + tk + " chunks " + chunks + ": ";
        assertClose(outRef, out, FORWARD_TOL, at + "out");
        assertClose(lseRef, lse, FORWARD_TOL, at + "lse");

        float[] gqRef = new float[s.queryElements()], gkRef = new float[s.keyElements()], gvRef = new float[s.keyElements()];
        Attention.backwardReference(s, p.q, p.qo, p.k, p.ko, p.v, p.vo, p.mask, p.gOut, gqRef, gkRef, gvRef);
        float[] gq = new float[s.queryElements()], gk = new float[s.keyElements()], gv = new float[s.keyElements()];
        Arrays.fill(gq, Float.NaN);
        Arrays.fill(gk, Float.NaN);
        Arrays.fill(gv, Float.NaN);
        Attention.backward(kernel, tq, tk, chunks, s, p.q, p.qo, p.k, p.ko, p.v, p.vo, p.mask, out, lse, p.gOut, gq, gk, gv);
        assertClose(gqRef, gq, BACKWARD_TOL, at + "gq");
        assertClose(gkRef, gk, BACKWARD_TOL, at + "gk");
        assertClose(gvRef, gv, BACKWARD_TOL, at + "gv");
    }

    /** The default tiles and chunks, as Attention.forward/backward pick them. */
    static void checkDefault(AttentionTileKernel kernel, Problem p, String label) {
        int tq = Attention.tileSize(p.s.queries(), Attention.SMALL, Attention.BLOCK_Q);
        int tk = Attention.tileSize(p.s.keys(), Attention.SMALL, Attention.TILE_K);
        check(kernel, tq, tk, Attention.chunks(p.s, tk), p, label);
    }

    private static final int[][] LENGTHS = {{1, 1}, {7, 7}, {50, 50}, {77, 77}, {129, 129}, {7, 50}, {50, 7}, {129, 77}, {1, 129}, {77, 1}};
    private static final int[] HEAD_DIMS = {8, 24, 64, 128};

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void matchesTheReferenceAtAwkwardSizes(String name, AttentionTileKernel kernel) {
        SplittableRandom rnd = new SplittableRandom(1);
        Masking[] maskings = Masking.values();
        int c = 0;
        for (int[] len : LENGTHS)
            for (int d : HEAD_DIMS) {
                Masking masking = maskings[c++ % maskings.length];
                // Several pairs (2 batches x 3 heads), fewer at the largest sizes to keep the reference quick.
                int heads = len[0] * len[1] * d > 500_000 ? 1 : 3;
                checkDefault(kernel, problem(rnd, 2, heads, len[0], len[1], d, masking), name);
            }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void everyMaskingAtTheClipShapes(String name, AttentionTileKernel kernel) {
        SplittableRandom rnd = new SplittableRandom(2);
        for (Masking masking : Masking.values()) {
            checkDefault(kernel, problem(rnd, 2, 3, 50, 50, 64, masking), name);
            checkDefault(kernel, problem(rnd, 2, 2, 77, 77, 64, masking), name);
        }
    }

    /** Small tiles: the online softmax across many key tiles, causal bands and skipped tiles, key chunks. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void manyTilesBandsAndChunks(String name, AttentionTileKernel kernel) {
        SplittableRandom rnd = new SplittableRandom(3);
        int[][] tiles = {{5, 3}, {24, 20}, {40, 17}, {64, 64}};
        for (Masking masking : Masking.values())
            for (int[] t : tiles) {
                Problem p = problem(rnd, 1, 2, 77, 93, 24, masking);
                check(kernel, t[0], t[1], 1, p, name);
                check(kernel, t[0], t[1], 3, p, name);
            }
        // Queries after and before the keys run out, with the causal diagonal crossing tiles.
        for (int[] len : new int[][] {{129, 50}, {50, 129}, {130, 130}})
            check(kernel, 32, 40, 4, problem(rnd, 1, 1, len[0], len[1], 32, Masking.CAUSAL_AND_MASK), name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void otherScalesAndBf16ValuedInputs(String name, AttentionTileKernel kernel) {
        SplittableRandom rnd = new SplittableRandom(4);
        checkDefault(kernel, problem(rnd, 2, 2, 50, 61, 64, Masking.PER_HEAD, 0.75f, true), name);
        checkDefault(kernel, problem(rnd, 1, 3, 77, 77, 32, Masking.CAUSAL, 0.02f, true), name);
        checkDefault(kernel, problem(rnd, 3, 1, 33, 20, 40, Masking.NONE, -0.3f, false), name);
    }

    /** CpuKernels with BF16 q, k and v: exactly the float path on the widened values. */
    @Test
    void cpuKernelsWidensBf16Inputs() {
        SplittableRandom rnd = new SplittableRandom(5);
        Problem p = problem(rnd, 2, 3, 50, 50, 64, Masking.CAUSAL_AND_MASK, 0.125f, true);
        AttentionShape s = p.s;
        CpuKernels cpu = CpuKernels.INSTANCE;
        float[] out = new float[s.queryElements()], lse = new float[s.rows()];
        Attention.forward(s, p.q, p.qo, p.k, p.ko, p.v, p.vo, p.mask, out, lse);
        float[] gq = new float[s.queryElements()], gk = new float[s.keyElements()], gv = new float[s.keyElements()];
        Attention.backward(s, p.q, p.qo, p.k, p.ko, p.v, p.vo, p.mask, out, lse, p.gOut, gq, gk, gv);

        var qb = cpu.wrap(DType.BF16, bits(p.q));
        var kb = cpu.wrap(DType.BF16, bits(p.k));
        var vb = cpu.wrap(DType.BF16, bits(p.v));
        var mask = cpu.wrap(DType.F32, p.mask);
        float[] out2 = new float[out.length], lse2 = new float[lse.length];
        cpu.attention(s, qb, p.qo, kb, p.ko, vb, p.vo, mask, cpu.wrap(DType.F32, out2), cpu.wrap(DType.F32, lse2));
        assertArrayEquals(out, out2);
        assertArrayEquals(lse, lse2);
        float[] gq2 = new float[gq.length], gk2 = new float[gk.length], gv2 = new float[gv.length];
        cpu.attentionBackward(s, qb, p.qo, kb, p.ko, vb, p.vo, mask, cpu.wrap(DType.F32, out2), cpu.wrap(DType.F32, lse2),
                cpu.wrap(DType.F32, p.gOut), cpu.wrap(DType.F32, gq2), cpu.wrap(DType.F32, gk2), cpu.wrap(DType.F32, gv2));
        assertArrayEquals(gq, gq2);
        assertArrayEquals(gk, gk2);
        assertArrayEquals(gv, gv2);
    }

    private static short[] bits(float[] x) {
        short[] b = new short[x.length];
        for (int i = 0; i < x.length; i++) b[i] = HalfFloat.floatToBf16(x[i]);
        return b;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void fullyHiddenRowsGiveNaNAsTheReference(String name, AttentionTileKernel kernel) {
        SplittableRandom rnd = new SplittableRandom(6);
        for (int[] t : new int[][] {{20, 70}, {7, 9}}) {
            Problem p = problem(rnd, 1, 2, 20, 70, 16, Masking.BROADCAST);
            Arrays.fill(p.mask, 3 * 70, 4 * 70, Float.NEGATIVE_INFINITY);
            float[] outRef = new float[p.s.queryElements()], lseRef = new float[p.s.rows()];
            Attention.reference(p.s, p.q, p.qo, p.k, p.ko, p.v, p.vo, p.mask, outRef, lseRef);
            float[] out = new float[outRef.length], lse = new float[lseRef.length];
            Attention.forward(kernel, t[0], t[1], p.s, p.q, p.qo, p.k, p.ko, p.v, p.vo, p.mask, out, lse);
            assertTrue(Float.isNaN(lseRef[3]) && Float.isNaN(outRef[3 * 16]), "the reference gives NaN");
            assertClose(outRef, out, FORWARD_TOL, name + " out");
            assertClose(lseRef, lse, FORWARD_TOL, name + " lse");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void noKeysOrNoQueries(String name, AttentionTileKernel kernel) {
        AttentionShape s = AttentionShape.of(2, 2, 3, 0, 8, false);
        float[] out = new float[s.queryElements()], lse = new float[s.rows()];
        Attention.forward(kernel, 3, 1, s, new float[0], 0, new float[0], 0, new float[0], 0, null, out, lse);
        float[] outRef = new float[out.length], lseRef = new float[lse.length];
        Attention.reference(s, new float[s.queryElements()], 0, new float[0], 0, new float[0], 0, null, outRef, lseRef);
        assertArrayEquals(outRef, out);
        assertArrayEquals(lseRef, lse);
        float[] gq = new float[s.queryElements()];
        Arrays.fill(gq, 1f);
        Attention.backward(kernel, 3, 1, 1, s, new float[s.queryElements()], 0, new float[0], 0, new float[0], 0, null, out,
                lse, new float[s.queryElements()], gq, new float[0], new float[0]);
        assertArrayEquals(new float[gq.length], gq);

        AttentionShape t = AttentionShape.of(1, 2, 0, 5, 8, true);
        float[] gk = new float[t.keyElements()], gv = new float[t.keyElements()];
        Arrays.fill(gk, 1f);
        Arrays.fill(gv, 1f);
        Attention.backward(kernel, 1, 5, 1, t, new float[0], 0, new float[t.keyElements()], 0, new float[t.keyElements()], 0,
                null, new float[0], new float[0], new float[0], new float[0], gk, gv);
        assertArrayEquals(new float[gk.length], gk);
        assertArrayEquals(new float[gv.length], gv);
    }

    @Test
    void keyChunksCoverTheTilesWithEqualWork() {
        for (boolean causal : new boolean[] {false, true})
            for (int[] c : new int[][] {{64, 8}, {64, 64}, {3, 3}, {10, 4}, {1, 1}, {5, 2}}) {
                int tiles = c[0], chunks = c[1];
                int[] bounds = Attention.chunkBounds(tiles, chunks, 64, tiles * 64, causal);
                assertEquals(chunks + 1, bounds.length);
                assertEquals(0, bounds[0]);
                assertEquals(tiles, bounds[chunks]);
                for (int i = 0; i < chunks; i++) assertTrue(bounds[i] < bounds[i + 1], Arrays.toString(bounds));
            }
        // Causal: the first tiles are seen by more queries, so the first chunks hold fewer tiles.
        int[] bounds = Attention.chunkBounds(64, 4, 64, 4096, true);
        assertTrue(bounds[1] - bounds[0] < bounds[4] - bounds[3], Arrays.toString(bounds));
    }

    // ---------------------------------------------------------------------------------------------
    // The reference itself

    /** softmax(scale·q·kᵀ + mask)·v with the scores of a whole pair as a matrix, in double. */
    private static double[] naive(Problem p) {
        AttentionShape s = p.s;
        int lq = s.queries(), lk = s.keys(), d = s.headDim();
        double[] out = new double[s.queryElements()];
        for (int b = 0; b < s.batch(); b++)
            for (int h = 0; h < s.heads(); h++) {
                int pair = b * s.heads() + h;
                double[][] scores = new double[lq][lk];
                for (int i = 0; i < lq; i++)
                    for (int j = 0; j < lk; j++) {
                        double dot = 0;
                        for (int c = 0; c < d; c++)
                            dot += (double) p.q[p.qo + (pair * lq + i) * d + c] * p.k[p.ko + (pair * lk + j) * d + c];
                        scores[i][j] = s.scale() * dot;
                        if (p.mask != null) scores[i][j] += p.mask[b * s.maskBatchStride() + h * s.maskHeadStride() + i * lk + j];
                        if (s.causal() && j > i) scores[i][j] = Double.NEGATIVE_INFINITY;
                    }
                for (int i = 0; i < lq; i++) {
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < lk; j++) max = Math.max(max, scores[i][j]);
                    for (int j = 0; j < lk; j++) sum += scores[i][j] = Math.exp(scores[i][j] - max);
                    for (int j = 0; j < lk; j++) scores[i][j] /= sum;
                }
                for (int i = 0; i < lq; i++)
                    for (int c = 0; c < d; c++) {
                        double acc = 0;
                        for (int j = 0; j < lk; j++) acc += scores[i][j] * p.v[p.vo + (pair * lk + j) * d + c];
                        out[(pair * lq + i) * d + c] = acc;
                    }
            }
        return out;
    }

    @Test
    void referenceMatchesTheNaiveComposition() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (Masking masking : Masking.values()) {
            Problem p = problem(rnd, 2, 3, 9, 13, 5, masking);
            float[] out = new float[p.s.queryElements()], lse = new float[p.s.rows()];
            Attention.reference(p.s, p.q, p.qo, p.k, p.ko, p.v, p.vo, p.mask, out, lse);
            double[] expected = naive(p);
            for (int e = 0; e < out.length; e++)
                assertEquals(expected[e], out[e], 1e-6 * (1 + Math.abs(expected[e])), masking + " out[" + e + "]");
        }
    }

    /** Σ out∘R in double, out from the reference forward. */
    private static double loss(Problem p, float[] r) {
        float[] out = new float[p.s.queryElements()], lse = new float[p.s.rows()];
        Attention.reference(p.s, p.q, p.qo, p.k, p.ko, p.v, p.vo, p.mask, out, lse);
        double sum = 0;
        for (int e = 0; e < out.length; e++) sum += (double) out[e] * r[e];
        return sum;
    }

    /**
     * The reference backward against central differences of the reference forward, for every
     * element of q, k and v. The inputs are multiples of 2^-10 below 4 and the step is 2^-9, so
     * x ± h is exact; the loss rounds through float outputs, whence the 1e-3 tolerance.
     */
    @Test
    void referenceBackwardMatchesFiniteDifferences() {
        SplittableRandom rnd = new SplittableRandom(8);
        for (Masking masking : new Masking[] {Masking.NONE, Masking.CAUSAL_AND_MASK, Masking.PER_HEAD}) {
            Problem p = problem(rnd, 1, 2, 3, 4, 5, masking, 0.6f, false);
            for (float[] x : new float[][] {p.q, p.k, p.v})
                for (int e = 0; e < x.length; e++) x[e] = Math.round(x[e] * 1024) / 1024f;
            float[] r = p.gOut;
            AttentionShape s = p.s;
            float[] gq = new float[s.queryElements()], gk = new float[s.keyElements()], gv = new float[s.keyElements()];
            Attention.backwardReference(s, p.q, p.qo, p.k, p.ko, p.v, p.vo, p.mask, r, gq, gk, gv);
            float h = 0x1p-9f;
            Object[][] inputs = {{"q", p.q, p.qo, gq}, {"k", p.k, p.ko, gk}, {"v", p.v, p.vo, gv}};
            for (Object[] in : inputs) {
                float[] x = (float[]) in[1], g = (float[]) in[3];
                int off = (Integer) in[2];
                for (int e = 0; e < g.length; e++) {
                    float x0 = x[off + e];
                    x[off + e] = x0 + h;
                    double up = loss(p, r);
                    x[off + e] = x0 - h;
                    double down = loss(p, r);
                    x[off + e] = x0;
                    double fd = (up - down) / (2 * h);
                    assertEquals(fd, g[e], 1e-3 * (1 + Math.abs(fd)), masking + " d loss / d " + in[0] + "[" + e + "]");
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // A long sequence

    /** Query row i of pair 0 as a problem of its own: one query against keys [0, keys) (all, or 0..i when causal). */
    private static Problem row(Problem p, int i) {
        AttentionShape s = p.s;
        int d = s.headDim(), keys = s.causal() ? i + 1 : s.keys();
        AttentionShape one = new AttentionShape(1, 1, 1, keys, d, s.scale(), false, 0, 0);
        float[] q = Arrays.copyOfRange(p.q, p.qo + i * d, p.qo + (i + 1) * d);
        float[] gOut = Arrays.copyOfRange(p.gOut, i * d, (i + 1) * d);
        return new Problem(one, q, 0, p.k, p.ko, p.v, p.vo, null, gOut);
    }

    @Test
    void aSequenceOf4096Tokens() {
        SplittableRandom rnd = new SplittableRandom(9);
        for (Masking masking : new Masking[] {Masking.NONE, Masking.CAUSAL}) {
            Problem p = problem(rnd, 1, 1, 4096, 4096, 64, masking);
            AttentionShape s = p.s;
            float[] out = new float[s.queryElements()], lse = new float[s.rows()];
            Attention.forward(s, p.q, p.qo, p.k, p.ko, p.v, p.vo, null, out, lse);
            float[] gq = new float[s.queryElements()], gk = new float[s.keyElements()], gv = new float[s.keyElements()];
            Attention.backward(s, p.q, p.qo, p.k, p.ko, p.v, p.vo, null, out, lse, p.gOut, gq, gk, gv);
            for (float[] x : new float[][] {out, lse, gq, gk, gv})
                for (float e : x) assertTrue(Float.isFinite(e), masking + ": a non-finite output");
            for (int i : new int[] {0, 1, 63, 64, 1000, 2047, 4000, 4095}) {
                Problem one = row(p, i);
                float[] o = new float[64], l = new float[1], g = new float[64];
                Attention.reference(one.s, one.q, 0, one.k, one.ko, one.v, one.vo, null, o, l);
                Attention.backwardReference(one.s, one.q, 0, one.k, one.ko, one.v, one.vo, null, one.gOut, g,
                        new float[one.s.keyElements()], new float[one.s.keyElements()]);
                String at = masking + " row " + i + " ";
                assertClose(o, Arrays.copyOfRange(out, i * 64, (i + 1) * 64), FORWARD_TOL, at + "out");
                assertClose(l, new float[] {lse[i]}, FORWARD_TOL, at + "lse");
                assertClose(g, Arrays.copyOfRange(gq, i * 64, (i + 1) * 64), BACKWARD_TOL, at + "gq");
            }
            // Every row of P sums to 1 and every row of dS to 0: Σ_j gv_j = Σ_i gOut_i and Σ_j gk_j = 0.
            for (int c = 0; c < 64; c++) {
                double sumGv = 0, sumGOut = 0, sumGk = 0, absGk = 0;
                for (int j = 0; j < 4096; j++) {
                    sumGv += gv[j * 64 + c];
                    sumGk += gk[j * 64 + c];
                    absGk += Math.abs(gk[j * 64 + c]);
                }
                for (int i = 0; i < 4096; i++) sumGOut += p.gOut[i * 64 + c];
                assertEquals(sumGOut, sumGv, 1e-4 * (1 + Math.abs(sumGOut)), masking + " Σ gv[:, " + c + "]");
                assertEquals(0, sumGk, 1e-4 * absGk, masking + " Σ gk[:, " + c + "]");
            }
        }
    }

    /** L = 4,096 forward and backward in a 48 MiB heap, where one L×L float matrix (64 MiB) cannot exist. */
    @Test
    void aSequenceOf4096TokensNeverNeedsAnLByLMatrix() throws Exception {
        SmallHeap.run(AttentionMemoryCheck.class, "48m");
    }
}
