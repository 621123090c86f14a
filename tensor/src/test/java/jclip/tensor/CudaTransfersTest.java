package jclip.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Moving tensors between the CPU and {@code Device.cuda(0)}, and ops on tensors of two devices. The
 * ops themselves run on the CUDA device in OpsTest and FunctionalTest (through OpCheck), its bf16
 * products in AutocastTest and its memory over a training loop in MemoryTest.
 */
@Tag("gpu")
class CudaTransfersTest {
    private static Device cuda;

    @BeforeAll
    static void openDevice() {
        cuda = Device.cuda(0);
    }

    @Test
    void viewsCrossDevicesAsTheyLook() {
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor x = new Rng(4).randn(5, 7);
            for (Tensor view : new Tensor[] {x, x.transpose(0, 1), x.narrow(0, 1, 3), x.narrow(1, 2, 4)}) {
                Tensor there = view.to(cuda);
                assertArrayEquals(view.toFloatArray(), there.toFloatArray());
                assertArrayEquals(view.toFloatArray(), there.transpose(0, 1).to(Device.cpu()).transpose(0, 1).toFloatArray());
            }
        }
    }

    @Test
    void mixingDevicesIsRefusedNamingBoth() {
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor host = Tensor.ones(3, 4), device = Tensor.ones(4).to(cuda);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> host.add(device));
            assertEquals("add: tensors on cpu [3, 4] and cuda:0 [4] (move one with to(Device))", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> host.matmul(Tensor.ones(4, 2).to(cuda)));
            assertThrows(IllegalArgumentException.class, () -> device.reshape(1, 4).linear(Tensor.ones(2, 4), null));
        }
    }
}
