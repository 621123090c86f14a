package jclip.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jclip.kernels.AttentionShape;
import jclip.kernels.BinaryOp;
import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.GemmShape;
import jclip.kernels.cpu.Attention;
import jclip.kernels.cpu.CpuKernels;
import jclip.kernels.cpu.Parallel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Scaled dot-product attention on the CPU at CLIP's shapes, the fused kernel
 * ({@code CpuKernels.attention} / {@code attentionBackward}) against the unfused composition the
 * tensor layer runs today on the same raw kernels:
 *
 * <ul>
 *   <li>{@code unfused*} forward: scores = scale·q·kᵀ (batched gemm), + mask (binary add, the text
 *       tower's causal mask as an additive [77, 77] −∞ mask), softmax, out = P·v (batched gemm);
 *       backward from the saved P: gv = Pᵀ·gOut, gP = gOut·vᵀ, gS = softmaxBackward(P, gP),
 *       gq = scale·gS·k, gk = scale·gSᵀ·q (four batched gemms and a softmax backward);
 *   <li>{@code fused*}: attention (causal flag for the text tower), then attentionBackward from out
 *       and lse.
 * </ul>
 *
 * <p>Shapes: {@code image} ViT-B/32 at batch 16, [16·12 pairs, 50 tokens, d 64]; {@code text}
 * [16·8 pairs, 77 tokens, d 64], causal; {@code long} [1·16 pairs, 1024 tokens, d 64]. Scores are
 * milliseconds per call; the setup prints each shape's dense floating-point work (4·pairs·L²·d per
 * forward, 2.5 times that more for a backward, whether or not a causal kernel skips the hidden
 * half), so that GFLOP/s = that / time. (JMH's rate counters would report milliseconds per GFLOP in
 * this mode.)
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar AttentionBenchmark -f 1 -wi 2 -i 3 -w 1 -r 2
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
@State(Scope.Benchmark)
public class AttentionBenchmark {
    @Param({"image", "text", "long"})
    public String shape;

    private final CpuKernels cpu = CpuKernels.INSTANCE;
    private AttentionShape s;
    private Buffer q, k, v, gOut, out, lse, gq, gk, gv;
    /** The unfused composition's [pairs, queries, keys] intermediates, and the additive causal mask. */
    private Buffer scores, masked, probs, gP, gS, mask;

    @Setup(Level.Trial)
    public void setup() {
        System.out.println("# Attention kernel: " + Attention.implementation() + ", threads: " + Parallel.threads());
        s = switch (shape) {
            case "image" -> AttentionShape.of(16, 12, 50, 50, 64, false);
            case "text" -> AttentionShape.of(16, 8, 77, 77, 64, true);
            case "long" -> AttentionShape.of(1, 16, 1024, 1024, 64, false);
            default -> throw new IllegalArgumentException("unknown shape " + shape + " (image, text or long)");
        };
        SplittableRandom rnd = new SplittableRandom(42);
        q = random(rnd, s.queryElements());
        k = random(rnd, s.keyElements());
        v = random(rnd, s.keyElements());
        gOut = random(rnd, s.queryElements());
        out = cpu.allocate(DType.F32, s.queryElements());
        lse = cpu.allocate(DType.F32, s.rows());
        gq = cpu.allocate(DType.F32, s.queryElements());
        gk = cpu.allocate(DType.F32, s.keyElements());
        gv = cpu.allocate(DType.F32, s.keyElements());
        int scoreElements = s.rows() * s.keys();
        scores = cpu.allocate(DType.F32, scoreElements);
        masked = cpu.allocate(DType.F32, scoreElements);
        probs = cpu.allocate(DType.F32, scoreElements);
        gP = cpu.allocate(DType.F32, scoreElements);
        gS = cpu.allocate(DType.F32, scoreElements);
        if (s.causal()) {
            float[] m = new float[s.queries() * s.keys()];
            for (int i = 0; i < s.queries(); i++)
                for (int j = i + 1; j < s.keys(); j++) m[i * s.keys() + j] = Float.NEGATIVE_INFINITY;
            mask = cpu.wrap(DType.F32, m);
        }
        double forwardGflop = 4.0 * s.pairs() * s.queries() * s.keys() * s.headDim() / 1e9;
        System.out.printf("# %s: %s, dense work %.3f GFLOP forward, %.3f forward + backward%n", shape, s,
                forwardGflop, 3.5 * forwardGflop);
    }

    private Buffer random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return cpu.wrap(DType.F32, x);
    }

    @Benchmark
    public void fusedForward(Blackhole bh) {
        cpu.attention(s, q, 0, k, 0, v, 0, null, out, lse);
        bh.consume(out);
    }

    @Benchmark
    public void unfusedForward(Blackhole bh) {
        unfusedForwardPass();
        bh.consume(out);
    }

    @Benchmark
    public void fusedForwardBackward(Blackhole bh) {
        cpu.attention(s, q, 0, k, 0, v, 0, null, out, lse);
        cpu.attentionBackward(s, q, 0, k, 0, v, 0, null, out, lse, gOut, gq, gk, gv);
        bh.consume(gq);
    }

    @Benchmark
    public void unfusedForwardBackward(Blackhole bh) {
        unfusedForwardPass();
        int lq = s.queries(), lk = s.keys(), d = s.headDim(), pairs = s.pairs(), rows = s.rows();
        cpu.gemm(GemmShape.of(true, false, lk, d, lq).withBatch(pairs, lq * lk, lq * d, lk * d), 1f, probs, 0, gOut, 0, 0f, gv, 0);
        cpu.gemm(GemmShape.of(false, true, lq, lk, d).withBatch(pairs, lq * d, lk * d, lq * lk), 1f, gOut, 0, v, 0, 0f, gP, 0);
        cpu.softmaxBackward(false, probs, gP, gS, rows, lk);
        cpu.gemm(GemmShape.of(false, false, lq, d, lk).withBatch(pairs, lq * lk, lk * d, lq * d), s.scale(), gS, 0, k, 0, 0f, gq, 0);
        cpu.gemm(GemmShape.of(true, false, lk, d, lq).withBatch(pairs, lq * lk, lq * d, lk * d), s.scale(), gS, 0, q, 0, 0f, gk, 0);
        bh.consume(gq);
    }

    private void unfusedForwardPass() {
        int lq = s.queries(), lk = s.keys(), d = s.headDim(), pairs = s.pairs();
        cpu.gemm(GemmShape.of(false, true, lq, lk, d).withBatch(pairs, lq * d, lk * d, lq * lk), s.scale(), q, 0, k, 0, 0f, scores, 0);
        Buffer x = scores;
        if (mask != null) {
            cpu.binary(BinaryOp.ADD, new int[] {pairs, lq, lk}, scores, 0, new int[] {lq * lk, lk, 1},
                    mask, 0, new int[] {0, lk, 1}, masked, 0);
            x = masked;
        }
        cpu.softmax(false, x, 0, probs, s.rows(), lk);
        cpu.gemm(GemmShape.of(false, false, lq, d, lk).withBatch(pairs, lq * lk, lk * d, lq * d), 1f, probs, 0, v, 0, 0f, out, 0);
    }
}
