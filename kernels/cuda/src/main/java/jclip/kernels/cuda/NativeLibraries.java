package jclip.kernels.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.Set;

/**
 * Loads native libraries that travel as class-path resources (built by src/main/native/Makefile, and
 * the simulated GPU's by kernels/sim/src/main/native/Makefile).
 * From a folder of classes a library loads in place; from a jar it is first copied to a private
 * temporary folder, under its own file name, because the dynamic linker matches JCuda's NEEDED
 * entries against sonames, and System.load needs a file.
 */
final class NativeLibraries {
    private static final Set<String> loaded = new HashSet<>();
    private static Path extracted;

    private NativeLibraries() {}

    static boolean exists(String resource) {
        return NativeLibraries.class.getClassLoader().getResource(resource) != null;
    }

    /** Loads a resource such as "jclip/kernels/cuda/sim/libcuda.so.1" once per process. */
    static synchronized void load(String resource) {
        if (loaded.contains(resource)) return;
        URL url = NativeLibraries.class.getClassLoader().getResource(resource);
        if (url == null) throw new IllegalStateException("native library " + resource + " is not on the class path");
        System.load(fileOf(resource, url).toString());
        loaded.add(resource);
    }

    private static Path fileOf(String resource, URL url) {
        try {
            if (url.getProtocol().equals("file")) return Paths.get(url.toURI());
            if (extracted == null) {
                extracted = Files.createTempDirectory("jclip-native-");
                extracted.toFile().deleteOnExit();
            }
            Path file = extracted.resolve(resource.substring(resource.lastIndexOf('/') + 1));
            try (InputStream in = url.openStream()) {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            }
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract native library " + resource, e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("bad resource address " + url, e);
        }
    }
}
