package jclip.kernels.cuda;

import java.util.Locale;

/**
 * Which GPU {@code Device.cuda(n)} means in this process: the real one, or the simulated GPU
 * (chosen with JCLIP_CUDA=sim in the environment or the system property jclip.cuda=sim; the
 * environment wins). Read once: a process cannot switch, because the simulator's stand-in
 * libcuda.so.1 takes the real driver's place for the life of the process.
 */
public enum CudaMode {
    REAL, SIMULATED;

    private static final CudaMode CURRENT = fromSettings(System.getenv("JCLIP_CUDA"), System.getProperty("jclip.cuda"));

    public static CudaMode current() {
        return CURRENT;
    }

    public static boolean isSimulated() {
        return CURRENT == SIMULATED;
    }

    static CudaMode fromSettings(String environment, String property) {
        String value = environment != null && !environment.isBlank() ? environment : property;
        if (value == null || value.isBlank()) return REAL;
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "sim":
                return SIMULATED;
            case "gpu":
            case "real":
                return REAL;
            default:
                throw new IllegalArgumentException("JCLIP_CUDA / jclip.cuda must be 'sim' or 'gpu', not '" + value + "'");
        }
    }
}
