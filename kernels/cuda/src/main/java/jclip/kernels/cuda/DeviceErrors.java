package jclip.kernels.cuda;

import java.util.ArrayList;
import java.util.List;
import jclip.kernels.DType;
import jcuda.Pointer;
import jcuda.driver.JCudaDriver;

/**
 * The device-side error record of one device, CUDA's device-side assert made recoverable. A kernel
 * cannot throw, and checking its input on the host would cost a copy back per call; so a kernel
 * that finds bad input (today: an index outside [0, dim) in src/main/cuda/indexing.cu) records the
 * first one in a small device buffer, {@code struct DeviceError} of src/main/cuda/device_error.cuh,
 * and carries on without using it. The host looks at the record only where it waits for the device
 * anyway, {@link CudaKernels#read} and {@link CudaDevice#synchronize}: one 32-byte copy there, nothing
 * per launch. A recorded error is cleared and thrown as an {@link IndexOutOfBoundsException}, the
 * type the CPU backend throws for the same index, with a message naming the op, the index, its
 * range, where in the index tensor it was, the kernel and the device, e.g.
 * <pre>indexSelect: index 57 out of range [0, 50) at element 3 of the index (recorded on cuda:0 by
 * indexing.jclip_index_select_i64, reported at the next read)</pre>
 * It surfaces at the next sync point, which may be a read of an unrelated buffer; what that read
 * copied is not to be trusted. The buffer is a live I64 buffer of the caching allocator, so a
 * device's {@link jclip.kernels.MemoryStats} count it from the start.
 */
public final class DeviceErrors {
    /** The record's 8-byte words: site (0 while clear), value, bound, position. */
    private static final int SITE = 0, VALUE = 1, BOUND = 2, POSITION = 3, WORDS = 4;

    private final CudaDevice device;
    private CudaBuffer record;
    private final long[] host = new long[WORDS];
    /** Site id i + 1 is sites.get(i); 0 means no error. */
    private final List<Site> sites = new ArrayList<>();

    private record Site(String op, String kernel) {}

    DeviceErrors(CudaDevice device) {
        this.device = device;
        this.record = new CudaBuffer(device, DType.I64, WORDS);
        clear();
    }

    /** A fresh record, after {@link CudaDevice#reset} took the old one with its context. */
    synchronized void renew() {
        record = new CudaBuffer(device, DType.I64, WORDS);
        clear();
    }

    /** The record, for the {@code DeviceError*} argument of a checking kernel. */
    public synchronized CudaBuffer record() {
        return record;
    }

    /**
     * The id that {@code kernel}, launched for {@code op}, records its errors under: its {@code int
     * site} argument. Asking again for the same pair gives the same id.
     */
    public synchronized int site(String op, CudaKernel kernel) {
        Site site = new Site(op, kernel.name());
        int i = sites.indexOf(site);
        if (i < 0) {
            sites.add(site);
            i = sites.size() - 1;
        }
        return i + 1;
    }

    /**
     * Throws the error a kernel has recorded since the last check, if any, after clearing the record;
     * {@code at} names the sync point for the message. Waits for queued work, as any copy back does.
     */
    synchronized void check(String at) {
        device.makeCurrent();
        CudaException.checkDriver(JCudaDriver.cuMemcpyDtoH(Pointer.to(host), record.at(0), WORDS * 8L),
                "cuMemcpyDtoH(the device error record)");
        if (host[SITE] == 0) return;
        clear();
        Site site = sites.get((int) host[SITE] - 1);
        throw new IndexOutOfBoundsException(site.op + ": index " + host[VALUE] + " out of range [0, " + host[BOUND]
                + ") at element " + host[POSITION] + " of the index (recorded on " + device + " by " + site.kernel
                + ", reported at the next " + at + ")");
    }

    private void clear() {
        device.makeCurrent();
        CudaException.checkDriver(JCudaDriver.cuMemsetD8(record.at(0), (byte) 0, WORDS * 8L), "cuMemsetD8(the device error record)");
    }
}
