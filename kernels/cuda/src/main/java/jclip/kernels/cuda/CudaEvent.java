package jclip.kernels.cuda;

import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.JCudaDriver;

/** A marker in a stream: for waiting on work and timing it on the device's own clock. */
public final class CudaEvent implements AutoCloseable {
    private final CudaDevice device;
    private final CUevent handle = new CUevent();

    public CudaEvent(CudaDevice device) {
        this.device = device;
        device.makeCurrent();
        CudaException.checkDriver(JCudaDriver.cuEventCreate(handle, CUevent_flags.CU_EVENT_DEFAULT), "cuEventCreate");
    }

    public CudaEvent record(CudaStream stream) {
        CudaException.checkDriver(JCudaDriver.cuEventRecord(handle, stream.handle()), "cuEventRecord");
        return this;
    }

    public void synchronize() {
        CudaException.checkDriver(JCudaDriver.cuEventSynchronize(handle), "cuEventSynchronize");
    }

    /** Milliseconds between {@code start} and this event, both recorded and finished. */
    public float millisSince(CudaEvent start) {
        float[] ms = new float[1];
        CudaException.checkDriver(JCudaDriver.cuEventElapsedTime(ms, start.handle, handle), "cuEventElapsedTime");
        return ms[0];
    }

    @Override
    public void close() {
        device.makeCurrent();
        CudaException.checkDriver(JCudaDriver.cuEventDestroy(handle), "cuEventDestroy");
    }
}
