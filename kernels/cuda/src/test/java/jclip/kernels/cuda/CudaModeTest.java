package jclip.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class CudaModeTest {
    @Test
    void modeComesFromTheEnvironmentThenTheProperty() {
        assertEquals(CudaMode.SIMULATED, CudaMode.fromSettings("sim", null));
        assertEquals(CudaMode.REAL, CudaMode.fromSettings("gpu", "sim"), "the environment wins");
        assertEquals(CudaMode.SIMULATED, CudaMode.fromSettings("", "sim"));
        assertEquals(CudaMode.REAL, CudaMode.fromSettings(null, null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CudaMode.fromSettings("simulated", null));
        assertEquals("JCLIP_CUDA / jclip.cuda must be 'sim' or 'gpu', not 'simulated'", e.getMessage());
    }
}
