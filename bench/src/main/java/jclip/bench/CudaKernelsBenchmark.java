package jclip.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jclip.kernels.AttentionShape;
import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.GemmShape;
import jclip.kernels.Kernels;
import jclip.kernels.cpu.HalfFloat;
import jclip.kernels.cuda.CudaDevice;
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

/**
 * Single operations on CUDA device 0 at CLIP ViT-B/32 shapes, each followed by a device
 * synchronisation so that the time is the device's (../shared/GPU.md has PyTorch's and cuBLAS's
 * figures on an H100 to set beside them):
 *
 * <ul>
 *   <li>{@code sgemm}, {@code bf16gemm}: n × n × n through cuBLAS (float32, and bf16 inputs with
 *       float accumulation); TFLOP/s = 2n³ / time;
 *   <li>{@code softmax}: the attention scores of ViT-B/32 at batch 256, 256·12·50 rows of 50;
 *   <li>{@code layerNorm}: its residual stream, 256·50 rows of 768;
 *   <li>{@code attentionImage}, {@code attentionText}, {@code attentionLong}: fused attention (our
 *       FlashAttention-2 kernels, float32), forward, at GPU.md's shapes: batch·12 heads × 50 tokens,
 *       batch·8 heads × 77 tokens causal, batch/16·16 heads × 1,024 tokens, head dimension 64;
 *       {@code ...Training}: forward and backward. FLOP/s = 4·pairs·L²·64 forward, 2.5 times that
 *       more backward, halved for the causal one; bench/gpu/attention_vs_torch.py times the same
 *       kernels beside PyTorch's.
 * </ul>
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar CudaKernelsBenchmark -f 1
 * JCLIP_CUDA=sim java -jar bench/target/benchmarks.jar CudaKernelsBenchmark -p n=256 -p batch=4 -f 1
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g"})
@State(Scope.Benchmark)
public class CudaKernelsBenchmark {
    @Param({"8192"})
    public int n;

    /** The CLIP batch that sets the softmax and layer-norm shapes. */
    @Param({"256"})
    public int batch;

    private CudaDevice device;
    private Kernels kernels;
    private Buffer a, b, c, a16, b16, scores, probabilities, x, gamma, beta, y, mean, rstd;
    private int scoreRows, tokens;
    private AttentionCase image, text, longSequence;

    /** One attention shape's inputs and outputs, the forward's out and lse kept for the backward. */
    private final class AttentionCase {
        final AttentionShape shape;
        final Buffer q, k, v, out, lse, gOut, gq, gk, gv;

        AttentionCase(SplittableRandom random, AttentionShape shape) {
            this.shape = shape;
            q = upload(random, shape.queryElements());
            k = upload(random, shape.keyElements());
            v = upload(random, shape.keyElements());
            gOut = upload(random, shape.queryElements());
            out = kernels.allocate(DType.F32, shape.queryElements());
            lse = kernels.allocate(DType.F32, shape.rows());
            gq = kernels.allocate(DType.F32, shape.queryElements());
            gk = kernels.allocate(DType.F32, shape.keyElements());
            gv = kernels.allocate(DType.F32, shape.keyElements());
        }

        void forward() {
            kernels.attention(shape, q, 0, k, 0, v, 0, null, out, lse);
        }

        void backward() {
            kernels.attentionBackward(shape, q, 0, k, 0, v, 0, null, out, lse, gOut, gq, gk, gv);
        }

        void close() {
            for (Buffer buffer : new Buffer[] {q, k, v, out, lse, gOut, gq, gk, gv}) buffer.close();
        }
    }

    @Setup(Level.Trial)
    public void setup() {
        device = CudaDevice.get(0);
        kernels = device.kernels();
        SplittableRandom random = new SplittableRandom(5);
        a = upload(random, n * n);
        b = upload(random, n * n);
        c = kernels.allocate(DType.F32, n * n);
        a16 = uploadBf16(random, n * n);
        b16 = uploadBf16(random, n * n);
        scoreRows = batch * 12 * 50;
        scores = upload(random, scoreRows * 50);
        probabilities = kernels.allocate(DType.F32, scoreRows * 50);
        tokens = batch * 50;
        x = upload(random, tokens * 768);
        gamma = upload(random, 768);
        beta = upload(random, 768);
        y = kernels.allocate(DType.F32, tokens * 768);
        mean = kernels.allocate(DType.F32, tokens);
        rstd = kernels.allocate(DType.F32, tokens);
        image = new AttentionCase(random, AttentionShape.of(batch, 12, 50, 50, 64, false));
        text = new AttentionCase(random, AttentionShape.of(batch, 8, 77, 77, 64, true));
        longSequence = new AttentionCase(random, AttentionShape.of(Math.max(1, batch / 16), 16, 1024, 1024, 64, false));
    }

    private Buffer upload(SplittableRandom random, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float) random.nextDouble(-1, 1);
        Buffer buffer = kernels.allocate(DType.F32, count);
        kernels.write(buffer, 0, v, 0, count);
        return buffer;
    }

    private Buffer uploadBf16(SplittableRandom random, int count) {
        short[] v = new short[count];
        for (int i = 0; i < count; i++) v[i] = HalfFloat.floatToBf16((float) random.nextDouble(-1, 1));
        Buffer buffer = kernels.allocate(DType.BF16, count);
        kernels.write(buffer, 0, v, 0, count);
        return buffer;
    }

    @Benchmark
    public void sgemm() {
        kernels.gemm(GemmShape.of(false, false, n, n, n), 1f, a, 0, b, 0, 0f, c, 0);
        device.synchronize();
    }

    @Benchmark
    public void bf16gemm() {
        kernels.gemm(GemmShape.of(false, false, n, n, n), 1f, a16, 0, b16, 0, 0f, c, 0);
        device.synchronize();
    }

    @Benchmark
    public void softmax() {
        kernels.softmax(false, scores, 0, probabilities, scoreRows, 50);
        device.synchronize();
    }

    @Benchmark
    public void layerNorm() {
        kernels.layerNorm(x, 0, gamma, beta, 1e-5f, y, mean, rstd, tokens, 768);
        device.synchronize();
    }

    @Benchmark
    public void attentionImage() {
        image.forward();
        device.synchronize();
    }

    @Benchmark
    public void attentionImageTraining() {
        image.forward();
        image.backward();
        device.synchronize();
    }

    @Benchmark
    public void attentionText() {
        text.forward();
        device.synchronize();
    }

    @Benchmark
    public void attentionTextTraining() {
        text.forward();
        text.backward();
        device.synchronize();
    }

    @Benchmark
    public void attentionLong() {
        longSequence.forward();
        device.synchronize();
    }

    @Benchmark
    public void attentionLongTraining() {
        longSequence.forward();
        longSequence.backward();
        device.synchronize();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Buffer buffer : new Buffer[] {a, b, c, a16, b16, scores, probabilities, x, gamma, beta, y, mean, rstd}) buffer.close();
        for (AttentionCase attention : new AttentionCase[] {image, text, longSequence}) attention.close();
    }
}
