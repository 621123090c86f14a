package jclip.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import jclip.kernels.MemoryStats;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class MemoryTest {
    private final MemoryStats memory = Device.cpu().memory();

    // The Cleaner may free leaked tensors of other tests at any moment, which only ever lowers
    // allocated(); so the checks below bound it from above, or compare it across one close().

    @Test
    void scopeReleasesEverythingButWhatIsKept() {
        Tensor kept;
        Tensor a;
        try (MemoryScope scope = MemoryScope.open()) {
            a = Tensor.ones(100);
            Tensor b = a.mul(2f).add(1f);
            kept = scope.keep(b.sum());
        }
        assertTrue(a.isClosed(), "made inside the scope, closed with it");
        assertThrows(IllegalStateException.class, a::toFloatArray);
        assertEquals(300f, kept.item());
        long before = memory.allocated();
        kept.close();
        kept.close(); // closing twice is harmless
        assertTrue(memory.allocated() <= before - 4);
    }

    @Test
    void viewsShareStorageUntilTheLastIsClosed() {
        Tensor a = Tensor.ones(4, 5);
        Tensor v = a.transpose(0, 1);
        a.close();
        assertThrows(IllegalStateException.class, a::toFloatArray);
        try (MemoryScope s = MemoryScope.open()) {
            assertEquals(20f, v.sum().item(), "the view keeps the storage alive");
        }
        long before = memory.allocated();
        v.close();
        assertTrue(memory.allocated() <= before - 80, "the last view frees the storage");
    }

    @Test
    void nestedScopesHandKeptTensorsOutward() {
        Tensor inner;
        try (MemoryScope outer = MemoryScope.open()) {
            try (MemoryScope s = MemoryScope.open()) {
                inner = s.keep(Tensor.ones(10).mul(3f));
            }
            assertEquals(30f, inner.sum().item());
        }
        assertTrue(inner.isClosed(), "kept by the inner scope, released by the outer one");
    }

    @Test
    void trainingLoopDoesNotGrowMemory() {
        trainMlp(Device.cpu(), 1000, false);
    }

    /** 1,000 steps on the CUDA device: the allocator's live bytes end where the first step left them. */
    @Tag("gpu")
    @Test
    void trainingLoopDoesNotGrowDeviceMemory() {
        trainMlp(Device.cuda(0), 1000, false);
    }

    /** The same in bf16 mixed precision: the casts made each step are released with it. */
    @Tag("gpu")
    @Test
    void bf16TrainingLoopDoesNotGrowDeviceMemory() {
        trainMlp(Device.cuda(0), 300, true);
    }

    /**
     * A small MLP trained for {@code steps} steps on {@code device} (matrix products in bf16 when
     * asked): live memory after every step is at most that after the first, and the loss falls.
     */
    private static void trainMlp(Device device, int steps, boolean bf16) {
        MemoryStats memory = device.memory();
        Rng rng = new Rng(11);
        List<Tensor> params = List.of(rng.normal(0, 0.5, 16, 8).to(device).requiresGrad(true), Tensor.zeros(16).to(device).requiresGrad(true),
                rng.normal(0, 0.5, 3, 16).to(device).requiresGrad(true), Tensor.zeros(3).to(device).requiresGrad(true));
        Tensor x = rng.randn(32, 8).to(device);
        long[] labels = new long[32];
        for (int i = 0; i < 32; i++) labels[i] = i % 3;
        Tensor y = Tensor.of(labels, 32).to(device);

        long afterFirst = -1;
        float firstLoss = 0, lastLoss = 0;
        for (int step = 0; step < steps; step++) {
            try (MemoryScope scope = MemoryScope.open()) {
                Tensor loss;
                try (Autocast a = bf16 ? Autocast.bf16() : null) {
                    loss = x.linear(params.get(0), params.get(1)).gelu().linear(params.get(2), params.get(3)).crossEntropy(y);
                }
                loss.backward();
                try (Autograd.NoGrad g = Autograd.noGrad()) {
                    for (Tensor p : params) {
                        p.addInPlace(p.grad(), -0.1f);
                        p.zeroGrad();
                    }
                }
                if (step == 0) firstLoss = loss.item();
                lastLoss = loss.item();
            }
            // The Cleaner may free tensors other tests leaked at any moment, which only lowers the count.
            if (step == 0) afterFirst = memory.allocated();
            else assertTrue(memory.allocated() <= afterFirst, "live bytes grew at step " + step + ": " + memory);
        }
        assertTrue(lastLoss < firstLoss * 0.5, "the MLP learned on " + device + ": " + firstLoss + " -> " + lastLoss);
        params.forEach(Tensor::close);
        x.close();
        y.close();
    }
}
