package jclip.kernels.cuda;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import jclip.kernels.MemoryStats;
import jcuda.driver.JCudaDriver;

/**
 * Device memory with a cache: freed blocks are kept per size class and handed to the next request of
 * that class, so a training loop, which asks for the same sizes every step, stops calling cuMemAlloc
 * and cuMemFree (each synchronises the device) after its first step. Requests round up to a multiple
 * of 512 bytes below 1 MiB and of 2 MiB above. When cuMemAlloc runs out of memory the cache is
 * emptied and the request tried once more.
 *
 * <p>Statistics: {@link MemoryStats#allocated()} counts the size classes of live blocks (what tensors
 * hold), {@link #reserved()} everything taken from the driver, cached blocks included.
 */
final class CachingAllocator {
    private static final long SMALL = 512, LARGE = 2L << 20, SMALL_LIMIT = 1L << 20;

    private final Map<Long, ArrayDeque<DevicePointer>> cache = new HashMap<>();
    private final MemoryStats stats = new MemoryStats();
    private long reserved;
    private long cached;

    static long sizeClass(long bytes) {
        long unit = bytes <= SMALL_LIMIT ? SMALL : LARGE;
        return Math.max(unit, (bytes + unit - 1) / unit * unit);
    }

    MemoryStats stats() {
        return stats;
    }

    synchronized long reserved() {
        return reserved;
    }

    /** Bytes held in the cache, free for reuse. */
    synchronized long cached() {
        return cached;
    }

    /** A block of at least {@code bytes}; its size class is {@link #sizeClass}. */
    synchronized DevicePointer allocate(long bytes) {
        long size = sizeClass(bytes);
        ArrayDeque<DevicePointer> free = cache.get(size);
        DevicePointer block = free == null ? null : free.pollLast();
        if (block != null) {
            cached -= size;
        } else {
            block = new DevicePointer();
            int status = JCudaDriver.cuMemAlloc(block, size);
            if (status != 0) {
                emptyCache();
                status = JCudaDriver.cuMemAlloc(block, size);
            }
            if (status != 0) {
                throw CudaException.driver(status, "cuMemAlloc(" + size + " bytes) with " + stats
                        + ", " + reserved + " B reserved");
            }
            reserved += size;
        }
        stats.onAllocate(size);
        return block;
    }

    synchronized void free(DevicePointer block, long bytes) {
        long size = sizeClass(bytes);
        stats.onRelease(size);
        cache.computeIfAbsent(size, s -> new ArrayDeque<>()).addLast(block);
        cached += size;
    }

    /** Returns every cached block to the driver. */
    synchronized void emptyCache() {
        for (Map.Entry<Long, ArrayDeque<DevicePointer>> e : cache.entrySet()) {
            for (DevicePointer block : e.getValue()) {
                CudaException.checkDriver(JCudaDriver.cuMemFree(block), "cuMemFree");
                reserved -= e.getKey();
            }
        }
        cache.clear();
        cached = 0;
    }
}
