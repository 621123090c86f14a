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
 * <p>On the simulated GPU the allocator is strict instead of economical by default: every block has
 * exactly the size asked for, so the simulator's range checks (copies, cuBLAS and cuDNN operands, a
 * kernel's own loads and stores) apply at a buffer's own end rather than its size class's, and a
 * reused block is filled with NaN again, as a fresh allocation is, so a kernel that forgets to write
 * an output fails its test either way. {@code -Djclip.cuda.allocator=caching} (or {@code strict})
 * chooses either mode on either device; CI runs the GPU tests in both.
 *
 * <p>Statistics: {@link MemoryStats#allocated()} counts the sizes of live blocks (what tensors hold),
 * {@link #reserved()} everything taken from the driver, cached blocks included.
 */
final class CachingAllocator {
    private static final long SMALL = 512, LARGE = 2L << 20, SMALL_LIMIT = 1L << 20;
    /** All ones: NaN in every float32, bf16 and half lane, whatever a buffer's dtype. */
    private static final byte NAN_BYTE = (byte) 0xFF;

    private final Map<Long, ArrayDeque<DevicePointer>> cache = new HashMap<>();
    private final MemoryStats stats = new MemoryStats();
    private final Mode mode;
    private final boolean strict;
    private long reserved;
    private long cached;

    /** Exact sizes and NaN-filled reuse, or size classes as they are. */
    enum Mode {
        STRICT, CACHING;

        /** From jclip.cuda.allocator; by default strict on the simulated GPU, caching on a real one. */
        static Mode current() {
            String setting = System.getProperty("jclip.cuda.allocator", "");
            switch (setting.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "":
                    return CudaMode.isSimulated() ? STRICT : CACHING;
                case "strict":
                    return STRICT;
                case "caching":
                    return CACHING;
                default:
                    throw new IllegalArgumentException("jclip.cuda.allocator must be 'strict' or 'caching', not '" + setting + "'");
            }
        }
    }

    CachingAllocator(Mode mode) {
        this.mode = mode;
        this.strict = mode == Mode.STRICT;
    }

    Mode mode() {
        return mode;
    }

    static long sizeClass(long bytes) {
        long unit = bytes <= SMALL_LIMIT ? SMALL : LARGE;
        return Math.max(unit, (bytes + unit - 1) / unit * unit);
    }

    /** The size of the block a request of {@code bytes} gets. */
    long blockSize(long bytes) {
        return strict ? Math.max(1, bytes) : sizeClass(bytes);
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

    /** A block of at least {@code bytes}, of {@link #blockSize}. */
    synchronized DevicePointer allocate(long bytes) {
        long size = blockSize(bytes);
        ArrayDeque<DevicePointer> free = cache.get(size);
        DevicePointer block = free == null ? null : free.pollLast();
        if (block != null) {
            cached -= size;
            if (strict) CudaException.checkDriver(JCudaDriver.cuMemsetD8(block, NAN_BYTE, size), "cuMemsetD8(NaN)");
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
        long size = blockSize(bytes);
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
