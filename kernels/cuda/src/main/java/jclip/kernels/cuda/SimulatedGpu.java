package jclip.kernels.cuda;

/**
 * The simulated GPU: stand-ins for the CUDA driver, cuBLAS and cuDNN built from our own C++ sources,
 * and our CUDA kernels compiled for the CPU, all from jclip-kernels-sim (kernels/sim). That module
 * must be on the class path, as it is for the GPU tests and jclip's programs; this one does not
 * depend on it, since its own GPU tests run on it. Loaded before JCuda's JNI libraries, they satisfy
 * those libraries' NEEDED entries (libcuda.so.1, libcublas.so.12, libcudnn.so.9) by soname, so
 * JCuda's Java API and all of jclip above it run unchanged. A failing call's explanation reaches
 * Java through the libraries' own error-string functions (cuGetErrorString, cublasGetStatusString,
 * cudnnGetErrorString), as on a real GPU.
 */
public final class SimulatedGpu {
    static final String DIR = "jclip/kernels/cuda/sim/";

    private SimulatedGpu() {}

    /** Whether the simulator's libraries are on the class path (built, and jclip-kernels-sim there). */
    public static boolean isBuilt() {
        return NativeLibraries.exists(DIR + "libcuda.so.1");
    }

    /** Loads the stand-ins and the kernels library; idempotent. Must run before JCuda's classes load. */
    public static synchronized void load() {
        if (!isBuilt()) {
            throw new IllegalStateException("the simulated GPU is not on the class path: " + DIR
                    + "libcuda.so.1 is missing (it comes in jclip-kernels-sim, which builds it with gcc and make)");
        }
        NativeLibraries.load(DIR + "libcuda.so.1");
        NativeLibraries.load(DIR + "libcublas.so.12");
        NativeLibraries.load(DIR + "libcudnn.so.9");
        NativeLibraries.load(DIR + "libjclip-kernels.so");
    }

    /**
     * Loads another library of CPU-compiled kernels (a resource path, such as the simulator's test
     * kernels); its kernels register themselves with the simulated driver when it loads.
     */
    public static void loadKernelLibrary(String resource) {
        load();
        NativeLibraries.load(resource);
    }
}
