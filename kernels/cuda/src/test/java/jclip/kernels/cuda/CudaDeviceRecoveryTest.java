package jclip.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import jclip.kernels.DType;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * The device layer after a kernel fault: the faulting launch throws with the simulator's report,
 * every later use of the device says it is unusable and why, {@link CudaDevice#reset} gives it a
 * fresh context, old buffers refuse to be used, and the kernels looked up before the fault (kept by
 * the launchers) work again. A faulty test kernel (kernels/sim/src/test/cuda/simfaults.cu, in
 * jclip-kernels-sim's test jar) makes the fault.
 */
@Tag("sim")
@EnabledIf("jclip.kernels.cuda.CudaMode#isSimulated")
class CudaDeviceRecoveryTest {
    @Test
    void aDeviceRecoversFromAnIllegalAddress() {
        SimulatedGpu.loadKernelLibrary("jclip/kernels/cuda/sim/libjclip-simtest.so");  // before JCuda loads
        CudaDevice device = CudaDevice.get(0);
        JCudaDriver.setExceptionsEnabled(false);  // the device layer reads statuses; other tests turn JCuda's exceptions on
        CudaKernels kernels = device.kernels();
        Random random = new Random(20261203);
        float[] values = new float[1000];
        for (int i = 0; i < values.length; i++) values[i] = random.nextFloat();

        CudaBuffer before = kernels.allocate(DType.F32, values.length);
        kernels.fill(before, 0, values.length, 1.5f);  // looks up the fill kernel before the fault
        CudaException fault = assertThrows(CudaException.class, () -> device.kernel("simfaults", "simfault_store_past_end")
                .pointer(before, 0).i32(values.length).i32(1_000_000).launch(4, 256, 0));
        assertEquals(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, fault.status());
        assertTrue(fault.getMessage().contains("cuLaunchKernel(simfaults.simfault_store_past_end"), fault.getMessage());
        assertTrue(fault.getMessage().contains("bytes past the end of allocation"), fault.getMessage());
        assertTrue(device.isLost());

        CudaException refused = assertThrows(CudaException.class, () -> kernels.allocate(DType.F32, 10));
        assertEquals(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, refused.status());
        assertTrue(refused.getMessage().startsWith("cuda:0 is unusable since a kernel failed (cuLaunchKernel(simfaults"),
                refused.getMessage());
        assertTrue(refused.getMessage().contains("CudaDevice.reset()"), refused.getMessage());
        assertThrows(CudaException.class, device::synchronize);

        device.reset();
        assertFalse(device.isLost());
        IllegalStateException stale = assertThrows(IllegalStateException.class, () -> kernels.fill(before, 0, 10, 0f));
        assertTrue(stale.getMessage().contains("from before cuda:0 was reset"), stale.getMessage());
        before.close();  // harmless: its memory went with the old context

        CudaBuffer after = kernels.allocate(DType.F32, values.length);
        kernels.write(after, 0, values, 0, values.length);
        kernels.fill(after, 500, 500, 2.5f);
        float[] expected = values.clone();
        Arrays.fill(expected, 500, 1000, 2.5f);
        float[] read = new float[values.length];
        kernels.read(after, 0, read, 0, values.length);
        assertArrayEquals(expected, read);
        device.synchronize();
        after.close();
    }
}
