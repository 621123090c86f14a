package jclip.kernels.cpu;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.SoftReference;
import java.util.Arrays;
import java.util.Deque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import jclip.kernels.DType;

/**
 * The arrays of released CPU buffers, kept for the next buffer of the same type and length. A
 * model's steady state allocates the same sizes on every call or step, so after the first one it
 * takes every array from here: no fresh pages for the kernel to zero, no garbage for the collector,
 * and a heap that stops growing (fresh memory for every tensor had cost a training step about
 * 1.1 GB of new pages and 2.3 M page faults). A reused array is zeroed, as a new one is.
 *
 * <p>Arrays are held through soft references, so the collector may still take them all before it
 * would run out of memory, and the pool holds at most {@code -Djclip.cpu.pool.mb} MiB (default half
 * the maximum heap: a training step frees about as much as it takes, and with a quarter the ViT-B/32
 * step at -Xmx3800m missed the pool often enough to take 3,646 ms at 3.85 GiB peak RSS instead of
 * 3,461 ms at 3.72 GiB, 2026-12-08). Arrays under {@value #MIN_BYTES} bytes are not pooled: a thread
 * allocates those from its own buffer faster than a shared pool hands them out.
 */
final class ArrayPool {
    static final int MIN_BYTES = 16 << 10;

    private record Key(DType dtype, int length) {}

    /** A pooled array; once the collector clears it, it arrives on {@link #cleared} to be uncounted. */
    private static final class Entry extends SoftReference<Object> {
        final long bytes;
        /** Set by whoever takes the entry off its deque first: take, or the clean-up of cleared ones. */
        final AtomicBoolean counted = new AtomicBoolean(true);

        Entry(Object array, long bytes, ReferenceQueue<Object> queue) {
            super(array, queue);
            this.bytes = bytes;
        }
    }

    private final ConcurrentHashMap<Key, Deque<Entry>> free = new ConcurrentHashMap<>();
    private final ReferenceQueue<Object> cleared = new ReferenceQueue<>();
    private final AtomicLong heldBytes = new AtomicLong();
    private final long capacityBytes;

    ArrayPool(long capacityBytes) {
        this.capacityBytes = capacityBytes;
    }

    static ArrayPool sizedFromHeap() {
        long mb = Long.getLong("jclip.cpu.pool.mb", Runtime.getRuntime().maxMemory() / 2 >> 20);
        return new ArrayPool(Math.max(0, mb) << 20);
    }

    /** A zeroed array of {@code length} elements of {@code dtype}: a pooled one, or a new one. */
    Object take(DType dtype, int length) {
        long bytes = (long) length * dtype.byteSize();
        if (bytes >= MIN_BYTES) {
            Deque<Entry> arrays = free.get(new Key(dtype, length));
            if (arrays != null) {
                for (Entry entry; (entry = arrays.pollFirst()) != null; ) {
                    uncount(entry);
                    Object array = entry.get();
                    if (array != null) {
                        zero(array);
                        return array;
                    }
                }
            }
        }
        return dtype.newHostArray(length);
    }

    /** Keeps a released buffer's array for reuse (if it is large enough and the pool has room). */
    void give(DType dtype, Object array, int length) {
        long bytes = (long) length * dtype.byteSize();
        if (bytes < MIN_BYTES) return;
        for (Object ref; (ref = cleared.poll()) != null; ) uncount((Entry) ref);
        if (heldBytes.addAndGet(bytes) > capacityBytes) {
            heldBytes.addAndGet(-bytes);
            return;
        }
        free.computeIfAbsent(new Key(dtype, length), k -> new ConcurrentLinkedDeque<>()).offerFirst(new Entry(array, bytes, cleared));
    }

    private void uncount(Entry entry) {
        if (entry.counted.compareAndSet(true, false)) heldBytes.addAndGet(-entry.bytes);
    }

    /** Bytes of arrays held (until the next give, also any the collector has just cleared). */
    long heldBytes() {
        return heldBytes.get();
    }

    private static void zero(Object array) {
        if (array instanceof float[] a) Arrays.fill(a, 0f);
        else if (array instanceof short[] a) Arrays.fill(a, (short) 0);
        else if (array instanceof int[] a) Arrays.fill(a, 0);
        else if (array instanceof long[] a) Arrays.fill(a, 0L);
        else Arrays.fill((byte[]) array, (byte) 0);
    }
}
