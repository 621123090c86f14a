package jclip.kernels.cuda.sim;

import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import jclip.kernels.cuda.sim.SimulatedDriverTest.Sixteen;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Kernels written as CUDA code is written outside this project (src/test/cuda/plain_cuda.cu: CUDA's
 * own headers, extern __shared__, cooperative groups, partial-mask shuffles, atomicCAS loops, 16-bit
 * floats), compiled for the simulated GPU unchanged, give exactly the results computed here, on
 * fresh random inputs; and what their collectives leave undefined fails as it should.
 */
@Tag("sim")
class PlainCudaTest extends SimulatedGpuTest {
    static final String PTX = "jclip/kernels/cuda/ptx/plain_cuda.ptx";

    private static CUdevice device;
    private static CUmodule module;

    @BeforeAll
    static void start() throws IOException {
        loadSimulator(SimulatedDriverTest.TEST_KERNELS);  // before any JCuda class loads
        device = makePrimaryContextCurrent();
        module = new CUmodule();
        cuModuleLoadData(module, ptx(PTX));
    }

    @AfterAll
    static void stop() {
        cuModuleUnload(module);
        cuDevicePrimaryCtxRelease(device);
    }

    // ---- dynamic shared memory -------------------------------------------------------------------

    @Test
    void reversesThroughAFileScopeExternSharedArray() {
        int blocks = 9, threads = 160;
        float[] in = randoms(blocks * threads);
        CUdeviceptr out = alloc(in.length * Sizeof.FLOAT);
        launch("plain_reverse", blocks, threads, threads * Sizeof.FLOAT, Pointer.to(out), Pointer.to(upload(in)));
        float[] expected = new float[in.length];
        for (int b = 0; b < blocks; b++) {
            for (int t = 0; t < threads; t++) expected[b * threads + t] = in[b * threads + threads - 1 - t];
        }
        assertArrayEquals(expected, downloadFloats(out, in.length));
    }

    @Test
    void twoExternSharedNamesAliasTheSameMemory() {
        // Each float reaches the output through a thread other than the one that loaded it, so the
        // copy is exact only if the float4 and float views name the same bytes.
        int blocks = 6, threads = 256, n = 4 * blocks * threads;
        float[] in = randoms(n);
        CUdeviceptr out = alloc((long) n * Sizeof.FLOAT);
        launch("plain_aliased_copy", blocks, threads, 4 * threads * Sizeof.FLOAT, Pointer.to(out), Pointer.to(upload(in)));
        assertArrayEquals(in, downloadFloats(out, n));
    }

    @Test
    void templatesReachExternSharedMemoryAsAnyType() {
        // Alternating kernels, element types and sizes over many blocks: each OS thread binds the
        // names once, and they must keep naming the memory of whichever block it runs.
        for (int round = 0; round < 3; round++) {
            int blocks = 12, threads = 96 + 64 * round, shift = 1 + random.nextInt(threads - 1), n = blocks * threads;
            double[] doubles = new double[n];
            short[] shorts = new short[n];
            for (int i = 0; i < n; i++) {
                doubles[i] = random.nextGaussian();
                shorts[i] = (short) random.nextInt();
            }
            CUdeviceptr doublesIn = alloc((long) n * Sizeof.DOUBLE), doublesOut = alloc((long) n * Sizeof.DOUBLE);
            cuMemcpyHtoD(doublesIn, Pointer.to(doubles), (long) n * Sizeof.DOUBLE);
            CUdeviceptr shortsOut = alloc((long) n * Sizeof.SHORT);
            launch("plain_rotate_doubles", blocks, threads, threads * Sizeof.DOUBLE, Pointer.to(doublesOut), Pointer.to(doublesIn),
                    Pointer.to(new int[] {shift}));
            launch("plain_rotate_shorts", blocks, threads, threads * Sizeof.SHORT, Pointer.to(shortsOut), Pointer.to(upload(shorts)),
                    Pointer.to(new int[] {shift}));
            double[] expectedDoubles = new double[n], actualDoubles = new double[n];
            short[] expectedShorts = new short[n];
            for (int b = 0; b < blocks; b++) {
                for (int t = 0; t < threads; t++) {
                    expectedDoubles[b * threads + t] = doubles[b * threads + (t + shift) % threads];
                    expectedShorts[b * threads + t] = shorts[b * threads + (t + shift) % threads];
                }
            }
            cuMemcpyDtoH(Pointer.to(actualDoubles), doublesOut, (long) n * Sizeof.DOUBLE);
            assertArrayEquals(expectedDoubles, actualDoubles);
            assertArrayEquals(expectedShorts, downloadShorts(shortsOut, n));
        }
    }

    // ---- warps with partial masks ----------------------------------------------------------------

