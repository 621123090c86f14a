package jclip.bench;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jclip.clip.model.ClipConfig;
import jclip.clip.ClipEmbedder;
import jclip.clip.model.ClipModel;
import jclip.clip.data.Preprocess;
import jclip.kernels.DType;
import jclip.tensor.Autograd;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of {@link ClipEmbedder} serving one image per call from 1, 2 and 8 calling threads
 * (one shared embedder; its worker batches whatever calls are waiting, up to 32), against the
 * model called directly at batch 1 from one thread (preprocessing included in both). A small ViT
 * (image 64, patch 16, width 128 × 2, embed 64; random weights) so that it runs in seconds on the
 * CPU. Scores are calls (= images) per second over all threads. On a 2-core container
 * (6 × 4 s): direct 567 ± 49, embedder 565 ± 128 (1 thread), 690 ± 129 (2), 1,003 ± 140 (8).
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar ClipEmbedderBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
@State(Scope.Benchmark)
public class ClipEmbedderBenchmark {
    static final int RES = 64;

    private ClipModel model;
    private ClipEmbedder embedder;
    private Preprocess preprocess;
    private BufferedImage image;

    @Setup(Level.Trial)
    public void setup() {
        model = new ClipModel(ClipConfig.vit(64, RES, 16, 128, 2, 77, 49408, 128, 2), new Rng(1)).eval();
        embedder = new ClipEmbedder(model, null, 32);
        preprocess = Preprocess.eval(RES);
        SplittableRandom r = new SplittableRandom(7);
        image = new BufferedImage(96, 80, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 80; y++) for (int x = 0; x < 96; x++) image.setRGB(x, y, r.nextInt(1 << 24));
    }

    @Benchmark
    @Threads(1)
    public float[][] embedder1Thread() {
        return embedder.embedImages(List.of(image));
    }

    @Benchmark
    @Threads(2)
    public float[][] embedder2Threads() {
        return embedder.embedImages(List.of(image));
    }

    @Benchmark
    @Threads(8)
    public float[][] embedder8Threads() {
        return embedder.embedImages(List.of(image));
    }

    /** The baseline: what a caller without the embedder does, one image per model call. */
    @Benchmark
    @Threads(1)
    public float[] modelDirect1Thread() {
        float[] pixels = preprocess.apply(image);
        try (MemoryScope scope = MemoryScope.open(); Autograd.NoGrad g = Autograd.noGrad()) {
            return model.imageEmbeddings(Tensor.fromHost(pixels, DType.F32, 1, 3, RES, RES)).toFloatArray();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        embedder.close();
        model.close();
    }
}
