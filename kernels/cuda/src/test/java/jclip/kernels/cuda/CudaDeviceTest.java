package jclip.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.MemoryStats;
import jclip.kernels.cpu.CpuKernels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The device layer itself: memory, copies, the allocator's reuse, launch checks, events, pinned memory. */
@Tag("gpu")
class CudaDeviceTest {
    private static CudaDevice device;
    private static CudaKernels kernels;

    @BeforeAll
    static void open() {
        device = CudaDevice.get(0);
        kernels = device.kernels();
    }

    @Test
    void everyDtypeRoundTripsThroughDeviceMemory() {
        Random random = new Random(3);
        for (DType dtype : DType.values()) {
            int n = 1001;
            Object host = dtype.newHostArray(n);
            try (Buffer src = CpuKernels.INSTANCE.allocate(dtype, n); Buffer d = kernels.allocate(dtype, n + 5)) {
                for (int i = 0; i < n; i++) java.lang.reflect.Array.set(host, i, randomValue(dtype, random));
                kernels.write(d, 5, host, 0, n);
                Object back = dtype.newHostArray(n);
                kernels.read(d, 5, back, 0, n);
                assertTrue(java.util.Objects.deepEquals(host, back), dtype + " came back unchanged");
            }
        }
    }

    private static Object randomValue(DType dtype, Random r) {
        return switch (dtype) {
            case F32 -> r.nextFloat() - 0.5f;
            case F16, BF16 -> (short) r.nextInt(1 << 16);
            case I32 -> r.nextInt();
            case I64 -> r.nextLong();
            case U8, BOOL -> (byte) r.nextInt(256);
        };
    }

    @Test
    void copiesOutsideABufferAreRefusedBeforeTheDriver() {
        try (Buffer d = kernels.allocate(DType.F32, 10)) {
            assertThrows(IndexOutOfBoundsException.class, () -> kernels.write(d, 5, new float[10], 0, 6));
            assertThrows(IndexOutOfBoundsException.class, () -> kernels.read(d, 0, new float[5], 0, 6));
            assertThrows(IllegalArgumentException.class, () -> kernels.write(d, 0, new int[10], 0, 10), "an int[] for F32 data");
        }
    }

    @Test
    void freedBlocksAreReusedAndCounted() {
        MemoryStats stats = kernels.memory();
        long allocatedBefore = stats.allocated();
        try (Buffer warm = kernels.allocate(DType.F32, 12345)) {
            assertEquals(allocatedBefore + device.allocator().blockSize(12345 * 4L), stats.allocated());
        }
        assertEquals(allocatedBefore, stats.allocated());
        long reserved = device.reservedBytes();
        for (int i = 0; i < 100; i++) {
            try (Buffer again = kernels.allocate(DType.F32, 12345)) {
                assertEquals(reserved, device.reservedBytes(), "the cached block is handed out again, no new cuMemAlloc");
            }
        }
        device.emptyCache();
        assertTrue(device.reservedBytes() < reserved, "emptyCache returns cached blocks to the driver");
    }

    /** The strict allocator (the simulator's default): a block handed out again holds NaN, as a fresh one does. */
    @Test
    void theStrictAllocatorFillsAReusedBlockWithNaN() {
        org.junit.jupiter.api.Assumptions.assumeTrue(device.allocator().mode() == CachingAllocator.Mode.STRICT,
                "the caching allocator keeps old contents");
        float[] values = {1, 2, 3, 4, 5};
        try (Buffer first = kernels.allocate(DType.F32, 5)) {
            kernels.write(first, 0, values, 0, 5);
        }
        try (Buffer again = kernels.allocate(DType.F32, 5)) {
            float[] back = new float[5];
            kernels.read(again, 0, back, 0, 5);
            for (float v : back) assertTrue(Float.isNaN(v), "reused memory reads " + java.util.Arrays.toString(back));
        }
    }

