package jclip.kernels.cpu;

/**
 * Loads the Vector API implementation of a kernel interface, for every CPU kernel that has one
 * (Gemm, Attention, ContrastiveLoss, Activations): by class name, so that the class, and with it
 * the {@code jdk.incubator.vector} module, is only linked when that module is in the boot layer
 * ({@code java -jar} does not add it; {@code --add-modules jdk.incubator.vector} does).
 */
final class VectorKernels {
    private VectorKernels() {}

    /** Whether the Vector API kernels are to be used: the module is present and {@code -Djclip.vector=false} is not set. */
    static boolean enabled() {
        return !"false".equalsIgnoreCase(System.getProperty("jclip.vector", "true")) && available();
    }

    static boolean available() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** A new instance of {@code jclip.kernels.cpu.<simpleName>}, or null when the module is absent (ignores jclip.vector). */
    static <T> T load(Class<T> kernelInterface, String simpleName) {
        if (!available()) return null;
        try {
            return kernelInterface.cast(Class.forName("jclip.kernels.cpu." + simpleName).getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }
}
