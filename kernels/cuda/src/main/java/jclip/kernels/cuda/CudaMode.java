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

    /** The mode, or null when the setting is bad: then {@link #SETTING_ERROR} says why. */
    private static final CudaMode CURRENT;
    private static final String SETTING_ERROR;

    static {
        // A bad setting must not fail the class's initialisation: that would reach the user as an
        // ExceptionInInitializerError stack trace instead of one sentence, at every later use too.
        CudaMode mode = null;
        String error = null;
        try {
            mode = fromSettings(System.getenv("JCLIP_CUDA"), System.getProperty("jclip.cuda"));
        } catch (IllegalArgumentException e) {
            error = e.getMessage();
        }
        CURRENT = mode;
        SETTING_ERROR = error;
    }

    /**
     * The mode of this process.
     *
     * @throws IllegalStateException if JCLIP_CUDA or jclip.cuda is neither 'sim' nor 'gpu' (each call)
     */
    public static CudaMode current() {
        if (SETTING_ERROR != null) throw new IllegalStateException(SETTING_ERROR);
        return CURRENT;
    }

    /** Whether the simulated GPU is the CUDA device; throws as {@link #current()} for a bad setting. */
    public static boolean isSimulated() {
        return current() == SIMULATED;
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
