package jclip.kernels.cuda;

import java.util.HashMap;
import java.util.Map;
import jclip.kernels.Buffer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUfunction;
import jcuda.driver.JCudaDriver;

/**
 * One CUDA device through the driver API: its primary context (the one cuBLAS and cuDNN use too),
 * the stream work is queued on, the caching allocator, the loaded PTX modules and the library
 * handles. Whether the device is a real GPU or the simulated one is decided once per process by
 * {@link CudaMode}; nothing above this class can tell the difference.
 *
 * <p>A kernel that faults (an illegal address, a launch that times out) leaves the context unusable,
 * on a GPU and on the simulated one alike: every later call fails with the same status. The device
 * then says so on every use, naming the first failure, until {@link #reset} gives it a fresh context;
 * the buffers from before are lost, everything else (this object, its {@link CudaKernels}, their
 * kernels) carries on.
 */
public final class CudaDevice {
    private static final Map<Integer, CudaDevice> devices = new HashMap<>();

    private final int ordinal;
    private final CUcontext context = new CUcontext();
    private final String name;
    private final long totalMemory;
    private final int[] computeCapability = new int[2];
    private static final ThreadLocal<CudaDevice> currentDevice = new ThreadLocal<>();

    private final CUdevice handle = new CUdevice();
    private volatile CachingAllocator allocator = new CachingAllocator(CachingAllocator.Mode.current());
    private final Map<String, PtxModule> modules = new HashMap<>();
    /** The generation whose context was made current on each thread (-1: none). */
    private final ThreadLocal<Integer> currentOnThread = ThreadLocal.withInitial(() -> -1);
    /** Counts resets: buffers and kernel handles from an older generation belong to a context that is gone. */
    private volatile int generation;
    /** Why the context is unusable, or null while it works. */
    private volatile CudaException lost;
    private final CudaStream stream;
    private final DeviceErrors errors;
    private Cublas cublas;
    private Cudnn cudnn;
    private CudaKernels kernels;

