package jclip.bench;

import java.util.concurrent.TimeUnit;
import jclip.tensor.Autograd;
import jclip.tensor.Functional;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * CLIP's projection head, 16 rows of 768 to 512 normalised (ViT-B/32's image tower at batch 16):
 * Functional.normalizedLinear (the GEMM, then one kernel each way) against the composition it
 * replaces (matmul, then x / max(sqrt(Σx²), eps) in five ops), forward and forward + backward.
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar NormalizedLinearBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx2g"})
@State(Scope.Benchmark)
public class NormalizedLinearBenchmark {
    private Tensor x, w;

    @Setup(Level.Trial)
    public void setup() {
        Rng rng = new Rng(4);
        x = MemoryScope.untracked(rng.randn(16, 768)).requiresGrad(true);
        w = MemoryScope.untracked(rng.randn(768, 512)).requiresGrad(true);
    }

    private static Tensor composed(Tensor x, Tensor w) {
        Tensor y = x.matmul(w);
        return y.div(y.mul(y).sum(-1, true).sqrt().clampMin(1e-12f));
    }

    @Benchmark
    public float fusedForward() {
        try (MemoryScope s = MemoryScope.open(); Autograd.NoGrad g = Autograd.noGrad()) {
            return Functional.normalizedLinear(x, w).toFloatArray()[0];
        }
    }

    @Benchmark
    public float unfusedForward() {
        try (MemoryScope s = MemoryScope.open(); Autograd.NoGrad g = Autograd.noGrad()) {
            return composed(x, w).toFloatArray()[0];
        }
    }

    @Benchmark
    public float fusedForwardBackward() {
        try (MemoryScope s = MemoryScope.open()) {
            Functional.normalizedLinear(x, w).sum().backward();
            return zero();
        }
    }

    @Benchmark
    public float unfusedForwardBackward() {
        try (MemoryScope s = MemoryScope.open()) {
            composed(x, w).sum().backward();
            return zero();
        }
    }

    private float zero() {
        float v = x.grad().toFloatArray()[0];
        x.zeroGrad();
        w.zeroGrad();
        return v;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        x.close();
        w.close();
    }
}
