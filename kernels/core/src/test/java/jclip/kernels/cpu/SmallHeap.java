package jclip.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a check's main in a fresh JVM with a heap too small for the matrix a fused kernel must never
 * form (the test class path, the Vector API module when this JVM has it); asserts that it exits 0
 * and printed a line "finite".
 */
final class SmallHeap {
    private SmallHeap() {}

    static String run(Class<?> check, String maxHeap) throws Exception {
        List<String> command = new ArrayList<>(List.of(new File(System.getProperty("java.home"), "bin/java").getPath(), "-Xmx" + maxHeap));
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) command.add("--add-modules=jdk.incubator.vector");
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), check.getName()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(check.getSimpleName() + " did not finish in 300 s");
        }
        String out = new String(output, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("\nfinite"), out);
        return out;
    }
}
