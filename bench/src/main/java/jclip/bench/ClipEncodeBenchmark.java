package jclip.bench;

import java.util.concurrent.TimeUnit;
import jclip.clip.model.ClipConfig;
import jclip.clip.model.ClipModel;
import jclip.kernels.DType;
import jclip.tensor.Autograd;
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
 * Inference of ViT-B/32 (random weights; image 224, patch 32, width 768 × 12; text 512 × 12,
 * context 77) as a JVM service runs it: encodeImage at batch 1 and 16, encodeText at batch 16,
 * without recording gradients, the result's features on the host. Only the public model API is
 * used, so the same file measures any version of jclip side by side.
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar ClipEncodeBenchmark -p device=cpu
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx12g"})
@State(Scope.Benchmark)
public class ClipEncodeBenchmark {
    @Param({"cpu"})
    public String device;

    @Param({"image-1", "image-16", "text-16"})
    public String task;

    private ClipModel clip;
    private Tensor images, tokens;
    private boolean image;

    @Setup(Level.Trial)
    public void setup() {
        Device on = Device.parse(device);
        ClipConfig config = ClipConfig.vit(512, 224, 32, 768, 12, 77, 49408, 512, 12);
        Rng rng = new Rng(1);
        clip = new ClipModel(config, rng).to(on).eval();
        image = task.startsWith("image");
        int batch = Integer.parseInt(task.substring(task.indexOf('-') + 1));
        images = MemoryScope.untracked(rng.randn(batch, 3, 224, 224));
        long[] ids = new long[batch * 77];
        for (int i = 0; i < ids.length; i++) ids[i] = (i * 7919L) % 49407;
        for (int b = 0; b < batch; b++) ids[b * 77 + 20 + b] = 49407;  // end of text, the largest id
        tokens = MemoryScope.untracked(Tensor.fromHost(ids, DType.I64, batch, 77));
    }

    @Benchmark
    public float[] encode() {
        try (MemoryScope scope = MemoryScope.open(); Autograd.NoGrad g = Autograd.noGrad()) {
            return (image ? clip.encodeImage(images) : clip.encodeText(tokens)).toFloatArray();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        images.close();
        tokens.close();
        clip.close();
    }
}
