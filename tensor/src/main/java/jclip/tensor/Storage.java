package jclip.tensor;

import java.lang.ref.Cleaner;
import jclip.kernels.Buffer;

/**
 * A buffer shared by a tensor and its views, freed when the last of them is closed. A Cleaner is
 * only a safety net for tensors that are never closed: it releases the buffer after the garbage
 * collector finds it unreachable, and reports the leak (see {@link Leaks}).
 */
final class Storage {
    private static final Cleaner CLEANER = Cleaner.create();

    final Buffer buffer;
    final Device device;
    private int references;
    private final Free free;
    private final Cleaner.Cleanable cleanable;

    /** {@code shape}: that of the tensor the buffer was allocated for, for the leak report. */
    Storage(Buffer buffer, Device device, int[] shape) {
        this.buffer = buffer;
        this.device = device;
        this.free = new Free(buffer, shape, device, Leaks.allocationSite());
        this.cleanable = CLEANER.register(this, free);
    }

    synchronized void retain() {
        if (buffer.isClosed()) throw new IllegalStateException("storage already released");
        references++;
    }

    /** Whether more than one tensor refers to this storage (views, aliases). */
    synchronized boolean isShared() {
        return references > 1;
    }

    synchronized void release() {
        if (--references == 0) {
            free.closed = true;
            cleanable.clean();
        }
    }

    /**
     * The cleaning action; it must not refer to its Storage, or the Storage would never become
     * unreachable. Run once: by release(), or by the Cleaner's thread, which only happens when the
     * Storage is unreachable and so was never released: a leak.
     */
    private static final class Free implements Runnable {
        private final Buffer buffer;
        private final int[] shape;
        private final Device device;
        private final Throwable allocatedAt;
        private boolean closed;

        Free(Buffer buffer, int[] shape, Device device, Throwable allocatedAt) {
            this.buffer = buffer;
            this.shape = shape;
            this.device = device;
            this.allocatedAt = allocatedAt;
        }

        @Override
        public void run() {
            if (!closed) Leaks.report(buffer, shape, device, allocatedAt);
            buffer.close();
        }
    }
}
