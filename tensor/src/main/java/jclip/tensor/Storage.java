package jclip.tensor;

import java.lang.ref.Cleaner;
import jclip.kernels.Buffer;

/**
 * A buffer shared by a tensor and its views, freed when the last of them is closed. A Cleaner is
 * only a safety net for tensors that are never closed: it releases the buffer after the garbage
 * collector finds it unreachable.
 */
final class Storage {
    private static final Cleaner CLEANER = Cleaner.create();

    final Buffer buffer;
    final Device device;
    private int references;
    private final Cleaner.Cleanable cleanable;

    Storage(Buffer buffer, Device device) {
        this.buffer = buffer;
        this.device = device;
        this.cleanable = CLEANER.register(this, buffer::close);
    }

    synchronized void retain() {
        if (buffer.isClosed()) throw new IllegalStateException("storage already released");
        references++;
    }

    synchronized void release() {
        if (--references == 0) cleanable.clean();
    }
}
