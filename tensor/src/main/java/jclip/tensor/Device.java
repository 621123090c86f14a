package jclip.tensor;

import java.util.HashMap;
import java.util.Map;
import jclip.kernels.Kernels;
import jclip.kernels.MemoryStats;
import jclip.kernels.cpu.CpuKernels;
import jclip.kernels.cuda.CudaDevice;

/** Where a tensor's memory lives and whose kernels compute on it. */
public final class Device {
    private static final Device CPU = new Device("cpu", CpuKernels.INSTANCE, null);
    private static final Map<Integer, Device> cudaDevices = new HashMap<>();

    private final String name;
    private final Kernels kernels;
    private final CudaDevice cuda;

    private Device(String name, Kernels kernels, CudaDevice cuda) {
        this.name = name;
        this.kernels = kernels;
        this.cuda = cuda;
    }

    public static Device cpu() {
        return CPU;
    }

    /**
     * CUDA device {@code ordinal}: the machine's GPU, or the simulated GPU when JCLIP_CUDA=sim (see
     * jclip.kernels.cuda.CudaMode). Fails with a message saying which of the two is missing.
     */
    public static synchronized Device cuda(int ordinal) {
        Device d = cudaDevices.get(ordinal);
        if (d == null) {
            CudaDevice cudaDevice = CudaDevice.get(ordinal);
            d = new Device(cudaDevice.toString(), cudaDevice.kernels(), cudaDevice);
            cudaDevices.put(ordinal, d);
        }
        return d;
    }

    /** "cpu", "cuda" (device 0) or "cuda:N". */
    public static Device parse(String name) {
        if (name.equals("cpu")) return cpu();
        if (name.equals("cuda")) return cuda(0);
        if (name.startsWith("cuda:")) {
            try {
                return cuda(Integer.parseInt(name.substring(5)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad CUDA device number in '" + name + "'", e);
            }
        }
        throw new IllegalArgumentException("device must be cpu, cuda or cuda:N, not '" + name + "'");
    }

    public Kernels kernels() {
        return kernels;
    }

    /** Allocated, peak and live-buffer counts of this device's memory. */
    public MemoryStats memory() {
        return kernels.memory();
    }

    public boolean isCpu() {
        return this == CPU;
    }

    /** Waits until the device has finished all queued work (nothing to wait for on the CPU). */
    public void synchronize() {
        if (cuda != null) cuda.synchronize();
    }

    @Override
    public String toString() {
        return name;
    }
}
