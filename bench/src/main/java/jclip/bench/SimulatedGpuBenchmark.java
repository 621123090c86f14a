package jclip.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jclip.kernels.BinaryOp;
import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.GemmShape;
import jclip.kernels.cuda.CudaDevice;
import jclip.kernels.cuda.CudaKernels;
import jclip.kernels.cuda.CudaMode;
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
 * What work costs on the simulated GPU, the figure that bounds how long the GPU test suite takes in
 * CI (bench/RESULTS.md): each call goes the whole way, from CudaKernels through JCuda's JNI library
 * into the stand-in driver and the fiber scheduler, and returns when the kernel has run.
 *
 * <ul>
 *   <li>{@code launch}: fill one element, one block of one thread: the fixed cost of a launch;
 *   <li>{@code softmaxRows}: softmax of 64 rows of 1,000 (one block of 1,024 threads per row, two
 *       block reductions of shuffles and barriers each);
 *   <li>{@code addMillion}: a broadcasting add over 1,048,576 elements (grid-stride, no barriers);
 *   <li>{@code gemm256}: a 256³ float32 product through the cuBLAS stand-in.
 * </ul>
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar SimulatedGpuBenchmark -f 1
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Djclip.cuda=sim", "-Xmx2g"})
@State(Scope.Benchmark)
public class SimulatedGpuBenchmark {
    private static final int ROWS = 64, COLS = 1000, MILLION = 1 << 20, N = 256;

    private CudaKernels kernels;
    private Buffer one, rows, rowsOut, big, bias, bigOut, a, b, c;

    @Setup(Level.Trial)
    public void setup() {
        // JCLIP_CUDA in the environment outranks the fork's -Djclip.cuda=sim: refuse to time a real GPU under this name.
        if (!CudaMode.isSimulated())
            throw new IllegalStateException("SimulatedGpuBenchmark times the simulated GPU, but JCLIP_CUDA asks for the real one");
        kernels = CudaDevice.get(0).kernels();
        SplittableRandom random = new SplittableRandom(9);
        one = kernels.allocate(DType.F32, 1);
        rows = upload(random, ROWS * COLS);
        rowsOut = kernels.allocate(DType.F32, ROWS * COLS);
        big = upload(random, MILLION);
        bias = upload(random, 1024);
        bigOut = kernels.allocate(DType.F32, MILLION);
        a = upload(random, N * N);
        b = upload(random, N * N);
        c = kernels.allocate(DType.F32, N * N);
    }

    private Buffer upload(SplittableRandom random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (float) random.nextDouble(-1, 1);
        Buffer buffer = kernels.allocate(DType.F32, n);
        kernels.write(buffer, 0, values, 0, n);
        return buffer;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Buffer buffer : new Buffer[] {one, rows, rowsOut, big, bias, bigOut, a, b, c}) buffer.close();
    }

    @Benchmark
    public void launch() {
        kernels.fill(one, 0, 1, 1.0);
    }

    @Benchmark
    public void softmaxRows() {
        kernels.softmax(false, rows, 0, rowsOut, ROWS, COLS);
    }

    @Benchmark
    public void addMillion() {
        kernels.binary(BinaryOp.ADD, new int[] {MILLION / 1024, 1024}, big, 0, new int[] {1024, 1}, bias, 0, new int[] {0, 1}, bigOut, 0);
    }

    @Benchmark
    public void gemm256() {
        kernels.gemm(GemmShape.of(false, false, N, N, N), 1f, a, 0, b, 0, 0f, c, 0);
    }
}
