package jclip.kernels.cuda;

import static jclip.kernels.cuda.BackendParity.check;
import static jclip.kernels.cuda.BackendParity.f32;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import jclip.kernels.AttentionShape;
import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.Kernels;
import jclip.kernels.cpu.Attention;
import jclip.kernels.cpu.HalfFloat;
import jclip.kernels.cuda.BackendParity.Host;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/*
 * The fused attention kernels (src/main/cuda/attention.cu) against the CPU reference
 * (jclip.kernels.cpu.Attention, double accumulation), forward and backward, on seeded random data:
 * sequence lengths that are not multiples of a tile (1, 7, 50, 77, 129, queries ≠ keys), head
 * dimensions of each tile set (8 to 256, some not powers of two), several (batch, head) pairs, no
 * mask, causal, broadcast and strided masks with hidden keys, non-zero q/k/v offsets, F32 and BF16
 * inputs. Outputs start from random values, so anything a kernel leaves unwritten shows. The backward
 * gets out and lse from the CPU forward, so both sides start equal. Tolerance 1e-4 relative to each
 * buffer's scale (BackendParity), forward and backward: float against double accumulation, and room
 * for the GPU's exp2f (2 ulp); the simulator's worst was 3e-6 forward and 5e-6 backward (at 1,024
 * keys) on 2026-12-03. BF16 inputs are exact in float, so they are held to the same tolerance.
 */
@Tag("gpu")
class CudaAttentionTest {
    private static final double FORWARD = 1e-4, BACKWARD = 1e-4;
    private static final int Q_OFFSET = 3, K_OFFSET = 5, V_OFFSET = 1;

    /** Which mask, and its strides for a shape. */
    private enum Mask {
        NONE, BROADCAST, PER_HEAD, PER_BATCH_AND_HEAD;

        AttentionShape apply(AttentionShape s) {
            int plane = s.queries() * s.keys();
            return switch (this) {
                case NONE, BROADCAST -> s;
                case PER_HEAD -> s.withMaskStrides(0, plane);
                case PER_BATCH_AND_HEAD -> s.withMaskStrides(s.heads() * plane, plane);
            };
        }

        int length(AttentionShape s) {
            int plane = s.queries() * s.keys();
            return switch (this) {
                case NONE -> 1;
                case BROADCAST -> plane;
                case PER_HEAD -> s.heads() * plane;
                case PER_BATCH_AND_HEAD -> s.batch() * s.heads() * plane;
            };
        }
    }

    private record Case(int batch, int heads, int queries, int keys, int headDim, boolean causal, Mask mask, DType inputs) {
        AttentionShape shape() {
            return mask.apply(AttentionShape.of(batch, heads, queries, keys, headDim, causal));
        }

        @Override
        public String toString() {
            return "attention [" + batch + "x" + heads + ", " + queries + "x" + keys + ", d " + headDim + "]"
                    + (causal ? " causal" : "") + (mask == Mask.NONE ? "" : " mask " + mask) + " " + inputs;
        }
    }

    private static float[] uniform(Random r, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return v;
    }

    /**
     * A mask of values in [-2, 2], with key j hidden (-inf) from query i where (i + j) % 7 == 3: some
     * keys of most rows, never all of a row (key 0 or key 1 stays visible), with or without causal.
     */
    private static float[] mask(Random r, Mask kind, AttentionShape s) {
        float[] m = uniform(r, kind.length(s), -2, 2);
        if (kind == Mask.NONE) return m;
        for (int e = 0; e < m.length; e++) {
            int i = e / s.keys() % s.queries(), j = e % s.keys();
            if ((i + j) % 7 == 3) m[e] = Float.NEGATIVE_INFINITY;
        }
        return m;
    }

    /** values after `offset` random ones, as an F32 or BF16 host buffer. */
    private static Host input(String name, DType dtype, Random r, int offset, float[] values) {
        float[] padded = new float[offset + values.length];
        System.arraycopy(uniform(r, offset, -1, 1), 0, padded, 0, offset);
        System.arraycopy(values, 0, padded, offset, values.length);
        return dtype == DType.BF16 ? BackendParity.bf16(name, padded) : f32(name, padded);
    }

