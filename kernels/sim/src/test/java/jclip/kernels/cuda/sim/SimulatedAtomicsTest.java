package jclip.kernels.cuda.sim;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Integer and float atomics with blocks running on several OS threads at once
 * (src/test/cuda/simthreads.cu): every sum, maximum, minimum and compare-and-swap count is exact,
 * and the blocks' own record shows that more than one OS thread ran them.
 */
@Tag("sim")
class SimulatedAtomicsTest extends SimulatedGpuTest {
    private static CUmodule module;

    @BeforeAll
    static void start() throws IOException {
        loadSimulator(SimulatedDriverTest.TEST_KERNELS);
        makePrimaryContextCurrent();
        module = new CUmodule();
        try (InputStream in = SimulatedAtomicsTest.class.getClassLoader().getResourceAsStream("jclip/kernels/cuda/ptx/simthreads.ptx")) {
            byte[] text = in.readAllBytes();
            cuModuleLoadData(module, Arrays.copyOf(text, text.length + 1));
        }
    }

    @AfterAll
    static void stop() {
        cuModuleUnload(module);
    }

    /**
     * Launches until the blocks have run on at least two OS threads (a loaded machine may leave the
     * helper threads without a core for a launch or two), checking every launch's results.
     */
    @Test
    void atomicsAreExactUnderContention() {
        Set<Long> runners = new HashSet<>();
        for (int launch = 0; launch < 50 && runners.size() < 2; launch++) runners.addAll(launchAndCheck());
        if (Runtime.getRuntime().availableProcessors() >= 2 && System.getenv("JCLIP_SIM_THREADS") == null) {
            assertTrue(runners.size() >= 2, "the blocks of 50 launches ran on " + runners.size() + " OS thread(s)");
        }
    }

    /** One launch, its results checked; returns the OS threads that ran its blocks. */
    private Set<Long> launchAndCheck() {
        int blocks = 512, threads = 256, n = blocks * threads - 77;
        int[] values = new int[n];
        for (int i = 0; i < n; i++) values[i] = random.nextInt(201) - 100;
        long sum = 0;
        int max = Integer.MIN_VALUE, min = Integer.MAX_VALUE;
        for (int v : values) {
            sum += v;
            max = Math.max(max, v);
            min = Math.min(min, v);
        }
        CUdeviceptr sums = upload(new int[] {0, Integer.MIN_VALUE, Integer.MAX_VALUE, 0});
        CUdeviceptr wide = upload(Pointer.to(new long[1]), Sizeof.LONG);
        CUdeviceptr real = upload(new float[1]);
        CUdeviceptr exact = upload(Pointer.to(new double[1]), Sizeof.DOUBLE);
        CUdeviceptr runner = alloc((long) blocks * Sizeof.LONG);
        CUfunction kernel = new CUfunction();
        cuModuleGetFunction(kernel, module, "simthreads_atomics");
        cuLaunchKernel(kernel, blocks, 1, 1, threads, 1, 1, 0, null, Pointer.to(Pointer.to(sums), Pointer.to(wide),
                Pointer.to(real), Pointer.to(exact), Pointer.to(runner), Pointer.to(upload(values)), Pointer.to(new int[] {n})), null);

        int[] got = downloadInts(sums, 4);
        assertEquals(sum, got[0]);
        assertEquals(max, got[1]);
        assertEquals(min, got[2]);
        assertEquals(n, got[3]);
        long[] wideSum = new long[1];
        cuMemcpyDtoH(Pointer.to(wideSum), wide, Sizeof.LONG);
        assertEquals(sum, wideSum[0]);  // two's complement: the unsigned sum of the values' bits
        assertEquals((float) sum, downloadFloats(real, 1)[0]);
        double[] exactSum = new double[1];
        cuMemcpyDtoH(Pointer.to(exactSum), exact, Sizeof.DOUBLE);
        assertEquals((double) sum, exactSum[0]);

        long[] runners = new long[blocks];
        cuMemcpyDtoH(Pointer.to(runners), runner, (long) blocks * Sizeof.LONG);
        freeDeviceMemory();
        Set<Long> distinct = new HashSet<>();
        for (long r : runners) distinct.add(r);
        return distinct;
    }
}
