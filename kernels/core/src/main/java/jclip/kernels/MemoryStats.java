package jclip.kernels;

import java.util.concurrent.atomic.AtomicLong;

/** Live bytes, the peak since the last reset, and the number of live buffers of one backend. */
public final class MemoryStats {
    private final AtomicLong allocated = new AtomicLong();
    private final AtomicLong peak = new AtomicLong();
    private final AtomicLong buffers = new AtomicLong();

    public void onAllocate(long bytes) {
        long now = allocated.addAndGet(bytes);
        buffers.incrementAndGet();
        peak.accumulateAndGet(now, Math::max);
    }

    public void onRelease(long bytes) {
        allocated.addAndGet(-bytes);
        buffers.decrementAndGet();
    }

    /** Bytes held by live buffers. */
    public long allocated() {
        return allocated.get();
    }

    /** Highest {@link #allocated()} since start or {@link #resetPeak()}. */
    public long peak() {
        return peak.get();
    }

    public long liveBuffers() {
        return buffers.get();
    }

    public void resetPeak() {
        peak.set(allocated.get());
    }

    @Override
    public String toString() {
        return String.format("allocated %,d B in %,d buffers, peak %,d B", allocated(), liveBuffers(), peak());
    }
}
