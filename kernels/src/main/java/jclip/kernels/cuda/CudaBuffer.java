package jclip.kernels.cuda;

import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jcuda.driver.CUdeviceptr;

/** Device memory of one CUDA device, from its caching allocator; closing returns it to the cache. */
public final class CudaBuffer extends Buffer {
    private final CudaDevice device;
    private final DevicePointer block;
    private final long address;

    CudaBuffer(CudaDevice device, DType dtype, int length) {
        super(dtype, length);
        this.device = device;
        this.block = device.allocator().allocate(byteSize());
        this.address = block.address();
    }

    public CudaDevice device() {
        return device;
    }

    /** The device address of element 0. */
    public long address() {
        checkOpen();
        return address;
    }

    /** A driver pointer to element {@code elementOffset}, for cuMemcpy, cuBLAS and cuDNN calls. */
    public CUdeviceptr at(long elementOffset) {
        checkOpen();
        return elementOffset == 0 ? block : block.withByteOffset(elementOffset * dtype().byteSize());
    }

    @Override
    protected void release() {
        device.allocator().free(block, byteSize());
    }
}
