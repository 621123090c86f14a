package jclip.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.cpu.HalfFloat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The tensor-core wrapper (src/main/cuda/tensor_core.cuh) against a float product of the same bf16
 * inputs: on a real GPU this checks the fragment layout the wrapper documents, on the simulated one
 * the simulator's implementation of that layout.
 */
@Tag("gpu")
class TensorCoreTest {
    private static CudaDevice device;

    @BeforeAll
    static void open() {
        device = CudaDevice.get(0);
        if (device.isSimulated()) SimulatedGpu.loadKernelLibrary("jclip/kernels/cuda/sim/libjclip-simtest.so");
    }

    @Test
    void mmaM16n8k16MatchesTheProductOfItsBf16Inputs() {
        Random random = new Random(16);
        short[] a = new short[16 * 16], b = new short[16 * 8];
        float[] c = new float[16 * 8];
        for (int i = 0; i < a.length; i++) a[i] = HalfFloat.floatToBf16(random.nextFloat() * 2 - 1);
        for (int i = 0; i < b.length; i++) b[i] = HalfFloat.floatToBf16(random.nextFloat() * 2 - 1);
        for (int i = 0; i < c.length; i++) c[i] = random.nextFloat() - 0.5f;

        CudaKernels kernels = device.kernels();
        float[] d = new float[16 * 8];
        try (Buffer da = kernels.allocate(DType.BF16, a.length); Buffer db = kernels.allocate(DType.BF16, b.length);
                Buffer dc = kernels.allocate(DType.F32, c.length); Buffer dd = kernels.allocate(DType.F32, d.length)) {
            kernels.write(da, 0, a, 0, a.length);
            kernels.write(db, 0, b, 0, b.length);
            kernels.write(dc, 0, c, 0, c.length);
            device.kernel("tensor_core_test", "jclip_test_mma_m16n8k16").pointer(da, 0).pointer(db, 0).pointer(dc, 0).pointer(dd, 0)
                    .launch(1, 32, 0);
            kernels.read(dd, 0, d, 0, d.length);
        }
        for (int row = 0; row < 16; row++) {
            for (int col = 0; col < 8; col++) {
                double expected = c[row * 8 + col];
                for (int k = 0; k < 16; k++)
                    expected += (double) HalfFloat.bf16ToFloat(a[row * 16 + k]) * HalfFloat.bf16ToFloat(b[k * 8 + col]);
                assertEquals(expected, d[row * 8 + col], 1e-4, "D(" + row + ", " + col + ")");
            }
        }
    }
}
