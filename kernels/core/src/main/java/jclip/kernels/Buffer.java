package jclip.kernels;

/**
 * One allocation of {@code length} elements of one dtype on one backend. Closing releases it;
 * closing twice is harmless. Tensors share a buffer through views and free it deterministically
 * (see jclip.tensor.MemoryScope); nothing here depends on the garbage collector.
 */
public abstract class Buffer implements AutoCloseable {
    private final DType dtype;
    private final int length;
    private boolean closed;

    protected Buffer(DType dtype, int length) {
        if (length < 0) throw new IllegalArgumentException("negative buffer length " + length);
        this.dtype = dtype;
        this.length = length;
    }

    public final DType dtype() {
        return dtype;
    }

    public final int length() {
        return length;
    }

    public final long byteSize() {
        return (long) length * dtype.byteSize();
    }

    public final boolean isClosed() {
        return closed;
    }

    @Override
    public final void close() {
        if (closed) return;
        closed = true;
        release();
    }

    /** Frees the memory; called exactly once. */
    protected abstract void release();

    protected final void checkOpen() {
        if (closed) throw new IllegalStateException("use of a closed " + dtype + " buffer of " + length + " elements");
    }
}