    private CudaDevice(int ordinal) {
        this.ordinal = ordinal;
        CUdevice device = handle;
        CudaException.checkDriver(JCudaDriver.cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
        CudaException.checkDriver(JCudaDriver.cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain(" + ordinal + ")");
        makeCurrent();
        byte[] text = new byte[256];
        CudaException.checkDriver(JCudaDriver.cuDeviceGetName(text, text.length, device), "cuDeviceGetName");
        int end = 0;
        while (end < text.length && text[end] != 0) end++;
        this.name = new String(text, 0, end, java.nio.charset.StandardCharsets.UTF_8);
        long[] bytes = new long[1];
        CudaException.checkDriver(JCudaDriver.cuDeviceTotalMem(bytes, device), "cuDeviceTotalMem");
        this.totalMemory = bytes[0];
        int[] value = new int[1];
        CudaException.checkDriver(JCudaDriver.cuDeviceGetAttribute(value, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device),
                "cuDeviceGetAttribute(compute capability)");
        computeCapability[0] = value[0];
        CudaException.checkDriver(JCudaDriver.cuDeviceGetAttribute(value, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device),
                "cuDeviceGetAttribute(compute capability)");
        computeCapability[1] = value[0];
        this.stream = CudaStream.legacy(this);
        this.errors = new DeviceErrors(this);
    }

    /**
     * CUDA device {@code ordinal}, initialised on first use: the simulated GPU if {@link CudaMode}
     * says so, otherwise the machine's GPU. Fails with one message naming both when neither is there.
     */
    public static synchronized CudaDevice get(int ordinal) {
        CudaDevice device = devices.get(ordinal);
        if (device == null) {
            CudaDriver.initialise();
            int count = CudaDriver.deviceCount();
            if (ordinal < 0 || ordinal >= count)
                throw new IllegalArgumentException("no CUDA device " + ordinal + ": this machine has " + count + " (" + CudaMode.current() + ")");
            device = new CudaDevice(ordinal);
            devices.put(ordinal, device);
        }
        return device;
    }

    /** How many CUDA devices this process can use (initialising the driver, or failing as {@link #get} does). */
    public static synchronized int count() {
        CudaDriver.initialise();
        return CudaDriver.deviceCount();
    }

    public int ordinal() {
        return ordinal;
    }

    /** The device's memory in bytes, as the driver reports it. */
    public long totalMemory() {
        return totalMemory;
    }

    /** "9.0" for an H100. */
    public String computeCapability() {
        return computeCapability[0] + "." + computeCapability[1];
    }

    /** The driver's name for the device. */
    public String name() {
        return name;
    }

    public boolean isSimulated() {
        return CudaMode.isSimulated();
    }

    /** The jclip.kernels backend on this device. */
    public synchronized CudaKernels kernels() {
        if (kernels == null) kernels = new CudaKernels(this);
        return kernels;
    }

    /** Kernel {@code name} from src/main/cuda/{@code module}.cu, loaded on first use. */
    public CudaKernel kernel(String module, String name) {
        return module(module).kernel(name);
    }

    /** The current handle of a kernel whose module was loaded again after a {@link #reset}. */
    CUfunction function(String module, String name) {
        return module(module).function(name);
    }

    private synchronized PtxModule module(String module) {
        makeCurrent();
        return modules.computeIfAbsent(module, mod -> PtxModule.load(this, mod));
    }

    /**
     * Gives the device a fresh context after a kernel fault made the old one unusable (or at any
     * time): the primary context is reset, which frees all of the device's memory, and modules,
     * library handles and the error record are made again on first use. Buffers from before must
     * not be used again (they say so); closing them is harmless.
     */
    public synchronized void reset() {
        generation++;
        modules.clear();
        cublas = null;  // handles of the old context: dropped, not destroyed (their context is gone)
        cudnn = null;
        allocator = new CachingAllocator(allocator.mode());
        CudaException.checkDriver(JCudaDriver.cuDevicePrimaryCtxReset(handle), "cuDevicePrimaryCtxReset(" + ordinal + ")");
        CudaException.checkDriver(JCudaDriver.cuDevicePrimaryCtxRetain(context, handle), "cuDevicePrimaryCtxRetain(" + ordinal + ")");
        lost = null;
        makeCurrent();
        errors.renew();
    }

    /** How many times the device was {@link #reset}. */
    int generation() {
        return generation;
    }

    /** Whether a kernel fault has made the device unusable until {@link #reset}. */
    public boolean isLost() {
        return lost != null;
    }

    /**
     * A call on this thread's current device failed with a status that leaves the context unusable:
     * remembered, so that every later use says why.
     */
    static void contextLost(CudaException failure) {
        CudaDevice device = currentDevice.get();
        if (device != null && device.lost == null) device.lost = failure;
    }


    /** The stream all of jclip's work on this device is queued on. */
    public CudaStream stream() {
        return stream;
    }

    /**
     * Waits for all queued work; a kernel's asynchronous failure surfaces here, and so does bad input
     * a kernel recorded in {@link #errors()}.
     */
    public void synchronize() {
        makeCurrent();
        CudaException.checkDriver(JCudaDriver.cuCtxSynchronize(), "cuCtxSynchronize");
        errors.check("synchronize");
    }

    /** Where kernels record bad input, reported at the next read or synchronize. */
    public DeviceErrors errors() {
        return errors;
    }

    CachingAllocator allocator() {
        return allocator;
    }

    /** Bytes taken from the driver, including blocks cached for reuse. */
    public long reservedBytes() {
        return allocator.reserved();
    }

    /** Returns cached, unused device memory to the driver. */
    public void emptyCache() {
        makeCurrent();
        allocator.emptyCache();
    }

    synchronized Cublas cublas() {
        if (cublas == null) cublas = new Cublas(this);
        return cublas;
    }

    synchronized Cudnn cudnn() {
        if (cudnn == null) cudnn = new Cudnn(this);
        return cudnn;
    }

    /**
     * The driver API's current context is per OS thread: set ours on each thread that uses the
     * device. Fails at once, naming the first failure, while the context is unusable.
     */
    void makeCurrent() {
        CudaException failure = lost;
        if (failure != null) {
            throw new CudaException(this + " is unusable since a kernel failed (" + failure.getMessage()
                    + "); CudaDevice.reset() gives it a fresh context, losing its buffers", failure.status());
        }
        if (currentOnThread.get() != generation) {
            CudaException.checkDriver(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
            currentOnThread.set(generation);
        }
        currentDevice.set(this);
    }

    /** {@code buffer} as device memory of this device, or an error naming {@code user}. */
    CudaBuffer cudaBuffer(Buffer buffer, String user) {
        if (!(buffer instanceof CudaBuffer) || ((CudaBuffer) buffer).device() != this)
            throw new IllegalArgumentException(user + ": a " + buffer.dtype() + " buffer that is not on " + this);
        return (CudaBuffer) buffer;
    }

    @Override
    public String toString() {
        return "cuda:" + ordinal;
    }
}
