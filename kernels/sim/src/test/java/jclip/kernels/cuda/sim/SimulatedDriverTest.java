package jclip.kernels.cuda.sim;

import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuFuncGetAttribute;
import static jcuda.driver.JCudaDriver.cuFuncSetAttribute;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAllocPitch;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemsetD32;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The simulated GPU's driver and block scheduler, through JCuda's unchanged driver API: the
 * simulator's own test kernels (src/test/cuda/simtest.cu) give exactly the results computed here,
 * and what a real driver rejects (bad launch configurations, copies past an allocation, unknown
 * kernels) or a GPU leaves undefined (deadlocks, shuffles naming absent lanes) fails as it should.
 */
@Tag("sim")
class SimulatedDriverTest extends SimulatedGpuTest {
    static final String TEST_KERNELS = "jclip/kernels/cuda/sim/libjclip-simtest.so";
    static final String TEST_PTX = "jclip/kernels/cuda/ptx/simtest.ptx";

    private static CUdevice device;
    private static CUmodule module;

    @BeforeAll
    static void start() throws IOException {
        loadSimulator(TEST_KERNELS);  // before any JCuda class loads
        device = makePrimaryContextCurrent();
        module = new CUmodule();
        cuModuleLoadData(module, ptx(TEST_PTX));
    }

    @AfterAll
    static void stop() {
        cuModuleUnload(module);
        cuDevicePrimaryCtxRelease(device);
    }

