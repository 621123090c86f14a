package jclip.tensor;

import jclip.kernels.Kernels;
import jclip.kernels.MemoryStats;
import jclip.kernels.cpu.CpuKernels;

/** Where a tensor's memory lives and whose kernels compute on it. */
public final class Device {
    private static final Device CPU = new Device("cpu", CpuKernels.INSTANCE);

    private final String name;
    private final Kernels kernels;

    private Device(String name, Kernels kernels) {
        this.name = name;
        this.kernels = kernels;
    }

    public static Device cpu() {
        return CPU;
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

    @Override
    public String toString() {
        return name;
    }
}
