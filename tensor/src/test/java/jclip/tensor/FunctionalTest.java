package jclip.tensor;

import static jclip.tensor.OpCheck.group;
import static jclip.tensor.OpCheck.op;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import jclip.kernels.DType;
import jclip.tensor.OpCheck.D;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The fused ops of {@link Functional} through OpCheck on every device (forward against a double
 * reference written here, every gradient against its finite differences), against the compositions
 * they replace, and the distributed contrastive loss split over four ranks against the single-rank
 * one.
 */
class FunctionalTest {
    // ---- references, in double --------------------------------------------------------------

    /** softmax(scale·q·kᵀ + mask)·v per (b, h), mask [lq, lk] or null, causal hides j > i. */
    static D attention(D q, D k, D v, double[] mask, boolean causal) {
        int b = q.shape()[0], h = q.shape()[1], lq = q.shape()[2], d = q.shape()[3], lk = k.shape()[2];
        double scale = 1 / Math.sqrt(d);
        double[] out = new double[b * h * lq * d], p = new double[lk];
        for (int pair = 0; pair < b * h; pair++)
            for (int i = 0; i < lq; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < lk; j++) {
                    double s = 0;
                    for (int c = 0; c < d; c++) s += q.v()[(pair * lq + i) * d + c] * k.v()[(pair * lk + j) * d + c];
                    s = s * scale + (mask == null ? 0 : mask[i * lk + j]);
                    if (causal && j > i) s = Double.NEGATIVE_INFINITY;
                    max = Math.max(max, p[j] = s);
                }
                double sum = 0;
                for (int j = 0; j < lk; j++) sum += p[j] = Math.exp(p[j] - max);
                for (int c = 0; c < d; c++) {
                    double acc = 0;
                    for (int j = 0; j < lk; j++) acc += p[j] * v.v()[(pair * lk + j) * d + c];
                    out[(pair * lq + i) * d + c] = acc / sum;
                }
            }
        return new D(out, new int[] {b, h, lq, d});
    }

    static D normalizedLinear(D x, D w) {
        D y = Ref.matmul(x, w);
        int cols = w.shape()[1];
        double[] out = y.v().clone();
        for (int r = 0; r < out.length / cols; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) s += out[r * cols + c] * out[r * cols + c];
            double norm = Math.max(Math.sqrt(s), 1e-12);
            for (int c = 0; c < cols; c++) out[r * cols + c] /= norm;
        }
        return new D(out, y.shape());
    }

    /** (CE over rows + CE over columns) / 2 of exp(t)·I·Tᵀ with labels on the diagonal, from the full matrix. */
    static D clipLoss(D image, D text, D t) {
        int n = image.shape()[0];
        D logits = Ref.map(Ref.matmul(image, Ref.transpose2(text)), v -> Math.exp(t.v()[0]) * v);
        D rows = Ref.softmax(logits, true), cols = Ref.softmax(Ref.transpose2(logits), true);
        double loss = 0;
        for (int i = 0; i < n; i++) loss -= rows.v()[i * n + i] + cols.v()[i * n + i];
        return new D(new double[] {loss / (2 * n)}, new int[0]);
    }

    @TestFactory
    Stream<DynamicNode> fusedOpsOnTheCpu() {
        return Stream.of(group("fused ops", Device.cpu(), fusedOps()));
    }

    @Tag("gpu")
    @TestFactory
    Stream<DynamicNode> fusedOpsOnCuda() {
        return Stream.of(group("fused ops", Device.cuda(0), fusedOps()));
    }

    /**
     * Head dimensions are multiples of 8, the CUDA attention kernel's contract (it refuses others,
     * kernels/.../cuda/launch/Attention.java); the CPU kernel's odd head dimensions are covered by
     * kernels' AttentionTest. Sequence lengths stay awkward.
     */
    static OpCheck[] fusedOps() {
        float[] maskValues = new Rng(7).randn(5, 7).toFloatArray();
        double[] maskD = new double[maskValues.length];
        for (int i = 0; i < maskD.length; i++) maskD[i] = maskValues[i];
        return new OpCheck[] {
                op("attention, queries ≠ keys", x -> Functional.scaledDotProductAttention(x[0], x[1], x[2], false),
                        r -> attention(r[0], r[1], r[2], null, false), new int[] {2, 3, 5, 8}, new int[] {2, 3, 7, 8}, new int[] {2, 3, 7, 8}),
                op("attention, causal", x -> Functional.scaledDotProductAttention(x[0], x[1], x[2], true),
                        r -> attention(r[0], r[1], r[2], null, true), new int[] {1, 2, 6, 8}, new int[] {1, 2, 6, 8}, new int[] {1, 2, 6, 8}),
                op("attention, additive mask", x -> Functional.scaledDotProductAttention(x[0], x[1], x[2], Tensor.fromHost(maskValues, DType.F32, 5, 7).to(x[0].device())),
                        r -> attention(r[0], r[1], r[2], maskD, false), new int[] {2, 1, 5, 8}, new int[] {2, 1, 7, 8}, new int[] {2, 1, 7, 8}),
                op("attention of permuted views", x -> Functional.scaledDotProductAttention(x[0].transpose(1, 2), x[1].transpose(1, 2), x[2].transpose(1, 2), false),
                        r -> attention(Ref.permute(r[0], 0, 2, 1, 3), Ref.permute(r[1], 0, 2, 1, 3), Ref.permute(r[2], 0, 2, 1, 3), null, false),
                        new int[] {2, 4, 3, 8}, new int[] {2, 6, 3, 8}, new int[] {2, 6, 3, 8}),
                op("normalizedLinear", x -> Functional.normalizedLinear(x[0], x[1]), r -> normalizedLinear(r[0], r[1]),
                        new int[] {5, 6}, new int[] {6, 4}),
                op("normalizedLinear over leading dimensions", x -> Functional.normalizedLinear(x[0], x[1]), r -> {
                    D flat = Ref.reshape(r[0], 6, 5);
                    return Ref.reshape(normalizedLinear(flat, r[1]), 2, 3, 3);
                }, new int[] {2, 3, 5}, new int[] {5, 3}),
                op("clipLoss", x -> Functional.clipLoss(x[0], x[1], x[2]), r -> clipLoss(r[0], r[1], r[2]),
                        new int[] {7, 5}, new int[] {7, 5}, new int[] {1})};
    }

    @Test
    void attentionEqualsTheComposition() {
        try (MemoryScope scope = MemoryScope.open()) {
            Rng rng = new Rng(11);
            Tensor q = rng.randn(3, 4, 9, 16), k = rng.randn(3, 4, 9, 16), v = rng.randn(3, 4, 9, 16);
            Tensor mask = rng.randn(9, 9);
            Tensor composed = q.mul(0.25f).matmul(k.transpose(-1, -2)).add(mask).softmax(-1).matmul(v);
            OpCheck.assertClose("fused vs composition", D.of(composed).v(),
                    Functional.scaledDotProductAttention(q, k, v, mask).toFloatArray(), 1e-5);
        }
    }

    /**
     * Under bf16 autocast the fused attention's error against the float32 result is at most twice
     * that of the bf16 composition (bf16 products, the softmax in float), as flash-attention's own
     * tests bound it, forward and every gradient.
     */
    @Test
    void bf16AttentionIsAsAccurateAsTheBf16Composition() {
        try (MemoryScope scope = MemoryScope.open()) {
            Rng rng = new Rng(21);
            Tensor q = rng.randn(2, 4, 50, 64).requiresGrad(true), k = rng.randn(2, 4, 77, 64).requiresGrad(true);
            Tensor v = rng.randn(2, 4, 77, 64).requiresGrad(true), w = rng.randn(2, 4, 50, 64);
            java.util.function.Supplier<Tensor> composed = () -> q.mul(0.125f).matmul(k.transpose(-1, -2)).softmax(-1).matmul(v);
            java.util.function.Supplier<Tensor> fused = () -> Functional.scaledDotProductAttention(q, k, v, false);
            double[][] exact = run(composed, false, w, q, k, v), plain = run(composed, true, w, q, k, v), ours = run(fused, true, w, q, k, v);
            String[] names = {"output", "gq", "gk", "gv"};
            for (int i = 0; i < 4; i++) {
                double composedError = relativeError(exact[i], plain[i]), fusedError = relativeError(exact[i], ours[i]);
                assertTrue(composedError > 1e-4, names[i] + ": the composition really ran in bf16 (" + composedError + ")");
                assertTrue(fusedError <= 2 * composedError, names[i] + ": fused bf16 error " + fusedError + ", composition " + composedError);
            }
        }
    }

    /** The output and the gradients of q, k, v for Σ w·f(), in float32 or under bf16 autocast. */
    private static double[][] run(java.util.function.Supplier<Tensor> f, boolean bf16, Tensor w, Tensor... inputs) {
        for (Tensor t : inputs) t.zeroGrad();
        Tensor out;
        try (Autocast a = bf16 ? Autocast.bf16() : null) {
            out = f.get();
        }
        out.mul(w).sum().backward();
        double[][] r = new double[1 + inputs.length][];
        r[0] = D.of(out).v();
        for (int i = 0; i < inputs.length; i++) r[i + 1] = D.of(inputs[i].grad()).v();
        return r;
    }

    private static double relativeError(double[] expected, double[] actual) {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }
        return Math.sqrt(diff / norm);
    }

    @Test
    void attentionRefusesMismatchedShapesNamingThem() {
        Tensor q = Tensor.zeros(1, 2, 3, 4), k = Tensor.zeros(1, 2, 5, 4), v = Tensor.zeros(1, 2, 6, 4);
        var e = assertThrows(IllegalArgumentException.class, () -> Functional.scaledDotProductAttention(q, k, v, false));
        assertTrue(e.getMessage().contains("[1, 2, 5, 4]") && e.getMessage().contains("[1, 2, 6, 4]"), e.getMessage());
        var m = assertThrows(IllegalArgumentException.class,
                () -> Functional.scaledDotProductAttention(q, k, k, Tensor.zeros(3, 4)));
        assertTrue(m.getMessage().contains("mask [3, 4] does not broadcast to [1, 2, 3, 5]"), m.getMessage());
    }

    @Test
    void clipLossEqualsTheTwoCrossEntropies() {
        try (MemoryScope scope = MemoryScope.open()) {
            Rng rng = new Rng(5);
            Tensor image = rng.randn(33, 16).l2Normalize(-1), text = rng.randn(33, 16).l2Normalize(-1);
            Tensor t = Tensor.scalar((float) Math.log(1 / 0.07));
            Tensor logits = t.exp().mul(image.matmul(text.transpose(0, 1)));
            Tensor labels = Tensor.arange(33);
            float composed = logits.crossEntropy(labels).add(logits.transpose(0, 1).crossEntropy(labels)).div(2f).item();
            assertEquals(composed, Functional.clipLoss(image, text, t).item(), 1e-5 * Math.abs(composed));
        }
    }

    /** One batch of 12 pairs split over 4 ranks (threads) gives the single-rank loss and gradients. */
    @Test
    void distributedClipLossEqualsTheSingleRankOne() throws Exception {
        int n = 12, d = 6, ranks = 4, local = n / ranks;
        Rng rng = new Rng(99);
        float[] image = rng.randn(n, d).toFloatArray(), text = rng.randn(n, d).toFloatArray();
        float t0 = 2.3f;

        Tensor imageAll = Tensor.fromHost(image, DType.F32, n, d).requiresGrad(true);
        Tensor textAll = Tensor.fromHost(text, DType.F32, n, d).requiresGrad(true);
        Tensor scale = Tensor.scalar(t0).requiresGrad(true);
        Tensor single = Functional.clipLoss(imageAll, textAll, scale);
        single.backward();

        InProcessGroup group = new InProcessGroup(ranks);
        ExecutorService pool = Executors.newFixedThreadPool(ranks);
        try {
            List<Future<float[][]>> results = new ArrayList<>();
            for (int r = 0; r < ranks; r++) {
                int rank = r;
                results.add(pool.submit(() -> {
                    float[] mine = java.util.Arrays.copyOfRange(image, rank * local * d, (rank + 1) * local * d);
                    float[] theirs = java.util.Arrays.copyOfRange(text, rank * local * d, (rank + 1) * local * d);
                    Tensor i = Tensor.fromHost(mine, DType.F32, local, d).requiresGrad(true);
                    Tensor x = Tensor.fromHost(theirs, DType.F32, local, d).requiresGrad(true);
                    Tensor s = Tensor.scalar(t0).requiresGrad(true);
                    Tensor loss = Functional.clipLoss(i, x, s, group.rank(rank));
                    loss.backward();
                    return new float[][] {{loss.item()}, i.grad().toFloatArray(), x.grad().toFloatArray(), s.grad().toFloatArray()};
                }));
            }
            float[] gImage = imageAll.grad().toFloatArray(), gText = textAll.grad().toFloatArray();
            double scaleGrad = 0;
            for (int r = 0; r < ranks; r++) {
                float[][] got = results.get(r).get();
                assertEquals(single.item(), got[0][0], 1e-6 * Math.abs(single.item()), "rank " + r + " loss");
                double[] expectI = new double[local * d], expectT = new double[local * d];
                for (int e = 0; e < local * d; e++) {
                    expectI[e] = gImage[r * local * d + e];
                    expectT[e] = gText[r * local * d + e];
                }
                OpCheck.assertClose("rank " + r + " image gradient", expectI, got[1], 1e-5);
                OpCheck.assertClose("rank " + r + " text gradient", expectT, got[2], 1e-5);
                scaleGrad += got[3][0];
            }
            assertEquals(scale.grad().item(), scaleGrad, 1e-5, "the ranks' logit-scale gradients sum to the single one");
        } finally {
            pool.shutdownNow();
        }
    }
}
