package jclip.kernels.cuda;

import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jcuda.driver.CUdeviceptr;

/** Device memory of one CUDA device, from its caching allocator; closing returns it to the cache. */
public final class CudaBuffer extends Buffer {
    private final CudaDevice device;
    private final CachingAllocator allocator;
    private final int generation;
    private final DevicePointer block;
    private final long address;

    CudaBuffer(CudaDevice device, DType dtype, int length) {
        super(dtype, length);
        this.device = device;
        this.allocator = device.allocator();
        this.generation = device.generation();
        this.block = allocator.allocate(byteSize());
        this.address = block.address();
    }

    public CudaDevice device() {
        return device;
    }

    /** The device address of element 0. */
    public long address() {
        checkUsable();
        return address;
    }

    /** A driver pointer to element {@code elementOffset}, for cuMemcpy, cuBLAS and cuDNN calls. */
    public CUdeviceptr at(long elementOffset) {
        checkUsable();
        return elementOffset == 0 ? block : block.withByteOffset(elementOffset * dtype().byteSize());
    }

    /** Memory from before a {@link CudaDevice#reset} went with the old context: it is not given back. */
    @Override
    protected void release() {
        if (generation == device.generation()) allocator.free(block, byteSize());
    }

    private void checkUsable() {
        checkOpen();
        if (generation != device.generation()) {
            throw new IllegalStateException("a " + dtype() + " buffer of " + length() + " elements from before " + device
                    + " was reset: its memory went with the old context");
        }
    }
}
