package jclip.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Asking for the real GPU on a machine without one, and without JCLIP_CUDA=sim, fails with one
 * message that names both. A process of its own, because a JVM that has loaded the simulated GPU's
 * libcuda.so.1 (as the test JVM has) cannot ask for the real one any more.
 */
class NoDeviceMessageTest {
    /** Run by the child process: opens device 0 and prints what happens. */
    public static void main(String[] args) {
        try {
            CudaDevice.get(0);
            System.out.println("opened " + CudaDevice.get(0).name());
        } catch (IllegalStateException e) {
            System.out.println(e.getMessage());
        }
    }

    @Test
    void realGpuWithoutOneSaysHowToUseTheSimulator() throws IOException, InterruptedException {
        Assumptions.assumeFalse(new File("/dev/nvidia0").exists(), "this machine has a GPU");
        ProcessBuilder child = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(),
                "-cp", System.getProperty("java.class.path"), "-Djclip.cuda=gpu", NoDeviceMessageTest.class.getName());
        child.environment().remove("JCLIP_CUDA");
        child.redirectErrorStream(true);
        Process p = child.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.startsWith("no CUDA device: this machine has no CUDA driver (libcuda.so.1)"), out);
        assertEquals(1, out.lines().count(), out);
        assertTrue(out.contains("set JCLIP_CUDA=sim in the environment (or -Djclip.cuda=sim) to run on the simulated GPU"), out);
    }
}