    /** What a BF16 buffer holds: each value rounded to bf16. */
    private static float[] stored(DType dtype, float[] values) {
        if (dtype != DType.BF16) return values;
        float[] rounded = new float[values.length];
        for (int i = 0; i < values.length; i++) rounded[i] = HalfFloat.bf16ToFloat(HalfFloat.floatToBf16(values[i]));
        return rounded;
    }

    /** Forward, then backward from the CPU's out and lse, each against the CPU. */
    private static void forwardAndBackward(Case c, long seed) {
        Random r = new Random(seed);
        AttentionShape s = c.shape();
        float[] q = stored(c.inputs(), uniform(r, s.queryElements(), -2, 2));
        float[] k = stored(c.inputs(), uniform(r, s.keyElements(), -2, 2));
        float[] v = stored(c.inputs(), uniform(r, s.keyElements(), -1, 1));
        float[] mask = mask(r, c.mask(), s);
        boolean masked = c.mask() != Mask.NONE;
        Host qh = input("q", c.inputs(), r, Q_OFFSET, q), kh = input("k", c.inputs(), r, K_OFFSET, k);
        Host vh = input("v", c.inputs(), r, V_OFFSET, v), maskh = f32("mask", mask);

        check(c.toString(), FORWARD,
                (kk, b) -> kk.attention(s, b[0], Q_OFFSET, b[1], K_OFFSET, b[2], V_OFFSET, masked ? b[3] : null, b[4], b[5]),
                qh, kh, vh, maskh, f32("out", uniform(r, s.queryElements(), -1, 1)), f32("lse", uniform(r, s.rows(), -1, 1)));

        float[] out = new float[s.queryElements()], lse = new float[s.rows()];
        Attention.reference(s, q, 0, k, 0, v, 0, masked ? mask : null, out, lse);
        check(c + " backward", BACKWARD,
                (kk, b) -> kk.attentionBackward(s, b[0], Q_OFFSET, b[1], K_OFFSET, b[2], V_OFFSET, masked ? b[3] : null,
                        b[4], b[5], b[6], b[7], b[8], b[9]),
                qh, kh, vh, maskh, f32("out", out), f32("lse", lse), f32("gOut", uniform(r, s.queryElements(), -1, 1)),
                f32("gq", uniform(r, s.queryElements(), -1, 1)), f32("gk", uniform(r, s.keyElements(), -1, 1)),
                f32("gv", uniform(r, s.keyElements(), -1, 1)));
    }

    @Test
    void f32AtAwkwardSizes() {
        Case[] cases = {
            new Case(1, 1, 1, 1, 8, false, Mask.NONE, DType.F32),
            new Case(2, 3, 7, 7, 24, true, Mask.NONE, DType.F32),
            new Case(1, 3, 13, 19, 32, true, Mask.PER_HEAD, DType.F32),
            new Case(1, 1, 5, 33, 40, false, Mask.BROADCAST, DType.F32),
            new Case(2, 2, 50, 50, 64, false, Mask.BROADCAST, DType.F32),            // CLIP's image tower
            new Case(2, 3, 77, 77, 64, true, Mask.PER_BATCH_AND_HEAD, DType.F32),    // CLIP's text tower
            new Case(1, 2, 129, 50, 128, true, Mask.NONE, DType.F32),                // more queries than keys
            new Case(2, 1, 7, 129, 128, false, Mask.PER_HEAD, DType.F32),            // more keys than queries
            new Case(1, 2, 33, 40, 256, false, Mask.NONE, DType.F32),
            new Case(2, 1, 20, 9, 200, true, Mask.PER_BATCH_AND_HEAD, DType.F32),
        };
        for (int i = 0; i < cases.length; i++) forwardAndBackward(cases[i], 100 + i);
    }

