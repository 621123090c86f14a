package jclip.bench;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import jclip.clip.model.ClipConfig;
import jclip.clip.model.ClipModel;
import jclip.clip.train.TrainOptions;
import jclip.kernels.DType;
import jclip.nn.AdamW;
import jclip.tensor.Autocast;
import jclip.tensor.Device;
import jclip.tensor.MemoryScope;
import jclip.tensor.Rng;
import jclip.tensor.Tensor;
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
 * One CLIP training step as ../shared/GPU.md times PyTorch's: forward of both towers on a batch of
 * random data already on the device, the symmetric cross-entropy, backward, fused AdamW (β 0.9,
 * 0.98, ε 1e-6, decay 0.2 on weights), float32 or ({@code -p precision=bf16}) bf16 mixed
 * precision with float32 master weights. The step ends with the device synchronised, so the
 * time is the device's work, not the queueing of it.
 *
 * <ul>
 *   <li>{@code model=vit-b-32}: image 224, patch 32, width 768, 12 layers; text context 77, width
 *       512, 12 layers; embed 512; vocabulary 49,408 (PyTorch on the H100: 342 ms a step at batch
 *       256 in float32 without TF32).
 *   <li>{@code model=tiny}: 32 px, patch 8, width 64, 2 layers: a quick check that the benchmark
 *       runs, on the simulated GPU or the CPU.
 * </ul>
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar ClipTrainingStepBenchmark -p device=cuda -p batch=256 -f 1
 * java -jar bench/target/benchmarks.jar ClipTrainingStepBenchmark -p device=cuda -p batch=256 -p precision=float32,bf16 -f 1
 * JCLIP_CUDA=sim java -jar bench/target/benchmarks.jar ClipTrainingStepBenchmark -p model=tiny -p batch=16
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, batchSize = 1)
@Measurement(iterations = 20, batchSize = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx16g"})
@State(Scope.Benchmark)
public class ClipTrainingStepBenchmark {
    @Param({"cuda"})
    public String device;

    @Param({"vit-b-32"})
    public String model;

    @Param({"256"})
    public int batch;

    /** float32, or bf16: the forward's matrix products under Autocast (float32 master weights). */
    @Param({"float32"})
    public String precision;

    private boolean bf16;
    private Device on;
    private ClipModel clip;
    private AdamW optimizer;
    private Tensor images, tokens;

    @Setup(Level.Trial)
    public void setup() {
        on = Device.parse(device);
        bf16 = TrainOptions.Precision.parse(precision) == TrainOptions.Precision.BF16;
        ClipConfig config = switch (model) {
            case "vit-b-32" -> ClipConfig.vit(512, 224, 32, 768, 12, 77, 49408, 512, 12);
            case "tiny" -> ClipConfig.vit(64, 32, 8, 64, 2, 16, 1000, 64, 2);
            default -> throw new IllegalArgumentException("model must be vit-b-32 or tiny, not " + model);
        };
        Rng rng = new Rng(1);
        clip = new ClipModel(config, rng).to(on);
        Map<String, Tensor> params = clip.namedParameters();
        optimizer = new AdamW(params, name -> AdamW.clipDecays(name, params.get(name)), 0.9f, 0.98f, 1e-6f, 0.2f);
        int r = config.imageResolution(), context = config.contextLength();
        images = MemoryScope.untracked(rng.randn(batch, 3, r, r));
        images.moveTo(on);
        long[] ids = new long[batch * context];
        for (int i = 0; i < ids.length; i++) ids[i] = (i * 7919L) % (config.vocabSize() - 1);
        for (int b = 0; b < batch; b++) ids[b * context + context - 1] = config.vocabSize() - 1;  // end of text, the largest id
        tokens = MemoryScope.untracked(Tensor.fromHost(ids, DType.I64, batch, context));
        tokens.moveTo(on);
    }

    @Benchmark
    public float step() {
        float loss;
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor l;
            try (Autocast a = bf16 ? Autocast.bf16() : null) {
                l = clip.loss(images, tokens);
            }
            l.backward();
            optimizer.step(1e-4f);
            clip.zeroGrad();
            loss = l.item();
        }
        on.synchronize();
        return loss;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        images.close();
        tokens.close();
        optimizer.close();
        clip.close();
    }
}
