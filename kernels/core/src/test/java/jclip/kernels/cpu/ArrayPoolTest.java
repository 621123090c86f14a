package jclip.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import jclip.kernels.DType;
import org.junit.jupiter.api.Test;

class ArrayPoolTest {
    @Test
    void aReleasedArrayComesBackZeroedForTheSameTypeAndLength() {
        ArrayPool pool = new ArrayPool(1 << 20);
        float[] a = (float[]) pool.take(DType.F32, 8192);
        a[17] = 3f;
        pool.give(DType.F32, a, 8192);
        assertEquals(32768, pool.heldBytes());
        assertNotSame(a, pool.take(DType.F32, 8192 + 1), "another length gets another array");
        float[] again = (float[]) pool.take(DType.F32, 8192);
        assertSame(a, again);
        assertEquals(0f, again[17]);
        assertEquals(0, pool.heldBytes());
        long[] l = (long[]) pool.take(DType.I64, 8192);
        assertNotSame(a, l);
    }

    @Test
    void smallArraysAndArraysBeyondTheCapacityAreDropped() {
        ArrayPool pool = new ArrayPool(100_000);
        float[] small = new float[ArrayPool.MIN_BYTES / 4 - 1];
        pool.give(DType.F32, small, small.length);
        assertEquals(0, pool.heldBytes());
        assertNotSame(small, pool.take(DType.F32, small.length));
        pool.give(DType.F32, new float[20_000], 20_000);
        pool.give(DType.F32, new float[20_000], 20_000);
        assertEquals(80_000, pool.heldBytes(), "the second would pass 100,000 bytes");
    }

    @Test
    void buffersReuseArraysButNeverAWrappedOne() {
        CpuKernels k = CpuKernels.INSTANCE;
        CpuBuffer first = k.allocate(DType.F32, 50_000);
        float[] array = first.f32();
        array[0] = 1f;
        first.close();
        try (CpuBuffer second = k.allocate(DType.F32, 50_000)) {
            assertSame(array, second.f32(), "the same size reuses the released array");
            assertEquals(0f, second.f32()[0]);
        }
        float[] mine = new float[50_000];
        k.wrap(DType.F32, mine).close();
        try (CpuBuffer other = k.allocate(DType.F32, 50_000); CpuBuffer third = k.allocate(DType.F32, 50_000)) {
            assertNotSame(mine, other.f32(), "a wrapped array still belongs to its owner");
            assertNotSame(mine, third.f32());
        }
    }
}
