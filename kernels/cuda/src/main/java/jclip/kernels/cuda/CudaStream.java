package jclip.kernels.cuda;

import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/** An ordered queue of device work. The device's default stream is the driver's legacy stream. */
public final class CudaStream implements AutoCloseable {
    private final CudaDevice device;
    private final CUstream handle;
    private final boolean owned;

    private CudaStream(CudaDevice device, CUstream handle, boolean owned) {
        this.device = device;
        this.handle = handle;
        this.owned = owned;
    }

    static CudaStream legacy(CudaDevice device) {
        return new CudaStream(device, new CUstream(), false);
    }

    /** A new stream that does not synchronise with the legacy default stream. */
    public static CudaStream create(CudaDevice device) {
        device.makeCurrent();
        CUstream handle = new CUstream();
        CudaException.checkDriver(JCudaDriver.cuStreamCreate(handle, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
        return new CudaStream(device, handle, true);
    }

    public CUstream handle() {
        return handle;
    }

    /** Waits until everything queued on this stream has finished. */
    public void synchronize() {
        device.makeCurrent();
        CudaException.checkDriver(JCudaDriver.cuStreamSynchronize(handle), "cuStreamSynchronize");
    }

    @Override
    public void close() {
        if (owned) CudaException.checkDriver(JCudaDriver.cuStreamDestroy(handle), "cuStreamDestroy");
    }
}
