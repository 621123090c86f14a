package jclip.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The build's ptxas report for sm_90a (src/main/native/ptxas-report.sh, shown in bench/RESULTS.md):
 * no kernel may spill registers to local memory.
 */
class KernelResourcesTest {
    private static final String REPORT = "jclip/kernels/cuda/ptxas-sm90a.txt";

    @Test
    void noKernelSpills() throws IOException {
        List<String[]> rows = rows();
        assertTrue(rows.size() >= 20, "the report lists every kernel, found " + rows.size());
        for (String[] row : rows) {
            assertEquals("0", row[4], row[0] + " spills " + row[4] + " bytes of stores to local memory");
            assertEquals("0", row[5], row[0] + " spills " + row[5] + " bytes of loads from local memory");
        }
    }

    private static List<String[]> rows() throws IOException {
        try (InputStream in = KernelResourcesTest.class.getClassLoader().getResourceAsStream(REPORT)) {
            Assumptions.assumeTrue(in != null || !nvccPresent(), "nvcc absent: no kernels were built");
            if (in == null) throw new AssertionError(REPORT + " is missing although nvcc is on this machine");
            List<String[]> rows = new ArrayList<>();
            String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
            for (int i = 1; i < lines.length; i++) if (!lines[i].isBlank()) rows.add(lines[i].trim().split("\\s+"));
            return rows;
        }
    }

    private static boolean nvccPresent() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":"))
            if (new java.io.File(dir, "nvcc").canExecute()) return true;
        return new java.io.File("/usr/local/cuda/bin/nvcc").canExecute();
    }
}
