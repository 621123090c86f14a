package jclip.kernels.cuda;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * Process-wide set-up of the driver API, once: the simulated GPU's libraries when it is asked for,
 * on a real CUDA 13 host the cuBLAS forwarding library (JCublas links libcublas.so.12, such a host
 * has only libcublas.so.13, ../shared/GPU.md), then cuInit.
 */
final class CudaDriver {
    private static final String FORWARDER = "jclip/kernels/cuda/forward/libcublas.so.12";
    private static final String ASK_FOR_SIMULATOR =
            "set JCLIP_CUDA=sim in the environment (or -Djclip.cuda=sim) to run on the simulated GPU";
    private static boolean initialised;

    private CudaDriver() {}

    static synchronized void initialise() {
        if (initialised) return;
        if (!PtxModule.exists("elementwise")) {
            throw new IllegalStateException("no CUDA device: the CUDA kernels were not built (nvcc was not found when"
                    + " jclip-kernels was built, so " + PtxModule.RESOURCE_DIR + "*.ptx are missing)");
        }
        if (CudaMode.isSimulated()) {
            SimulatedGpu.load();
        } else if (!systemHas("libcuda.so.1")) {
            throw new IllegalStateException("no CUDA device: this machine has no CUDA driver (libcuda.so.1), and the"
                    + " simulated GPU was not asked for: " + ASK_FOR_SIMULATOR);
        }
        int status;
        try {
            status = JCudaDriver.cuInit(0);
        } catch (LinkageError e) {
            throw new IllegalStateException("no CUDA device: JCuda's driver library does not load ("
                    + e.getMessage().lines().findFirst().orElse("") + "), and the simulated GPU was not asked for: "
                    + ASK_FOR_SIMULATOR, e);
        }
        if (status != CUresult.CUDA_SUCCESS) {
            throw new IllegalStateException("no CUDA device: cuInit failed with " + CUresult.stringFor(status)
                    + (CudaMode.isSimulated() ? " on the simulated GPU" : ", and the simulated GPU was not asked for: " + ASK_FOR_SIMULATOR));
        }
        // Only now that a real driver answers: before JCublas loads, and not on machines without a GPU.
        if (!CudaMode.isSimulated() && !systemHas("libcublas.so.12") && NativeLibraries.exists(FORWARDER)) {
            NativeLibraries.load(FORWARDER);
        }
        initialised = true;
    }

    static int deviceCount() {
        int[] count = new int[1];
        CudaException.checkDriver(JCudaDriver.cuDeviceGetCount(count), "cuDeviceGetCount");
        return count[0];
    }

    /** Whether the dynamic linker can find {@code soname}: the loader's path, then ldconfig's cache. */
    private static boolean systemHas(String soname) {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("LD_LIBRARY_PATH");
        if (path != null) dirs.addAll(List.of(path.split(":")));
        dirs.addAll(List.of("/usr/local/cuda/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64"));
        for (String dir : dirs) {
            if (!dir.isEmpty() && new File(dir, soname).exists()) return true;
        }
        try {
            Process p = new ProcessBuilder("ldconfig", "-p").redirectErrorStream(true).start();
            try (InputStream in = p.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8).contains(soname + " ");
            }
        } catch (IOException e) {
            return false;
        }
    }
}