    @Test
    void bf16Inputs() {
        Case[] cases = {
            new Case(2, 2, 50, 50, 64, false, Mask.NONE, DType.BF16),
            new Case(1, 2, 77, 77, 64, true, Mask.BROADCAST, DType.BF16),
            new Case(1, 1, 9, 70, 128, false, Mask.PER_HEAD, DType.BF16),
            new Case(1, 1, 17, 17, 136, true, Mask.NONE, DType.BF16),
        };
        for (int i = 0; i < cases.length; i++) forwardAndBackward(cases[i], 200 + i);
    }

    @Test
    void longCausalSequence() {
        forwardAndBackward(new Case(1, 1, 1024, 1024, 64, true, Mask.NONE, DType.F32), 300);
    }

    /**
     * A query row whose keys are all masked out gives NaN (out and lse), as the reference does; its
     * NaN probabilities then reach that row of gq and every row of the pair's gk and gv, as in the
     * reference (without causal masking: under it the reference's hidden scores are NaN too, where
     * the kernels skip them).
     */
    @Test
    void fullyHiddenRowsGiveNaN() {
        Random r = new Random(400);
        AttentionShape s = AttentionShape.of(1, 2, 9, 40, 64, false);
        float[] q = uniform(r, s.queryElements(), -2, 2), k = uniform(r, s.keyElements(), -2, 2);
        float[] v = uniform(r, s.keyElements(), -1, 1), mask = uniform(r, 9 * 40, -1, 1);
        for (int j = 0; j < 40; j++) mask[4 * 40 + j] = Float.NEGATIVE_INFINITY;
        check("attention with a hidden row", FORWARD,
                (kk, b) -> kk.attention(s, b[0], 0, b[1], 0, b[2], 0, b[3], b[4], b[5]),
                f32("q", q), f32("k", k), f32("v", v), f32("mask", mask),
                f32("out", uniform(r, s.queryElements(), -1, 1)), f32("lse", uniform(r, s.rows(), -1, 1)));
        float[] out = new float[s.queryElements()], lse = new float[s.rows()];
        Attention.reference(s, q, 0, k, 0, v, 0, mask, out, lse);
        check("attention with a hidden row, backward", BACKWARD,
                (kk, b) -> kk.attentionBackward(s, b[0], 0, b[1], 0, b[2], 0, b[3], b[4], b[5], b[6], b[7], b[8], b[9]),
                f32("q", q), f32("k", k), f32("v", v), f32("mask", mask), f32("out", out), f32("lse", lse),
                f32("gOut", uniform(r, s.queryElements(), -1, 1)), f32("gq", uniform(r, s.queryElements(), -1, 1)),
                f32("gk", uniform(r, s.keyElements(), -1, 1)), f32("gv", uniform(r, s.keyElements(), -1, 1)));
    }

    /** No keys: out NaN and lse -inf forward, zero gq backward; no queries: zero gk and gv. */
    @Test
    void emptySequences() {
        Random r = new Random(500);
        for (int[] lengths : new int[][] {{5, 0}, {0, 6}}) {
            AttentionShape s = AttentionShape.of(2, 1, lengths[0], lengths[1], 16, false);
            int nq = s.queryElements(), nk = s.keyElements();
            check("attention " + lengths[0] + "x" + lengths[1], FORWARD,
                    (kk, b) -> kk.attention(s, b[0], 0, b[1], 0, b[2], 0, null, b[3], b[4]),
                    f32("q", uniform(r, nq, -1, 1)), f32("k", uniform(r, nk, -1, 1)), f32("v", uniform(r, nk, -1, 1)),
                    f32("out", uniform(r, nq, -1, 1)), f32("lse", uniform(r, s.rows(), -1, 1)));
            check("attention " + lengths[0] + "x" + lengths[1] + " backward", BACKWARD,
                    (kk, b) -> kk.attentionBackward(s, b[0], 0, b[1], 0, b[2], 0, null, b[3], b[4], b[5], b[6], b[7], b[8]),
                    f32("q", uniform(r, nq, -1, 1)), f32("k", uniform(r, nk, -1, 1)), f32("v", uniform(r, nk, -1, 1)),
                    f32("out", uniform(r, nq, -1, 1)), f32("lse", uniform(r, s.rows(), -1, 1)),
                    f32("gOut", uniform(r, nq, -1, 1)), f32("gq", uniform(r, nq, -1, 1)), f32("gk", uniform(r, nk, -1, 1)),
                    f32("gv", uniform(r, nk, -1, 1)));
        }
        Kernels k = CudaDevice.get(0).kernels();
        try (Buffer x = k.allocate(DType.F32, 4)) {
            AttentionShape none = AttentionShape.of(0, 2, 7, 7, 64, true);
            k.attention(none, x, 0, x, 0, x, 0, null, x, x);
            k.attentionBackward(none, x, 0, x, 0, x, 0, null, x, x, x, x, x, x);
            CudaDevice.get(0).synchronize();
        }
    }

