package jclip.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jclip.kernels.cpu.Gemm;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * Square float32 matrix multiply C = A * B (n x n, row-major, no transposes, beta = 0).
 *
 * <ul>
 *   <li>{@code vector}: {@link Gemm#sgemm} with the Vector API micro-kernel, on all cores;
 *   <li>{@code scalar}: the same Gemm with the plain-Java kernel (forked with
 *       {@code -Djclip.vector=false}, as {@code java -jar} without {@code --add-modules} gets);
 *   <li>{@code naive}: the textbook i-j-p triple loop, one thread, float accumulation (256 and 1024
 *       only: at 2048 one call takes minutes).
 * </ul>
 *
 * <p>Throughput mode: the primary score is multiplies per second; the secondary {@code gflops}
 * score (an {@link AuxCounters} rate) is that times 2n^3 / 1e9, i.e. GFLOP/s directly.
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar GemmBenchmark -wi 3 -w 1 -i 5 -r 1 -f 1
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class GemmBenchmark {

    /** Operands for the sizes every implementation runs. */
    @State(Scope.Benchmark)
    public static class Square {
        @Param({"256", "1024", "2048"})
        public int n;

        float[] a;
        float[] b;
        float[] c;

        @Setup(Level.Trial)
        public void setup() {
            System.out.println("# Gemm kernel: " + Gemm.implementation() + ", threads: " + jclip.kernels.cpu.Parallel.threads());
            SplittableRandom rnd = new SplittableRandom(42);
            a = random(rnd, n * n);
            b = random(rnd, n * n);
            c = new float[n * n];
        }
    }

    /** Operands for the naive loop, which skips 2048. */
    @State(Scope.Benchmark)
    public static class SquareUpTo1024 {
        @Param({"256", "1024"})
        public int n;

        float[] a;
        float[] b;
        float[] c;

        @Setup(Level.Trial)
        public void setup() {
            SplittableRandom rnd = new SplittableRandom(42);
            a = random(rnd, n * n);
            b = random(rnd, n * n);
            c = new float[n * n];
        }
    }

    /**
     * ViT-B/32's MLP products at image batch 16 (800 tokens): x·Wᵀ with the weight stored [out, in],
     * as {@code Linear} calls it; {@code 768x3072} is c_fc, {@code 3072x768} c_proj.
     */
    @State(Scope.Benchmark)
    public static class VitMlp {
        @Param({"768x3072", "3072x768"})
        public String inOut;

        static final int M = 800;
        int k;
        int n;
        float[] x;
        float[] w;
        float[] c;

        @Setup(Level.Trial)
        public void setup() {
            String[] io = inOut.split("x");
            k = Integer.parseInt(io[0]);
            n = Integer.parseInt(io[1]);
            SplittableRandom rnd = new SplittableRandom(42);
            x = random(rnd, M * k);
            w = random(rnd, n * k);
            c = new float[M * n];
        }
    }

    /** Reports floating-point operations as a rate next to the primary score. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        /** Billions of floating-point operations done; JMH reports it per second, i.e. GFLOP/s. */
        public double gflops;

        void add(int n) {
            add(n, n, n);
        }

        void add(int m, int n, int k) {
            gflops += 2.0 * m * n * (double) k / 1e9;
        }
    }

    static float[] random(SplittableRandom rnd, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }

    @Benchmark
    public void vector(Square s, Flops f, Blackhole bh) {
        gemm(s.n, s.a, s.b, s.c);
        f.add(s.n);
        bh.consume(s.c);
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g", "-Djclip.vector=false"})
    public void scalar(Square s, Flops f, Blackhole bh) {
        gemm(s.n, s.a, s.b, s.c);
        f.add(s.n);
        bh.consume(s.c);
    }

    @Benchmark
    public void naive(SquareUpTo1024 s, Flops f, Blackhole bh) {
        int n = s.n;
        float[] a = s.a, b = s.b, c = s.c;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                float sum = 0f;
                for (int p = 0; p < n; p++) sum += a[i * n + p] * b[p * n + j];
                c[i * n + j] = sum;
            }
        }
        f.add(n);
        bh.consume(c);
    }

    @Benchmark
    public void vitMlp(VitMlp s, Flops f, Blackhole bh) {
        Gemm.sgemm(false, true, VitMlp.M, s.n, s.k, 1f, s.x, 0, s.k, 0, s.w, 0, s.k, 0, 0f, s.c, 0, s.n, 0, 1);
        f.add(VitMlp.M, s.n, s.k);
        bh.consume(s.c);
    }

    private static void gemm(int n, float[] a, float[] b, float[] c) {
        Gemm.sgemm(false, false, n, n, n, 1f, a, 0, n, 0, b, 0, n, 0, 0f, c, 0, n, 0, 1);
    }

    /** Prints which kernel this JVM picks (each fork of vector/scalar also prints it in its setup). */
    public static void main(String[] args) {
        System.out.println(Gemm.implementation());
    }
}
