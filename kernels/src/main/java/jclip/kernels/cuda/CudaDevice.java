package jclip.kernels.cuda;

import java.util.HashMap;
import java.util.Map;
import jclip.kernels.Buffer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

/**
 * One CUDA device through the driver API: its primary context (the one cuBLAS and cuDNN use too),
 * the stream work is queued on, the caching allocator, the loaded PTX modules and the library
 * handles. Whether the device is a real GPU or the simulated one is decided once per process by
 * {@link CudaMode}; nothing above this class can tell the difference.
 */
public final class CudaDevice {
    private static final Map<Integer, CudaDevice> devices = new HashMap<>();

    private final int ordinal;
    private final CUcontext context = new CUcontext();
    private final String name;
    private final long totalMemory;
    private final int[] computeCapability = new int[2];
    private final CachingAllocator allocator = new CachingAllocator(CudaMode.isSimulated());
    private final Map<String, PtxModule> modules = new HashMap<>();
    private final ThreadLocal<Boolean> currentOnThread = ThreadLocal.withInitial(() -> false);
    private final CudaStream stream;
    private final DeviceErrors errors;
    private Cublas cublas;
    private Cudnn cudnn;
    private CudaKernels kernels;

    private CudaDevice(int ordinal) {
        this.ordinal = ordinal;
        CUdevice device = new CUdevice();
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
        PtxModule m;
        synchronized (this) {
            makeCurrent();
            m = modules.computeIfAbsent(module, mod -> PtxModule.load(this, mod));
        }
        return m.kernel(name);
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

    /** The driver API's current context is per OS thread: set ours on each thread that uses the device. */
    void makeCurrent() {
        if (!currentOnThread.get()) {
            CudaException.checkDriver(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
            currentOnThread.set(true);
        }
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
