package jclip.kernels.cpu;

import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.MemoryStats;

/** A buffer held in a Java array: float[] (F32), short[] (F16, BF16), int[], long[], byte[] (U8, BOOL). */
public final class CpuBuffer extends Buffer {
    private Object array;
    private final MemoryStats stats;
    /** Where the array goes back on release; null for a wrapped array, which its owner still holds. */
    private final ArrayPool pool;

    CpuBuffer(DType dtype, Object array, int length, MemoryStats stats, ArrayPool pool) {
        super(dtype, length);
        this.array = array;
        this.stats = stats;
        this.pool = pool;
        stats.onAllocate(byteSize());
    }

    /** The backing array; valid until the buffer is closed. */
    public Object array() {
        checkOpen();
        return array;
    }

    public float[] f32() {
        checkOpen();
        if (!(array instanceof float[] a)) throw new IllegalArgumentException("expected an F32 buffer, got " + dtype());
        return a;
    }

    public int[] i32() {
        checkOpen();
        if (!(array instanceof int[] a)) throw new IllegalArgumentException("expected an I32 buffer, got " + dtype());
        return a;
    }

    public long[] i64() {
        checkOpen();
        if (!(array instanceof long[] a)) throw new IllegalArgumentException("expected an I64 buffer, got " + dtype());
        return a;
    }

    @Override
    protected void release() {
        if (pool != null) pool.give(dtype(), array, length());
        array = null;
        stats.onRelease(byteSize());
    }
}
