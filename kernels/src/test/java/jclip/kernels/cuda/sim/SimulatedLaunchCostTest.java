package jclip.kernels.cuda.sim;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import java.util.Random;
import jclip.kernels.cuda.SimulatedGpu;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * What a launch costs on the simulated GPU, the figure that bounds how long the GPU suite takes on
 * CI: an empty one-thread launch, 64 blocks of 256 threads with two barriers, and a block sum (two
 * barriers and shuffles) over 64 blocks of 1,024 threads. Prints the medians; checks only results.
 */
@Tag("sim")
@EnabledIf("jclip.kernels.cuda.CudaMode#isSimulated")
class SimulatedLaunchCostTest {
    private static CUdevice device;
    private static CUmodule module;

    @BeforeAll
    static void start() throws IOException {
        SimulatedGpu.loadKernelLibrary(SimulatedDriverTest.TEST_KERNELS);
        JCudaDriver.setExceptionsEnabled(true);
        cuInit(0);
        device = new CUdevice();
        cuDeviceGet(device, 0);
        CUcontext context = new CUcontext();
        cuDevicePrimaryCtxRetain(context, device);
        cuCtxSetCurrent(context);
        module = new CUmodule();
        cuModuleLoadData(module, SimulatedDriverTest.ptx());
    }

    @AfterAll
    static void stop() {
        cuModuleUnload(module);
        cuDevicePrimaryCtxRelease(device);
    }

    @Test
    void measuresLaunches() {
        Pointer none = Pointer.to(new Pointer[0]);
        double empty = microsecondsPerLaunch(function("simtest_empty"), 1, 1, none, 20_000);

        CUdeviceptr mirrored = new CUdeviceptr();
        cuMemAlloc(mirrored, 64L * 256 * Sizeof.FLOAT);
        double twoBarriers = microsecondsPerLaunch(function("simtest_two_barriers"), 64, 256, Pointer.to(Pointer.to(mirrored)), 20);
        float[] expectedMirrored = new float[64 * 256], actualMirrored = new float[64 * 256];
        for (int i = 0; i < expectedMirrored.length; i++) expectedMirrored[i] = 255 - i % 256;
        cuMemcpyDtoH(Pointer.to(actualMirrored), mirrored, (long) actualMirrored.length * Sizeof.FLOAT);
        assertArrayEquals(expectedMirrored, actualMirrored);

        int[] in = new int[64 * 1024];
        Random random = new Random(7);
        int[] expectedSums = new int[64];
        for (int i = 0; i < in.length; i++) {
            in[i] = 1 + random.nextInt(100);
            expectedSums[i / 1024] += in[i];
        }
        CUdeviceptr input = new CUdeviceptr(), sums = new CUdeviceptr();
        cuMemAlloc(input, (long) in.length * Sizeof.INT);
        cuMemAlloc(sums, 64L * Sizeof.INT);
        cuMemcpyHtoD(input, Pointer.to(in), (long) in.length * Sizeof.INT);
        double blockSum = microsecondsPerLaunch(function("simtest_block_sum"), 64, 1024,
                Pointer.to(Pointer.to(sums), Pointer.to(input)), 5);
        int[] actualSums = new int[64];
        cuMemcpyDtoH(Pointer.to(actualSums), sums, 64L * Sizeof.INT);
        assertArrayEquals(expectedSums, actualSums);
        cuMemFree(mirrored);
        cuMemFree(input);
        cuMemFree(sums);

        System.out.printf("simulated GPU launch costs (median): empty 1 thread %.2f us; 64 x 256 threads, 2 barriers %.0f us; "
                + "block sum 64 x 1024 threads (2 barriers + shuffles) %.0f us%n", empty, twoBarriers, blockSum);
    }

    private static CUfunction function(String name) {
        CUfunction f = new CUfunction();
        cuModuleGetFunction(f, module, name);
        return f;
    }

    /** The median of 5 rounds of `launches` launches each, after one warm-up round. */
    private static double microsecondsPerLaunch(CUfunction f, int blocks, int threads, Pointer args, int launches) {
        double[] rounds = new double[6];
        for (int r = 0; r < rounds.length; r++) {
            long start = System.nanoTime();
            for (int i = 0; i < launches; i++) cuLaunchKernel(f, blocks, 1, 1, threads, 1, 1, 0, null, args, null);
            rounds[r] = (System.nanoTime() - start) / 1e3 / launches;
        }
        double[] measured = java.util.Arrays.copyOfRange(rounds, 1, rounds.length);
        java.util.Arrays.sort(measured);
        return measured[measured.length / 2];
    }
}