    @Test
    void badArgumentsAreNamed() {
        Kernels k = CudaDevice.get(0).kernels();
        AttentionShape s = AttentionShape.of(1, 2, 5, 6, 16, false);
        int nq = s.queryElements(), nk = s.keyElements();
        try (Buffer q = k.allocate(DType.F32, nq); Buffer kv = k.allocate(DType.F32, nk); Buffer out = k.allocate(DType.F32, nq);
                Buffer lse = k.allocate(DType.F32, s.rows()); Buffer qb = k.allocate(DType.BF16, nq);
                Buffer qi = k.allocate(DType.I32, nq); Buffer gk = k.allocate(DType.F32, nk); Buffer small = k.allocate(DType.F32, 3)) {
            assertMessage(IllegalArgumentException.class, "attention: q must be F32 or BF16, got a I32",
                    () -> k.attention(s, qi, 0, kv, 0, kv, 0, null, out, lse));
            assertMessage(IllegalArgumentException.class, "attention: k must be BF16",
                    () -> k.attention(s, qb, 0, kv, 0, kv, 0, null, out, lse));
            assertMessage(IllegalArgumentException.class, "attention: out must be F32",
                    () -> k.attention(s, q, 0, kv, 0, kv, 0, null, qb, lse));
            assertMessage(IndexOutOfBoundsException.class, "attention: q needs elements [1, " + (nq + 1) + ")",
                    () -> k.attention(s, q, 1, kv, 0, kv, 0, null, out, lse));
            assertMessage(IndexOutOfBoundsException.class, "attention: lse needs elements",
                    () -> k.attention(s, q, 0, kv, 0, kv, 0, null, out, small));
            assertMessage(IndexOutOfBoundsException.class, "attention: mask needs elements [0, 30)",
                    () -> k.attention(s, q, 0, kv, 0, kv, 0, lse, out, lse));
            assertMessage(IndexOutOfBoundsException.class, "attention: mask needs elements [0, 60)",
                    () -> k.attention(s.withMaskStrides(0, 30), q, 0, kv, 0, kv, 0, lse, out, lse));
            assertMessage(IllegalArgumentException.class, "attention: head dimension 12 is not supported on CUDA",
                    () -> k.attention(AttentionShape.of(1, 1, 2, 2, 12, false), q, 0, kv, 0, kv, 0, null, out, lse));
            assertMessage(IllegalArgumentException.class, "at most 256",
                    () -> k.attention(AttentionShape.of(1, 1, 2, 2, 264, false), q, 0, kv, 0, kv, 0, null, out, lse));
            assertMessage(IndexOutOfBoundsException.class, "attentionBackward: gv needs elements",
                    () -> k.attentionBackward(s, q, 0, kv, 0, kv, 0, null, out, lse, out, q, gk, small));
            assertMessage(IllegalArgumentException.class, "attentionBackward: gOut must be F32",
                    () -> k.attentionBackward(s, q, 0, kv, 0, kv, 0, null, out, lse, qb, q, gk, kv));
        }
    }

    private static void assertMessage(Class<? extends RuntimeException> type, String part, Runnable call) {
        RuntimeException e = assertThrows(type, call::run);
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should name '" + part + "'");
    }
}