    @Test
    void halfWarpsShuffleApartWithTheirOwnMasks() {
        int blocks = 3, threads = 128, n = blocks * threads;
        int[] in = ints(n, 1 << 20);
        CUdeviceptr result = alloc(n * Sizeof.INT), broadcast = alloc(n * Sizeof.INT);
        launch("plain_half_warps", blocks, threads, 0, Pointer.to(result), Pointer.to(broadcast), Pointer.to(upload(in)));
        int[] expectedResult = new int[n], expectedBroadcast = new int[n];
        for (int w = 0; w < n / 32; w++) {
            int lowerSum = 0, prefix = 0;
            for (int lane = 0; lane < 16; lane++) lowerSum += in[32 * w + lane];
            for (int lane = 0; lane < 32; lane++) {
                int i = 32 * w + lane;
                if (lane < 16) {
                    expectedResult[i] = lowerSum;
                    expectedBroadcast[i] = in[32 * w + 5];
                } else {
                    prefix += in[i];
                    expectedResult[i] = prefix;
                    expectedBroadcast[i] = in[32 * w + 23];
                }
            }
        }
        assertArrayEquals(expectedResult, downloadInts(result, n));
        assertArrayEquals(expectedBroadcast, downloadInts(broadcast, n));
    }

    // ---- cooperative groups ----------------------------------------------------------------------

    /** The fields of plain_tile_collectives (its TileField), in order. */
    private static final int TILE_SUM = 0, TILE_MAX = 1, TILE_MIN = 2, TILE_BALLOT = 3, TILE_VOTES = 4, TILE_DOWN = 5,
            TILE_UP = 6, TILE_XOR = 7, TILE_INDEX = 8, TILE_RANKS = 9, QUARTER_RANKS = 10, WARP_SUM = 11, BLOCK_SUM = 12,
            GROUP_RANK = 13, TILE_FIELDS = 14;

    @Test
    void tilesReduceVoteAndShuffleWithinTheirLanes() {
        int blocks = 5, bx = 64, by = 4, threads = bx * by, n = blocks * threads, threshold = 0;
        int[] in = ints(n, 1000);
        for (int i = 0; i < 8; i++) in[i] = 1 + i;        // a tile where every thread votes yes
        for (int i = 8; i < 16; i++) in[i] = -1 - i;      // and one where none do
        CUdeviceptr out = alloc((long) TILE_FIELDS * n * Sizeof.INT);
        cuLaunchKernel(function("plain_tile_collectives"), blocks, 1, 1, bx, by, 1, 0, null,
                Pointer.to(Pointer.to(out), Pointer.to(upload(in)), Pointer.to(new int[] {threshold})), null);
        int[] actual = downloadInts(out, TILE_FIELDS * n);

        int[][] expected = new int[TILE_FIELDS][n];
        for (int b = 0; b < blocks; b++) {
            int blockSum = 0;
            for (int r = 0; r < threads; r++) blockSum += in[b * threads + r];
            for (int r = 0; r < threads; r++) {  // r: the block rank, x fastest, as the kernel counts
                int i = b * threads + r, tileStart = i - r % 8, warpStart = i - r % 32, rank = r % 8;
                int sum = 0, max = Integer.MIN_VALUE, min = Integer.MAX_VALUE, ballot = 0, warpSum = 0;
                for (int k = 0; k < 8; k++) {
                    int v = in[tileStart + k];
                    sum += v;
                    max = Math.max(max, v);
                    min = Math.min(min, v);
                    if (v > threshold) ballot |= 1 << k;
                }
                for (int k = 0; k < 32; k++) warpSum += in[warpStart + k];
                expected[TILE_SUM][i] = sum;
                expected[TILE_MAX][i] = max;
                expected[TILE_MIN][i] = min;
                expected[TILE_BALLOT][i] = ballot;
                expected[TILE_VOTES][i] = (ballot != 0 ? 1 : 0) + 2 * (ballot == 0xFF ? 1 : 0);
                // Shuffles from outside the tile give the thread its own value.
                expected[TILE_DOWN][i] = rank + 3 < 8 ? in[i + 3] : in[i];
                expected[TILE_UP][i] = rank >= 2 ? in[i - 2] : in[i];
                expected[TILE_XOR][i] = in[tileStart + (rank ^ 5)];
                expected[TILE_INDEX][i] = in[tileStart + 6];
                expected[TILE_RANKS][i] = rank + 100 * (r / 8) + 10000 * (threads / 8);
                expected[QUARTER_RANKS][i] = r % 4 + 100 * (r % 32 / 4) + 10000 * 8;
                expected[WARP_SUM][i] = warpSum;
                expected[BLOCK_SUM][i] = blockSum;
                expected[GROUP_RANK][i] = r % 16 + 100 * 16;
            }
        }
        String[] names = {"tile sum", "tile max", "tile min", "tile ballot", "tile votes", "shfl_down", "shfl_up", "shfl_xor", "shfl",
            "tile ranks", "quarter ranks", "warp sum", "block sum", "thread_group ranks"};
        for (int f = 0; f < TILE_FIELDS; f++) {
            int[] got = new int[n];
            System.arraycopy(actual, f * n, got, 0, n);
            assertArrayEquals(expected[f], got, names[f]);
        }
    }