    @Test
    void launchesAreCheckedAgainstThePtxParameterList() {
        CudaKernel unary = device.kernel("elementwise", "jclip_unary_f32");
        IllegalArgumentException tooFew = assertThrows(IllegalArgumentException.class, () -> unary.i32(0).f32(1f).launch(1, 32, 0));
        assertEquals("elementwise.jclip_unary_f32 takes 5 arguments (PTX .entry), given 2", tooFew.getMessage());
        IllegalArgumentException wrongSize = assertThrows(IllegalArgumentException.class, () -> unary.i64(0));
        assertEquals("elementwise.jclip_unary_f32 argument 0 is 4 bytes in the PTX, given a long (8 bytes)", wrongSize.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> device.kernel("elementwise", "no_such_kernel"));
        assertTrue(unknown.getMessage().startsWith("no kernel no_such_kernel in elementwise.ptx"), unknown.getMessage());
    }

    @Test
    void aRefusedArgumentDropsThePartialLaunch() {
        CudaKernel unary = device.kernel("elementwise", "jclip_unary_f32");
        try (Buffer host = CpuKernels.INSTANCE.allocate(DType.F32, 4); Buffer x = kernels.allocate(DType.F32, 4);
                Buffer y = kernels.allocate(DType.F32, 4)) {
            kernels.write(x, 0, new float[] {1, -2, 3, -4}, 0, 4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> unary.i32(0).f32(0f).pointer(host, 0));
            assertTrue(e.getMessage().contains("not on cuda:0"), e.getMessage());
            unary.i32(jclip.kernels.UnaryOp.NEG.ordinal()).f32(0f).pointer(x, 0).pointer(y, 0).i32(4).launch(1, 32, 0);
            float[] out = new float[4];
            kernels.read(y, 0, out, 0, 4);
            assertArrayEquals(new float[] {-1, 2, -3, 4}, out, "the next launch started from its first argument");
        }
    }

    @Test
    void aLaunchBeyondTheDeviceLimitsFailsInTheDriverNamingTheKernel() {
        try (Buffer x = kernels.allocate(DType.F32, 2048); Buffer y = kernels.allocate(DType.F32, 2048)) {
            CudaKernel unary = device.kernel("elementwise", "jclip_unary_f32");
            CudaException e = assertThrows(CudaException.class,
                    () -> unary.i32(0).f32(0f).pointer(x, 0).pointer(y, 0).i32(2048).launch(1, 1025, 0));
            assertEquals(1, e.status(), "CUDA_ERROR_INVALID_VALUE");
            assertTrue(e.getMessage().startsWith("cuLaunchKernel(elementwise.jclip_unary_f32, grid 1x1x1, block 1025x1x1"), e.getMessage());
        }
    }

    @Test
    void eventsTimeDeviceWork() {
        try (CudaEvent start = new CudaEvent(device); CudaEvent end = new CudaEvent(device);
                Buffer x = kernels.allocate(DType.F32, 4096)) {
            start.record(device.stream());
            kernels.fill(x, 0, 4096, 2.0);
            end.record(device.stream());
            end.synchronize();
            assertTrue(end.millisSince(start) >= 0f);
        }
    }

    @Test
    void pinnedMemoryCopiesToTheDeviceAsynchronously() {
        int n = 777;
        try (PinnedBuffer pinned = new PinnedBuffer(device, n * 4); CudaBuffer d = kernels.allocate(DType.F32, n)) {
            float[] expected = new float[n];
            for (int i = 0; i < n; i++) {
                expected[i] = i * 0.5f - 7f;
                pinned.bytes().putFloat(4 * i, expected[i]);
            }
            pinned.copyToDeviceAsync(d, n * 4L, device.stream());
            device.stream().synchronize();
            float[] back = new float[n];
            kernels.read(d, 0, back, 0, n);
            assertArrayEquals(expected, back);
        }
    }
}
