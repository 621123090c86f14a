package jclip.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jclip.kernels.BinaryOp;
import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.GemmShape;
import jclip.kernels.Kernels;
import jclip.kernels.ReduceOp;
import jclip.kernels.cpu.ContrastiveLoss;
import jclip.kernels.cpu.CpuKernels;
import jclip.kernels.cpu.Gemm;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The symmetric contrastive loss of a batch of n image and n text embeddings of d = 512 (CLIP's
 * loss; logits L = scale·a·bᵀ, scale 100), on the CPU kernels:
 *
 * <ul>
 *   <li>{@code fusedForward}, {@code fusedForwardBackward}: {@code contrastiveLogSumExp} (and
 *       {@code contrastiveBackward}), tile by tile, never the n×n logits: 2n²d FLOPs forward,
 *       6n²d more backward (the logits once more, G·b and Gᵀ·a);
 *   <li>{@code unfusedForward}, {@code unfusedForwardBackward}: the composition on the same raw
 *       CpuKernels, as an autograd graph runs it: gemm of the n×n logits, their transpose, log-softmax
 *       over rows and over columns; backward: both log-softmax backwards from the loss's gradient
 *       (−coefficient at the labels), their sum, then ga = scale·G·b and gb = scale·Gᵀ·a by gemm
 *       and gScale = Σ G⊙L. 2n²d FLOPs forward, 4n²d backward, and six n×n float buffers (6 GiB
 *       at n = 16,384), against the fused path's O(n·d) plus a tile per thread.
 * </ul>
 *
 * <p>n = 16,384 is a parameter of its own, for a separate run (the unfused one needs the -Xmx8g
 * heap):
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar ContrastiveLossBenchmark -f 1 -wi 1 -i 3 -prof gc
 * java -jar bench/target/benchmarks.jar ContrastiveLossBenchmark -f 1 -wi 1 -i 3 -p n=16384
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx8g"})
@State(Scope.Benchmark)
public class ContrastiveLossBenchmark {
    @Param({"256", "4096"})
    public int n;

    @Param({"512"})
    public int d;

    private static final float SCALE = 100f;
    private final Kernels k = CpuKernels.INSTANCE;
    private float coefficient;

    // Both paths: the embeddings and their gradients.
    private Buffer a, b, ga, gb, gScale;
    // Fused: the log-sum-exps.
    private Buffer lseRows, lseCols;
    // Unfused: logits, their transpose, log-softmax over rows and over columns (of the transpose),
    // the loss's gradient for both, and the logits' gradient.
    private Buffer logits, transposed, rows, cols, gy, gLogits;

    @Setup(Level.Trial)
    public void setup() {
        System.out.println("# Gemm kernel: " + Gemm.implementation() + ", contrastive tiles: " + ContrastiveLoss.implementation()
                + ", threads: " + Parallel.threads());
        SplittableRandom random = new SplittableRandom(42);
        coefficient = 0.5f / n;
        float[] image = embeddings(random, n, d, null), text = embeddings(random, n, d, image);
        a = k.allocate(DType.F32, n * d);
        b = k.allocate(DType.F32, n * d);
        k.write(a, 0, image, 0, n * d);
        k.write(b, 0, text, 0, n * d);
        ga = k.allocate(DType.F32, n * d);
        gb = k.allocate(DType.F32, n * d);
        gScale = k.allocate(DType.F32, 1);
        lseRows = k.allocate(DType.F32, n);
        lseCols = k.allocate(DType.F32, n);
    }

    /** The unfused path's n×n buffers, only for its own benchmarks (at n = 16,384 they take 6 GiB). */
    private void unfusedBuffers() {
        if (logits != null) return;
        int nn = n * n;
        logits = k.allocate(DType.F32, nn);
        transposed = k.allocate(DType.F32, nn);
        rows = k.allocate(DType.F32, nn);
        cols = k.allocate(DType.F32, nn);
        gy = k.allocate(DType.F32, nn);
        gLogits = k.allocate(DType.F32, nn);
        // d loss / d logSoftmax: −coefficient at each label (the diagonal), as the mean cross-entropy's backward gives.
        k.fill(gy, 0, nn, 0);
        for (int i = 0; i < n; i++) k.fill(gy, i * n + i, 1, -coefficient);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Buffer buffer : new Buffer[] {a, b, ga, gb, gScale, lseRows, lseCols, logits, transposed, rows, cols, gy, gLogits})
            if (buffer != null) buffer.close();
        logits = null;
    }

    /** Unit rows; with near, row i leans towards near's row i (an image towards its caption). */
    static float[] embeddings(SplittableRandom random, int rows, int d, float[] near) {
        float[] x = new float[rows * d];
        for (int i = 0; i < rows; i++) {
            double squares = 0;
            for (int c = 0; c < d; c++) {
                double v = random.nextGaussian() * (near == null ? 1 : 3 / Math.sqrt(d)) + (near == null ? 0 : near[i * d + c]);
                x[i * d + c] = (float) v;
                squares += v * v;
            }
            float inv = (float) (1 / Math.sqrt(squares));
            for (int c = 0; c < d; c++) x[i * d + c] *= inv;
        }
        return x;
    }

    @Benchmark
    public void fusedForward(Blackhole bh) {
        k.contrastiveLogSumExp(a, 0, b, 0, n, n, d, SCALE, lseRows, lseCols);
        bh.consume(lseCols);
    }

    @Benchmark
    public void fusedForwardBackward(Blackhole bh) {
        k.contrastiveLogSumExp(a, 0, b, 0, n, n, d, SCALE, lseRows, lseCols);
        k.contrastiveBackward(a, 0, b, 0, n, n, d, SCALE, lseRows, lseCols, 0, coefficient, ga, gb, gScale);
        bh.consume(gScale);
    }

    @Benchmark
    public void unfusedForward(Blackhole bh) {
        unfusedBuffers();
        forward();
        bh.consume(cols);
    }

    @Benchmark
    public void unfusedForwardBackward(Blackhole bh) {
        unfusedBuffers();
        forward();
        // G = softmax over rows + (softmax over columns) − 2·[label], each log-softmax backward
        // giving coefficient·(softmax − [label]); transposed holds the columns' one.
        k.softmaxBackward(true, rows, gy, gLogits, n, n);
        k.softmaxBackward(true, cols, gy, transposed, n, n);
        k.binary(BinaryOp.ADD, new int[] {n, n}, gLogits, 0, new int[] {n, 1}, transposed, 0, new int[] {1, n}, gLogits, 0);
        k.gemm(GemmShape.of(false, false, n, d, n), SCALE, gLogits, 0, b, 0, 0f, ga, 0);
        k.gemm(GemmShape.of(true, false, n, d, n), SCALE, gLogits, 0, a, 0, 0f, gb, 0);
        // gScale = Σ G⊙L (G already carries the coefficient).
        k.binary(BinaryOp.MUL, new int[] {n * n}, gLogits, 0, new int[] {1}, logits, 0, new int[] {1}, transposed, 0);
        k.reduce(ReduceOp.SUM, transposed, 0, 1, n * n, 1, gScale);
        bh.consume(gScale);
    }

    private void forward() {
        k.gemm(GemmShape.of(false, true, n, n, d), SCALE, a, 0, b, 0, 0f, logits, 0);
        k.copy(new int[] {n, n}, logits, 0, new int[] {1, n}, transposed, 0, new int[] {n, 1});
        k.softmax(true, logits, 0, rows, n, n);
        k.softmax(true, transposed, 0, cols, n, n);
    }
}
