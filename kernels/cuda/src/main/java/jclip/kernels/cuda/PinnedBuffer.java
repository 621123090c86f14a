package jclip.kernels.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jcuda.Pointer;
import jcuda.driver.JCudaDriver;

/**
 * Page-locked host memory: the device copies to and from it without a staging copy, and
 * asynchronously, so a data loader can fill the next batch while the current one trains.
 */
public final class PinnedBuffer implements AutoCloseable {
    private final CudaDevice device;
    private final Pointer pointer = new Pointer();
    private final ByteBuffer bytes;
    private boolean closed;

    public PinnedBuffer(CudaDevice device, int byteSize) {
        this.device = device;
        device.makeCurrent();
        CudaException.checkDriver(JCudaDriver.cuMemHostAlloc(pointer, byteSize, 0), "cuMemHostAlloc(" + byteSize + " bytes)");
        this.bytes = pointer.getByteBuffer(0, byteSize).order(ByteOrder.nativeOrder());
    }

    /** The memory as a native-order buffer; invalid after {@link #close}. */
    public ByteBuffer bytes() {
        if (closed) throw new IllegalStateException("pinned buffer closed");
        return bytes;
    }

    Pointer pointer() {
        return pointer;
    }

    /** Copies {@code byteCount} bytes from here into {@code dst} at element 0, asynchronously on {@code stream}. */
    public void copyToDeviceAsync(CudaBuffer dst, long byteCount, CudaStream stream) {
        if (byteCount > dst.byteSize() || byteCount > bytes.capacity())
            throw new IllegalArgumentException(byteCount + " bytes do not fit a pinned buffer of " + bytes.capacity()
                    + " and a device buffer of " + dst.byteSize());
        device.makeCurrent();
        CudaException.checkDriver(JCudaDriver.cuMemcpyHtoDAsync(dst.at(0), pointer, byteCount, stream.handle()), "cuMemcpyHtoDAsync");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        device.makeCurrent();
        CudaException.checkDriver(JCudaDriver.cuMemFreeHost(pointer), "cuMemFreeHost");
    }
}
