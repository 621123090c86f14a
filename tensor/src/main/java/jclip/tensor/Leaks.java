package jclip.tensor;

import java.lang.System.Logger.Level;
import jclip.kernels.Buffer;

/**
 * Reports tensors the garbage collector found unclosed (leaks), whose memory Storage's Cleaner
 * then frees: one WARNING line each on the System.Logger "jclip.tensor.Leaks", with dtype, shape,
 * bytes and device. With {@code -Djclip.leaks.trace=true} every allocation also records its stack
 * (costly, so only then), and the report carries it as the log record's throwable.
 */
final class Leaks {
    /** The system property that turns on allocation stacks. */
    static final String TRACE_PROPERTY = "jclip.leaks.trace";
    /** The logger's name. */
    static final String LOGGER = Leaks.class.getName();
    private static final System.Logger LOG = System.getLogger(LOGGER);

    /** Whether allocations record their stacks: the property's value at start-up (tests may set it). */
    static volatile boolean trace = Boolean.getBoolean(TRACE_PROPERTY);

    private Leaks() {}

    /** Where the tensor being created is allocated, or null when tracing is off. */
    static Throwable allocationSite() {
        return trace ? new Throwable("tensor allocated here") : null;
    }

    /** Called by the Cleaner's thread for a buffer that no tensor closed. */
    static void report(Buffer buffer, int[] shape, Device device, Throwable allocatedAt) {
        if (!LOG.isLoggable(Level.WARNING)) return;
        LOG.log(Level.WARNING, String.format("leaked tensor freed by the garbage collector: %s %s (%d bytes) on %s; close it "
                        + "or create it inside a MemoryScope%s", buffer.dtype(), Shape.str(shape), buffer.byteSize(), device,
                allocatedAt == null ? " (-D" + TRACE_PROPERTY + "=true shows where it was allocated)" : ""), allocatedAt);
    }
}
