package jclip.kernels.cuda.sim;

import static jcuda.driver.JCudaDriver.cuCtxCreate;
import static jcuda.driver.JCudaDriver.cuCtxDestroy;
import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSetLimit;
import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuGetErrorString;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemsetD32;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Kernel faults on the simulated GPU (src/test/cuda/simfaults.cu, and the deadlocks of
 * simtest.cu): each faulty launch fails with the status a GPU gives and a report naming the
 * kernel, block, thread and what went wrong, the JVM lives on, the context stays failed with the
 * same status until it is destroyed, and a correct kernel then runs right in a fresh context. Each
 * test runs in a context of its own, so the primary context the other tests use is never touched.
 */
@Tag("sim")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SimulatedFaultsTest {
    private static final String PTX_DIR = "jclip/kernels/cuda/ptx/";
    /** JCuda's setting for the simulator's own cuCtxSetLimit limit (src/main/native/driver/context.h). */
    private static final int LAUNCH_TIMEOUT_MS = 0x6A510001;

    private static CUdevice device;
    private final Random random = new Random(20261203);
    private CUcontext context;
    private CUmodule faults, tests, plain;

    @BeforeAll
    static void load() {
        SimulatedGpuTest.loadSimulator(SimulatedDriverTest.TEST_KERNELS);
        JCudaDriver.setExceptionsEnabled(true);
        cuInit(0);
        device = new CUdevice();
        cuDeviceGet(device, 0);
    }

    @BeforeEach
    void createContext() throws IOException {
        startContext();
    }

    @AfterEach
    void destroyContext() {
        if (context != null) cuCtxDestroy(context);
        context = null;
    }

    @Test
    void aStoreFarPastTheEndIsAnIllegalAddress() {
        int n = 1000;
        CUdeviceptr out = alloc(n * Sizeof.FLOAT);
        String report = storePastEnd(out, n, 1_000_000);
        assertContains(report, "kernel simfault_store_past_end, block (1,0,0)");
        assertContains(report, "thread (3,0,0): illegal address: write to 0x");
        assertContains(report, 4 * (1_000_000 - 1) + " bytes past the end of allocation " + hex(out) + " (4000 bytes)");
        staysFailedThenRecovers(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS);
    }

    @Test
    void aStoreJustPastThePageIsAnIllegalAddress() {
        int n = 1024;  // 4 KiB: the allocation ends at its page's end, so out[n] faults
        CUdeviceptr out = alloc(n * Sizeof.FLOAT);
        String report = storePastEnd(out, n, 1);
        assertContains(report, "write to 0x");
        assertContains(report, "0 bytes past the end of allocation " + hex(out) + " (4096 bytes)");
        staysFailedThenRecovers(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS);
    }

    @Test
    void aStoreIntoTheAlignmentPaddingIsFoundByTheCanary() {
        int n = 1000;  // 4000 bytes: 96 bytes of padding before the 256-byte boundary
        CUdeviceptr out = alloc(n * Sizeof.FLOAT);
        String report = storePastEnd(out, n, 3);
        assertContains(report, "kernel simfault_store_past_end wrote outside an allocation");
        assertContains(report, "bytes 8 to 11 past its end");
        assertContains(report, "allocation " + hex(out) + " (4000 bytes)");
        staysFailedThenRecovers(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS);
    }

    @Test
    void aLoadBeforeTheStartIsAnIllegalAddress() {
        CUdeviceptr in = upload(randoms(64)), out = alloc(64 * Sizeof.FLOAT);
        String report = fails(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS,
                () -> launch(faults, "simfault_load_before_start", 1, 64, 0, Pointer.to(out), Pointer.to(in), ints(1000)));
        assertContains(report, "thread (0,0,0): illegal address: read of 0x");
        assertContains(report, "4000 bytes before the start of allocation " + hex(in) + " (256 bytes)");
        staysFailedThenRecovers(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS);
    }

    @Test
    void aLoadFromFreedMemoryIsAnIllegalAddress() {
        CUdeviceptr in = upload(randoms(64)), out = alloc(64 * Sizeof.FLOAT);
        cuMemFree(in);
        String report = fails(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS,
                () -> launch(faults, "simfault_load", 1, 64, 0, Pointer.to(out), Pointer.to(in)));
        assertContains(report, "inside allocation " + hex(in) + " (256 bytes), which was freed");
        staysFailedThenRecovers(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS);
    }

    @Test
    void aStorePastTheDynamicSharedMemoryIsAnIllegalAddress() {
        CUdeviceptr out = alloc(64 * Sizeof.FLOAT);
        // 256 bytes of dynamic shared memory: the rest of its 4 KiB page is not caught, the next page is.
        launch(faults, "simfault_shared_store", 1, 64, 256, Pointer.to(out), ints(1000));
        String report = fails(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS,
                () -> launch(faults, "simfault_shared_store", 1, 64, 256, Pointer.to(out), ints(1024)));
        assertContains(report, "thread (5,0,0): illegal address: write to 0x");
        assertContains(report, "byte 4096 of dynamic shared memory, past the launch's 256 bytes");
        staysFailedThenRecovers(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS);
    }

    @Test
    void aStackOverflowIsAnIllegalAddress() {
        CUdeviceptr out = alloc(32 * Sizeof.FLOAT);
        String report = fails(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS,
                () -> launch(faults, "simfault_big_locals", 1, 32, 0, Pointer.to(out), ints(5)));
        assertContains(report, "overflowed its stack");
        staysFailedThenRecovers(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS);
    }

    @Test
    void anIntegerDivisionByZeroFailsTheLaunch() {
        int[] divisors = new int[64];
        Arrays.fill(divisors, 7);
        divisors[37] = 0;
        CUdeviceptr in = upload(divisors), out = alloc(64 * Sizeof.INT);
        String report = fails(CUresult.CUDA_ERROR_LAUNCH_FAILED,
                () -> launch(faults, "simfault_divide", 1, 64, 0, Pointer.to(out), Pointer.to(in)));
        assertContains(report, "thread (37,0,0): integer division by zero");
        staysFailedThenRecovers(CUresult.CUDA_ERROR_LAUNCH_FAILED);
    }

    @Test
    void aSpinInKernelCodeTimesOut() {
        cuCtxSetLimit(LAUNCH_TIMEOUT_MS, 300);
        CUdeviceptr flag = alloc(Sizeof.INT);
        cuMemsetD32(flag, 0, 1);
        long start = System.nanoTime();
        String report = fails(CUresult.CUDA_ERROR_LAUNCH_TIMEOUT, () -> launch(faults, "simfault_spin", 1, 64, 0, Pointer.to(flag)));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "stopped soon after its limit");
        assertContains(report, "kernel simfault_spin, block (0,0,0)");
        assertContains(report, "ran past the watchdog's limit of 300 ms (stopped in thread (0,0,0))");
        assertContains(report, "thread 0: running (not at a barrier or collective)");
        assertContains(report, "threads 1-63: not started");
        staysFailedThenRecovers(CUresult.CUDA_ERROR_LAUNCH_TIMEOUT);
    }

    @Test
    void aSpinThroughBarriersTimesOutOnSeveralThreads() {
        cuCtxSetLimit(LAUNCH_TIMEOUT_MS, 300);
        CUdeviceptr flag = alloc(Sizeof.INT);
        cuMemsetD32(flag, 0, 1);
        // 64 blocks of 128 threads: enough for the helper threads to take blocks too.
        String report = fails(CUresult.CUDA_ERROR_LAUNCH_TIMEOUT,
                () -> launch(faults, "simfault_spin_at_barrier", 64, 128, 0, Pointer.to(flag)));
        assertContains(report, "ran past the watchdog's limit of 300 ms");
        staysFailedThenRecovers(CUresult.CUDA_ERROR_LAUNCH_TIMEOUT);
    }

    @Test
    void aDeadlockFailsTheLaunch() {
        CUdeviceptr out = alloc(32 * Sizeof.INT);
        String report = fails(CUresult.CUDA_ERROR_LAUNCH_FAILED, () -> launch(tests, "simtest_deadlock", 1, 32, 0, Pointer.to(out)));
        assertContains(report, "deadlock: no thread can run while");
        staysFailedThenRecovers(CUresult.CUDA_ERROR_LAUNCH_FAILED);
    }

    @Test
    void aFullMaskShuffleInAPartialWarpFailsTheLaunch() {
        CUdeviceptr out = alloc(64 * Sizeof.INT);
        String report = fails(CUresult.CUDA_ERROR_LAUNCH_FAILED,
                () -> launch(tests, "simtest_full_mask_shuffle", 1, 48, 0, Pointer.to(out)));
        assertContains(report, "do not exist");
        staysFailedThenRecovers(CUresult.CUDA_ERROR_LAUNCH_FAILED);
        launch(tests, "simtest_full_mask_shuffle", 1, 64, 0, Pointer.to(alloc(64 * Sizeof.INT)));  // well defined with full warps
    }

    @Test
    void aTileCollectiveNamingAbsentThreadsFailsTheLaunch() {
        // 100 threads: the block's last tile of 8 (lanes 0-7 of warp 3) has only lanes 0-3.
        int fields = 14;  // plain_tile_collectives' TileField count (PlainCudaTest)
        CUdeviceptr out = alloc((long) fields * 100 * Sizeof.INT), in = upload(new int[100]);
        String report = fails(CUresult.CUDA_ERROR_LAUNCH_FAILED,
                () -> launch(plain, "plain_tile_collectives", 1, 100, 0, Pointer.to(out), Pointer.to(in), ints(0)));
        assertContains(report, "mask 0x000000ff");
        assertContains(report, "lanes 0x000000f0 that do not exist");
        staysFailedThenRecovers(CUresult.CUDA_ERROR_LAUNCH_FAILED);
    }

    @Test
    void aDeadlockThroughATileFailsTheLaunch() {
        CUdeviceptr out = alloc(64 * Sizeof.INT);
        String report = fails(CUresult.CUDA_ERROR_LAUNCH_FAILED, () -> launch(plain, "plain_tile_deadlock", 1, 64, 0, Pointer.to(out)));
        assertContains(report, "deadlock");
        assertContains(report, "__syncwarp with mask 0x0000ffff");
        staysFailedThenRecovers(CUresult.CUDA_ERROR_LAUNCH_FAILED);
    }

    // ---- helpers ----------------------------------------------------------------------------------

    /** simfault_store_past_end over out[n]: thread 3 of block 1 stores {@code offset} elements past its end. */
    private String storePastEnd(CUdeviceptr out, int n, int offset) {
        return fails(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS,
                () -> launch(faults, "simfault_store_past_end", 4, 256, 0, Pointer.to(out), ints(n), ints(offset)));
    }

    /**
     * After a failed launch: every call in the context returns the same status, naming the first
     * failure; then the context is destroyed, a fresh one created, and a correct kernel gives exactly
     * its expected result there.
     */
    private void staysFailedThenRecovers(int status) {
        assertThrowsStatus(status, () -> cuMemAlloc(new CUdeviceptr(), 64));
        assertThrowsStatus(status, JCudaDriver::cuCtxSynchronize);
        assertContains(errorString(status), "the context is unusable since a launch failed");
        cuCtxDestroy(context);
        context = null;
        try {
            startContext();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        float[] values = randoms(3000);
        CUdeviceptr in = upload(values), out = alloc(values.length * Sizeof.FLOAT);
        launch(faults, "simfault_copy", 12, 256, 0, Pointer.to(out), Pointer.to(in), ints(values.length));
        cuCtxSynchronize();
        float[] copied = new float[values.length];
        cuMemcpyDtoH(Pointer.to(copied), out, (long) values.length * Sizeof.FLOAT);
        assertArrayEquals(values, copied);
    }

    private void startContext() throws IOException {
        context = new CUcontext();
        cuCtxCreate(context, 0, device);
        cuCtxSetCurrent(context);
        faults = module("simfaults");
        tests = module("simtest");
        plain = module("plain_cuda");
    }

    private static CUmodule module(String name) throws IOException {
        String resource = PTX_DIR + name + ".ptx";
        try (InputStream in = SimulatedFaultsTest.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException(resource + " is not on the class path (nvcc missing?)");
            byte[] text = in.readAllBytes();
            CUmodule module = new CUmodule();
            cuModuleLoadData(module, Arrays.copyOf(text, text.length + 1));
            return module;
        }
    }

    /** The launch fails with `status`; returns the simulator's report of why. */
    private static String fails(int status, Runnable launch) {
        assertThrowsStatus(status, launch);
        String report = errorString(status);
        assertTrue(report.contains("jclip simulated GPU: "), report);
        return report;
    }

    private static void assertThrowsStatus(int status, Runnable call) {
        CudaException e = assertThrows(CudaException.class, call::run);
        assertEquals(CUresult.stringFor(status), e.getMessage());
    }

    private static void assertContains(String text, String part) {
        assertTrue(text.contains(part), () -> "expected \"" + part + "\" in: " + text);
    }

    private static void launch(CUmodule module, String kernel, int blocks, int threads, int sharedBytes, Pointer... args) {
        CUfunction function = new CUfunction();
        cuModuleGetFunction(function, module, kernel);
        cuLaunchKernel(function, blocks, 1, 1, threads, 1, 1, sharedBytes, null, Pointer.to(args), null);
    }

    private static String errorString(int status) {
        String[] text = new String[1];
        cuGetErrorString(status, text);
        return text[0];
    }

    /** Freed with the context. */
    private static CUdeviceptr alloc(long bytes) {
        CUdeviceptr pointer = new CUdeviceptr();
        cuMemAlloc(pointer, bytes);
        return pointer;
    }

    private static CUdeviceptr upload(float[] values) {
        CUdeviceptr pointer = alloc((long) values.length * Sizeof.FLOAT);
        cuMemcpyHtoD(pointer, Pointer.to(values), (long) values.length * Sizeof.FLOAT);
        return pointer;
    }

    private static CUdeviceptr upload(int[] values) {
        CUdeviceptr pointer = alloc((long) values.length * Sizeof.INT);
        cuMemcpyHtoD(pointer, Pointer.to(values), (long) values.length * Sizeof.INT);
        return pointer;
    }

    private static Pointer ints(int value) {
        return Pointer.to(new int[] {value});
    }

    private static String hex(CUdeviceptr pointer) {
        return "0x" + Long.toHexString(address(pointer));
    }

    /** JCuda prints a device pointer's address in its toString. */
    private static long address(CUdeviceptr pointer) {
        var m = Pattern.compile("0x([0-9a-f]+)").matcher(pointer.toString());
        if (!m.find()) throw new IllegalStateException("no address in " + pointer);
        return Long.parseUnsignedLong(m.group(1), 16);
    }

    private float[] randoms(int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) values[i] = random.nextFloat() * 2 - 1;
        return values;
    }
}
