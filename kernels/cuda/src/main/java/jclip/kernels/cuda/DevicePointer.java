package jclip.kernels.cuda;

import jcuda.driver.CUdeviceptr;

/** A CUdeviceptr whose address Java can read, to pass into kernel argument buffers. */
final class DevicePointer extends CUdeviceptr {
    DevicePointer() {}

    long address() {
        return getNativePointer() + getByteOffset();
    }
}