    // ---- atomics from many blocks ----------------------------------------------------------------

    @Test
    void atomicsFromManyBlocksGiveExactTotals() {
        int n = 100_003, blocks = 37, threads = 128;
        int[] values = new int[n];
        long sum = 0;
        int max = Integer.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            values[i] = random.nextInt(2_000_001) - 1_000_000;
            sum += values[i];
            max = Math.max(max, values[i]);
        }
        CUdeviceptr sumOut = alloc(Sizeof.LONG), maxOut = upload(new float[] {Float.NEGATIVE_INFINITY}), totalOut = alloc(Sizeof.DOUBLE);
        cuMemcpyHtoD(sumOut, Pointer.to(new long[] {0}), Sizeof.LONG);
        cuMemcpyHtoD(totalOut, Pointer.to(new double[] {0}), Sizeof.DOUBLE);
        launch("plain_sum_and_max", blocks, threads, 0, Pointer.to(sumOut), Pointer.to(maxOut), Pointer.to(totalOut),
                Pointer.to(upload(values)), Pointer.to(new int[] {n}));
        long[] actualSum = new long[1];
        double[] actualTotal = new double[1];
        cuMemcpyDtoH(Pointer.to(actualSum), sumOut, Sizeof.LONG);
        cuMemcpyDtoH(Pointer.to(actualTotal), totalOut, Sizeof.DOUBLE);
        assertEquals(sum, actualSum[0], "integer atomicAdd of warp sums");
        assertEquals((double) sum, actualTotal[0], "atomicCAS accumulation of doubles");  // integers: exact in any order
        assertEquals((float) max, downloadFloats(maxOut, 1)[0], "atomicCAS maximum of floats");
    }

    // ---- 16-bit floats ---------------------------------------------------------------------------

    /** The fields of plain_bf16 and plain_half (their SixteenBitField), in order. */
    private static final int ROUNDED = 0, SUM = 1, DIFFERENCE = 2, PRODUCT = 3, QUOTIENT = 4, FUSED = 5, PAIR_SUM = 6,
            PAIR_HIGH = 7, NEGATED = 8, MAXIMUM = 9, SIXTEEN_BIT_FIELDS = 10;

    @Test
    void bf16ArithmeticRoundsToNearestEven() {
        checkSixteenBitArithmetic("plain_bf16", Sixteen.BF16);
    }

    @Test
    void halfArithmeticRoundsToNearestEven() {
        checkSixteenBitArithmetic("plain_half", Sixteen.HALF);
    }

    /**
     * Each result must be the exact one rounded to nearest even once: the exact sum, difference,
     * product and fused multiply-add of these inputs fit a double, and a double quotient rounds to
     * 16 bits as the exact quotient does (it carries more than twice their precision).
     */
    private void checkSixteenBitArithmetic(String kernel, Sixteen format) {
        int n = 1 << 14;
        float[] a = new float[n], b = new float[n], c = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = random.nextFloat() * 16 - 8;
            b[i] = (random.nextBoolean() ? 1 : -1) * (0.25f + random.nextFloat() * 3.75f);  // no zero to divide by
            c[i] = random.nextFloat() * 16 - 8;
        }
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0x1p-25f, 65519.99f, 65520f, 1e30f,
            Float.MAX_VALUE, Float.intBitsToFloat(0x7F7F8000), 1 + 0x1p-8f, 1 + 0x1p-11f, Float.MIN_VALUE};
        System.arraycopy(special, 0, a, 0, special.length);
        System.arraycopy(special, 0, c, special.length, special.length);
        // Products that are ties (bf16: 1.125 * 1.8125, half: 1.5 * 0.6669921875) plus an addend that
        // a float sum would drop, and with it the tie-break.
        float[][] fusedTies = {{1.125f, 1.8125f, 0x1p-30f}, {1.5f, 0.6669921875f, 0x1p-24f}};
        for (int k = 0; k < fusedTies.length; k++) {
            a[n - 1 - k] = fusedTies[k][0];
            b[n - 1 - k] = fusedTies[k][1];
            c[n - 1 - k] = fusedTies[k][2];
        }

        CUdeviceptr out = alloc((long) SIXTEEN_BIT_FIELDS * n * Sizeof.SHORT), widened = alloc(n * Sizeof.FLOAT),
                integers = alloc(n * Sizeof.INT);
        launch(kernel, n / 256, 256, 0, Pointer.to(out), Pointer.to(widened), Pointer.to(integers), Pointer.to(upload(a)),
                Pointer.to(upload(b)), Pointer.to(upload(c)), Pointer.to(new int[] {n}));
        short[] actual = downloadShorts(out, SIXTEEN_BIT_FIELDS * n);
        float[] actualWidened = downloadFloats(widened, n);
        int[] actualIntegers = downloadInts(integers, n);

        String[] names = {"rounded", "x + y", "__hsub", "__hmul", "x / y", "__hfma", "__hadd2 low", "__hadd2 high", "-x", "__hmax"};
        for (int i = 0; i < n; i++) {
            short xBits = format.round(a[i]), yBits = format.round(b[i]), zBits = format.round(c[i]);
            double x = format.value(xBits), y = format.value(yBits), z = format.value(zBits);
            short[] expected = new short[SIXTEEN_BIT_FIELDS];
            expected[ROUNDED] = xBits;
            expected[SUM] = format.round(x + y);
            expected[DIFFERENCE] = format.round(x - y);
            expected[PRODUCT] = format.round(x * y);
            expected[QUOTIENT] = format.round(x / y);
            expected[FUSED] = format.round(x * y + z);
            expected[PAIR_SUM] = format.round(x + z);
            expected[PAIR_HIGH] = format.round(y + x);
            expected[NEGATED] = (short) (xBits ^ 0x8000);  // the sign bit flips, even a NaN's
            expected[MAXIMUM] = maximum(xBits, yBits, format);
            for (int f = 0; f < SIXTEEN_BIT_FIELDS; f++) {
                final int at = i, field = f;
                assertEquals(expected[f], actual[f * n + i], () -> kernel + " " + names[field] + " of x = " + a[at] + ", y = "
                        + b[at] + ", z = " + c[at]);
            }
            assertEquals((float) x, actualWidened[i], kernel + " widened");
            assertEquals((int) Math.rint(x), actualIntegers[i], kernel + " to int, rounded to nearest even");  // NaN 0, saturated
        }
    }

    /** CUDA's __hmax: a NaN gives way to a number (two NaNs give the canonical one), +0 beats -0. */
    private static short maximum(short xBits, short yBits, Sixteen format) {
        float x = format.value(xBits), y = format.value(yBits);
        if (Float.isNaN(x) && Float.isNaN(y)) return 0x7FFF;
        if (Float.isNaN(x)) return yBits;
        if (Float.isNaN(y)) return xBits;
        if (x == y) return (xBits & 0x8000) != 0 ? yBits : xBits;
        return x > y ? xBits : yBits;
    }

    // ---- math constants --------------------------------------------------------------------------

    @Test
    void mathConstantsHaveCudasValues() {
        CUdeviceptr floats = alloc(8 * Sizeof.FLOAT), doubles = alloc(6 * Sizeof.DOUBLE);
        launch("plain_math_constants", 1, 1, 0, Pointer.to(floats), Pointer.to(doubles));
        int[] floatBits = downloadInts(floats, 8);
        long[] doubleBits = new long[6];
        cuMemcpyDtoH(Pointer.to(doubleBits), doubles, 6L * Sizeof.DOUBLE);
        float[] expectedFloats = {(float) Math.PI, Float.POSITIVE_INFINITY, Float.intBitsToFloat(0x7FFFFFFF), (float) Math.sqrt(2),
            (float) Math.log(2), Float.MAX_VALUE, Float.MIN_VALUE, -0f};
        for (int k = 0; k < 8; k++) {
            assertEquals(Integer.toHexString(Float.floatToRawIntBits(expectedFloats[k])), Integer.toHexString(floatBits[k]), "float " + k);
        }
        long[] expectedDoubles = {Double.doubleToRawLongBits(Math.PI), Double.doubleToRawLongBits(Double.POSITIVE_INFINITY),
            0xFFF8000000000000L, Double.doubleToRawLongBits(1.4426950408889634), Double.doubleToRawLongBits(Math.sqrt(0.5)),
            Double.doubleToRawLongBits(Double.MIN_NORMAL)};
        for (int k = 0; k < 6; k++) assertEquals(Long.toHexString(expectedDoubles[k]), Long.toHexString(doubleBits[k]), "double " + k);
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static CUfunction function(String name) {
        CUfunction f = new CUfunction();
        cuModuleGetFunction(f, module, name);
        return f;
    }

    private static void launch(String kernel, int blocks, int threads, int sharedBytes, Pointer... args) {
        cuLaunchKernel(function(kernel), blocks, 1, 1, threads, 1, 1, sharedBytes, null, Pointer.to(args), null);
    }

    /** Uniform in [-bound, bound). */
    private int[] ints(int n, int bound) {
        int[] values = new int[n];
        for (int i = 0; i < n; i++) values[i] = random.nextInt(2 * bound) - bound;
        return values;
    }
}