    @Test
    void reportsAnH100() {
        assertEquals(13000, version());
        byte[] name = new byte[64];
        cuDeviceGetName(name, name.length, device);
        assertTrue(new String(name).startsWith("jclip simulated GPU (H100 limits)"));
        long[] memory = new long[1];
        cuDeviceTotalMem(memory, device);
        assertEquals(80L << 30, memory[0]);
        assertEquals(9, attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR));
        assertEquals(0, attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR));
        assertEquals(132, attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT));
        assertEquals(1024, attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK));
        assertEquals(1024, attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X));
        assertEquals(1024, attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y));
        assertEquals(64, attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z));
        assertEquals(Integer.MAX_VALUE, attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X));
        assertEquals(65535, attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y));
        assertEquals(65535, attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z));
        assertEquals(48 * 1024, attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK));
        assertEquals(227 * 1024, attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN));
        assertEquals(228 * 1024, attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR));
        assertEquals(65536, attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK));
        assertEquals(32, attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_WARP_SIZE));
        assertEquals(2048, attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR));
        assertEquals(5120, attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH));
    }

    @Test
    void reversesThroughStaticSharedMemory() {
        int blocks = 7, threads = 256;
        float[] in = randomFloats(blocks * threads);
        CUdeviceptr out = alloc(in.length * Sizeof.FLOAT);
        launch("simtest_reverse", blocks, threads, 0, Pointer.to(out), Pointer.to(upload(in)));
        float[] expected = new float[in.length];
        for (int b = 0; b < blocks; b++) {
            for (int t = 0; t < threads; t++) expected[b * threads + t] = in[b * threads + threads - 1 - t];
        }
        assertArrayEquals(expected, downloadFloats(out, in.length));
    }

    @Test
    void sumsATreeWithABarrierPerLevel() {
        int blocks = 5, threads = 512;
        int[] in = randomInts(blocks * threads, 1000);
        CUdeviceptr out = alloc(blocks * Sizeof.INT);
        launch("simtest_tree_sum", blocks, threads, 0, Pointer.to(out), Pointer.to(upload(in)));
        assertArrayEquals(blockSums(in, threads), downloadInts(out, blocks));
    }

    @Test
    void rotatesThroughDynamicSharedMemory() {
        int blocks = 3, threads = 200, shift = 37;
        float[] in = randomFloats(blocks * threads);
        CUdeviceptr out = alloc(in.length * Sizeof.FLOAT);
        launch("simtest_rotate", blocks, threads, threads * Sizeof.FLOAT, Pointer.to(out), Pointer.to(upload(in)),
                Pointer.to(new int[] {shift}));
        float[] expected = new float[in.length];
        for (int b = 0; b < blocks; b++) {
            for (int t = 0; t < threads; t++) expected[b * threads + t] = in[b * threads + (t + shift) % threads];
        }
        assertArrayEquals(expected, downloadFloats(out, in.length));
    }

    @Test
    void shufflesWithinWarps() {
        int blocks = 4, threads = 64, n = blocks * threads;
        int[] in = randomInts(n, 1000);
        CUdeviceptr xorSum = alloc(n * Sizeof.INT), downSum = alloc(n / 32 * Sizeof.INT), scan = alloc(n * Sizeof.INT);
        CUdeviceptr gather = alloc(n * Sizeof.FLOAT), pairs = alloc(n * Sizeof.DOUBLE);
        launch("simtest_shuffles", blocks, threads, 0, Pointer.to(xorSum), Pointer.to(downSum), Pointer.to(scan),
                Pointer.to(gather), Pointer.to(pairs), Pointer.to(upload(in)));
        int[] expectedXor = new int[n], expectedDown = new int[n / 32], expectedScan = new int[n];
        float[] expectedGather = new float[n];
        double[] expectedPairs = new double[n];
        for (int w = 0; w < n / 32; w++) {
            int sum = 0;
            for (int lane = 0; lane < 32; lane++) {
                sum += in[32 * w + lane];
                expectedScan[32 * w + lane] = sum;
                expectedGather[32 * w + lane] = in[32 * w + (7 * lane + 3) % 32];
                expectedPairs[32 * w + lane] = (double) in[32 * w + lane] + in[32 * w + (lane ^ 1)];
            }
            expectedDown[w] = sum;
            Arrays.fill(expectedXor, 32 * w, 32 * w + 32, sum);
        }
        assertArrayEquals(expectedXor, downloadInts(xorSum, n));
        assertArrayEquals(expectedDown, downloadInts(downSum, n / 32));
        assertArrayEquals(expectedScan, downloadInts(scan, n));
        assertArrayEquals(expectedGather, downloadFloats(gather, n));
        double[] actualPairs = new double[n];
        cuMemcpyDtoH(Pointer.to(actualPairs), pairs, (long) n * Sizeof.DOUBLE);
        assertArrayEquals(expectedPairs, actualPairs);
    }

    @Test
    void votesWithinWarps() {
        int blocks = 3, threads = 96, warps = blocks * threads / 32;
        float[] in = randomFloats(blocks * threads);
        Arrays.fill(in, 0, 32, 0.9f);   // a warp where all vote yes
        Arrays.fill(in, 32, 64, 0.1f);  // and one where none do
        CUdeviceptr votes = alloc(3 * warps * Sizeof.INT);
        launch("simtest_votes", blocks, threads, 0, Pointer.to(votes), Pointer.to(upload(in)), Pointer.to(new float[] {0.5f}));
        int[] expected = new int[3 * warps];
        for (int w = 0; w < warps; w++) {
            int ballot = 0;
            for (int lane = 0; lane < 32; lane++) if (in[32 * w + lane] > 0.5f) ballot |= 1 << lane;
            expected[3 * w] = ballot;
            expected[3 * w + 1] = ballot != 0 ? 1 : 0;
            expected[3 * w + 2] = ballot == -1 ? 1 : 0;
        }
        assertArrayEquals(expected, downloadInts(votes, 3 * warps));
    }

    @Test
    void countsAndCombinesPredicatesAtBarriers() {
        int blocks = 4, threads = 100;  // not a multiple of 32: barriers need none
        float[] in = randomFloats(blocks * threads);
        Arrays.fill(in, 0, threads, 0.9f);
        Arrays.fill(in, threads, 2 * threads, 0.1f);
        CUdeviceptr counts = alloc(blocks * Sizeof.INT), flags = alloc(2 * blocks * Sizeof.INT);
        launch("simtest_barrier_votes", blocks, threads, 0, Pointer.to(counts), Pointer.to(flags), Pointer.to(upload(in)),
                Pointer.to(new float[] {0.5f}));
        int[] expectedCounts = new int[blocks], expectedFlags = new int[2 * blocks];
        for (int b = 0; b < blocks; b++) {
            for (int t = 0; t < threads; t++) if (in[b * threads + t] > 0.5f) expectedCounts[b]++;
            expectedFlags[2 * b] = expectedCounts[b] == threads ? 1 : 0;
            expectedFlags[2 * b + 1] = expectedCounts[b] > 0 ? 1 : 0;
        }
        assertArrayEquals(expectedCounts, downloadInts(counts, blocks));
        assertArrayEquals(expectedFlags, downloadInts(flags, 2 * blocks));
    }

    @Test
    void countsAHistogramWithAtomicsFromManyBlocks() {
        int n = 100_000, bins = 37;
        int[] values = randomInts(n, 1_000_000);
        CUdeviceptr histogram = alloc(bins * Sizeof.INT);
        cuMemsetD32(histogram, 0, bins);
        launch("simtest_histogram", 50, 128, 0, Pointer.to(histogram), Pointer.to(upload(values)), Pointer.to(new int[] {n}),
                Pointer.to(new int[] {bins}));
        int[] expected = new int[bins];
        for (int v : values) expected[v % bins]++;
        assertArrayEquals(expected, downloadInts(histogram, bins));
    }

    @Test
    void takesAMaximumByCompareAndSwapAndASumByDoubleAtomics() {
        int n = 5000;
        float[] in = new float[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            in[i] = random.nextInt(2000) / 8f - 100;  // eighths: every partial sum is exact
            total += in[i];
        }
        CUdeviceptr max = upload(new float[] {Float.NEGATIVE_INFINITY});
        CUdeviceptr sum = alloc(Sizeof.DOUBLE);
        cuMemcpyHtoD(sum, Pointer.to(new double[] {0}), Sizeof.DOUBLE);
        launch("simtest_atomic_max", (n + 255) / 256, 256, 0, Pointer.to(max), Pointer.to(sum), Pointer.to(upload(in)),
                Pointer.to(new int[] {n}));
        float expectedMax = Float.NEGATIVE_INFINITY;
        for (float v : in) expectedMax = Math.max(expectedMax, v);
        assertEquals(expectedMax, downloadFloats(max, 1)[0]);
        double[] actualSum = new double[1];
        cuMemcpyDtoH(Pointer.to(actualSum), sum, Sizeof.DOUBLE);
        assertEquals(total, actualSum[0]);
    }

    @Test
    void roundsTo16BitFloatsToNearestEven() {
        float[] special = {
            0f, -0f, 1f, -2.5f, Float.NaN, Float.intBitsToFloat(0xFFC12345), Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, Float.MIN_NORMAL,
            1 + 0x1p-8f, 1 + 3 * 0x1p-8f, 1 + 0x1p-8f + 0x1p-20f,  // bf16 ties to even, and just above a tie
            1 + 0x1p-11f, 1 + 3 * 0x1p-11f,                           // half ties
            65504f, 65519.99f, 65520f, 65536f, -65520f,                // half's largest, and where it overflows
            0x1p-24f, 0x1p-25f, 1.5f * 0x1p-25f, 3 * 0x1p-25f, 0x1p-14f, 0x1p-14f - 0x1p-25f, 0x1.ffcp-15f,  // half subnormals
            Float.intBitsToFloat(0x7F7FFFFF), Float.intBitsToFloat(0x7F7F8000), Float.intBitsToFloat(0x7F7F7FFF),  // bf16 overflow edge
        };
        int n = 1 << 16;  // the widening half -> float check covers every half bit pattern
        float[] in = new float[n];
        System.arraycopy(special, 0, in, 0, special.length);
        for (int i = special.length; i < n; i++) in[i] = Float.intBitsToFloat(random.nextInt());
        short[] halfIn = new short[n];
        for (int i = 0; i < n; i++) halfIn[i] = (short) i;
        CUdeviceptr bf16 = alloc(n * Sizeof.SHORT), half = alloc(n * Sizeof.SHORT), widened = alloc(n * Sizeof.FLOAT);
        CUdeviceptr halfInDevice = alloc(n * Sizeof.SHORT);
        cuMemcpyHtoD(halfInDevice, Pointer.to(halfIn), (long) n * Sizeof.SHORT);
        launch("simtest_convert", n / 256, 256, 0, Pointer.to(bf16), Pointer.to(half), Pointer.to(widened), Pointer.to(upload(in)),
                Pointer.to(halfInDevice), Pointer.to(new int[] {n}));
        short[] bf16Out = downloadShorts(bf16, n), halfOut = downloadShorts(half, n);
        float[] widenedOut = downloadFloats(widened, n);
        for (int i = 0; i < n; i++) {
            final int at = i;
            assertEquals(Sixteen.BF16.round(in[i]), bf16Out[i], () -> "bf16 of " + in[at] + " (" + Integer.toHexString(Float.floatToRawIntBits(in[at])) + ")");
            assertEquals(Sixteen.HALF.round(in[i]), halfOut[i], () -> "half of " + in[at] + " (" + Integer.toHexString(Float.floatToRawIntBits(in[at])) + ")");
            assertEquals(Sixteen.HALF.value((short) i), widenedOut[i], () -> "half bits " + Integer.toHexString(at));
        }
    }

    @Test
    void indexesThreadsAndBlocksIn3d() {
        int bx = 4, by = 3, bz = 2, gx = 3, gy = 2, gz = 2;
        int n = bx * by * bz * gx * gy * gz;
        CUdeviceptr out = alloc(n * Sizeof.INT);
        CUfunction f = function("simtest_indices");
        cuLaunchKernel(f, gx, gy, gz, bx, by, bz, 0, null, Pointer.to(Pointer.to(out)), null);
        int[] expected = new int[n];
        int i = 0;
        for (int z = 0; z < gz; z++) for (int y = 0; y < gy; y++) for (int x = 0; x < gx; x++) {
            for (int tz = 0; tz < bz; tz++) for (int ty = 0; ty < by; ty++) for (int tx = 0; tx < bx; tx++) {
                expected[i++] = tx + 10 * ty + 100 * tz + 1000 * x + 10000 * y + 100000 * z;
            }
        }
        assertArrayEquals(expected, downloadInts(out, n));
    }

    @Test
    void rejectsLaunchesBeyondTheLimits() {
        CUdeviceptr out = alloc(2048 * Sizeof.FLOAT), in = upload(randomFloats(2048));
        CUfunction rotate = function("simtest_rotate");
        Pointer args = Pointer.to(Pointer.to(out), Pointer.to(in), Pointer.to(new int[] {1}));
        assertStatus(CUresult.CUDA_ERROR_INVALID_VALUE, () -> cuLaunchKernel(rotate, 1, 1, 1, 1025, 1, 1, 0, null, args, null));
        assertStatus(CUresult.CUDA_ERROR_INVALID_VALUE, () -> cuLaunchKernel(rotate, 1, 1, 1, 1, 1, 65, 0, null, args, null));
        assertStatus(CUresult.CUDA_ERROR_INVALID_VALUE, () -> cuLaunchKernel(rotate, 1, 65536, 1, 32, 1, 1, 0, null, args, null));
        assertStatus(CUresult.CUDA_ERROR_INVALID_VALUE, () -> cuLaunchKernel(rotate, 1, 1, 1, 32, 1, 1, 48 * 1024 + 4, null, args, null));
        // More than 48 KiB needs opting in, up to 227 KiB.
        int[] limit = new int[1];
        cuFuncGetAttribute(limit, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, rotate);
        assertEquals(48 * 1024, limit[0]);
        cuFuncSetAttribute(rotate, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 100 * 1024);
        cuLaunchKernel(rotate, 2, 1, 1, 1024, 1, 1, 100 * 1024, null, args, null);
        assertStatus(CUresult.CUDA_ERROR_INVALID_VALUE,
                () -> cuFuncSetAttribute(rotate, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 228 * 1024));
        cuFuncSetAttribute(rotate, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 48 * 1024);
    }

    @Test
    void knowsStaticSharedMemoryFromThePtx() {
        int[] bytes = new int[1];
        cuFuncGetAttribute(bytes, CUfunction_attribute.CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, function("simtest_reverse"));
        assertEquals(1024 * Sizeof.FLOAT, bytes[0]);
    }

    @Test
    void rejectsAnUnknownKernel() {
        assertStatus(CUresult.CUDA_ERROR_NOT_FOUND, () -> function("simtest_no_such_kernel"));
    }

    @Test
    void rejectsCopiesOutsideAnAllocation() {
        CUdeviceptr memory = alloc(100 * Sizeof.FLOAT);
        float[] host = randomFloats(101);
        assertStatus(CUresult.CUDA_ERROR_INVALID_VALUE, () -> cuMemcpyHtoD(memory, Pointer.to(host), 101L * Sizeof.FLOAT));
        assertStatus(CUresult.CUDA_ERROR_INVALID_VALUE, () -> cuMemcpyDtoH(Pointer.to(host), memory.withByteOffset(4), 100L * Sizeof.FLOAT));
        assertStatus(CUresult.CUDA_ERROR_INVALID_VALUE, () -> cuMemsetD32(memory.withByteOffset(8), 0, 99));
        cuMemcpyHtoD(memory.withByteOffset(4), Pointer.to(host), 99L * Sizeof.FLOAT);  // the last byte is in range
        assertEquals(host[98], downloadFloats(memory, 100)[99]);
    }

    @Test
    void freshAllocationsReadAsNaN() {
        for (float value : downloadFloats(alloc(1000 * Sizeof.FLOAT), 1000)) assertTrue(Float.isNaN(value));
        long[] free = new long[1], total = new long[1];
        cuMemGetInfo(free, total);
        assertEquals(80L << 30, total[0]);
        assertTrue(free[0] < total[0]);
    }

    @Test
    void unimplementedCallsAreNotSupported() {
        assertStatus(CUresult.CUDA_ERROR_NOT_SUPPORTED, () -> cuMemAllocPitch(new CUdeviceptr(), new long[1], 64, 64, 4));
    }

    // ---- helpers ----------------------------------------------------------------------------------

    static CUfunction function(String name) {
        CUfunction f = new CUfunction();
        cuModuleGetFunction(f, module, name);
        return f;
    }

    static void launch(String kernel, int blocks, int threads, int sharedBytes, Pointer... args) {
        cuLaunchKernel(function(kernel), blocks, 1, 1, threads, 1, 1, sharedBytes, null, Pointer.to(args), null);
    }

    private static int version() {
        int[] version = new int[1];
        cuDriverGetVersion(version);
        return version[0];
    }

    private static int attribute(int attribute) {
        int[] value = new int[1];
        cuDeviceGetAttribute(value, attribute, device);
        return value[0];
    }

    private float[] randomFloats(int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) values[i] = random.nextFloat() + 0.001f;
        return values;
    }

    private int[] randomInts(int n, int bound) {
        int[] values = new int[n];
        for (int i = 0; i < n; i++) values[i] = 1 + random.nextInt(bound);
        return values;
    }

    private static int[] blockSums(int[] in, int threads) {
        int[] sums = new int[in.length / threads];
        for (int i = 0; i < in.length; i++) sums[i / threads] += in[i];
        return sums;
    }

    /**
     * A 16-bit float format, for reference rounding independent of the simulator's bit tricks: the
     * nearest of its values (all decoded exactly), ties to the even bit pattern.
     */
    enum Sixteen {
        BF16(0x7F80, true), HALF(0x7C00, false);

        private final short infinity;
        private final boolean truncatedFloat;  // bf16: the top half of a float
        private final double[] magnitudes;  // value of each non-negative finite pattern, ascending with the bits

        Sixteen(int infinity, boolean truncatedFloat) {
            this.infinity = (short) infinity;
            this.truncatedFloat = truncatedFloat;
            magnitudes = new double[infinity];
            for (int bits = 0; bits < infinity; bits++) magnitudes[bits] = value((short) bits);
        }

        float value(short bits) {
            if (truncatedFloat) return Float.intBitsToFloat((bits & 0xFFFF) << 16);
            int sign = bits & 0x8000, exponent = (bits >> 10) & 0x1F, mantissa = bits & 0x3FF;
            double magnitude = exponent == 0x1F ? (mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN)
                    : exponent == 0 ? mantissa * 0x1p-24 : (1024 + mantissa) * Math.scalb(1.0, exponent - 25);
            return (float) (sign != 0 ? -magnitude : magnitude);
        }

        /** Any double (a float widens exactly): the 16-bit pattern nearest to it, ties to even. */
        short round(double value) {
            if (Double.isNaN(value)) return 0x7FFF;  // CUDA's canonical NaN
            short sign = (short) (Double.doubleToRawLongBits(value) < 0 ? 0x8000 : 0);
            double x = Math.abs(value);
            int below = Arrays.binarySearch(magnitudes, x);
            if (below >= 0) return (short) (sign | below);
            below = -below - 2;  // the largest value under x
            int above = below + 1;
            // Past the largest finite value the next step up is infinity, one ulp further on.
            double upper = above < magnitudes.length ? magnitudes[above]
                    : magnitudes[below] + (magnitudes[below] - magnitudes[below - 1]);
            double down = x - magnitudes[below], up = upper - x;
            int bits = down < up || (down == up && (below & 1) == 0) ? below : above;
            return (short) (sign | (bits == magnitudes.length ? infinity : bits));
        }
    }
}
