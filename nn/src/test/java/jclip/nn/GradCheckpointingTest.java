package jclip.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import jclip.kernels.MemoryStats;
import jclip.tensor.Device;
import jclip.tensor.MemoryScope;
import jclip.tensor.Rng;
import jclip.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** A transformer with checkpointing computes the same gradients while holding far less at its peak. */
class GradCheckpointingTest {
    private record Run(long peakBytes, float[] inputGrad, Map<String, float[]> grads) {}

    private static Run run(boolean checkpointing) {
        MemoryStats memory = Device.cpu().memory();
        try (Transformer t = new Transformer(32, 6, 4, true, new Rng(8)).gradCheckpointing(checkpointing);
                MemoryScope scope = MemoryScope.open()) {
            Tensor x = new Rng(2).randn(4, 20, 32).requiresGrad(true);
            long before = memory.allocated();
            memory.resetPeak();
            Tensor y = t.forward(x);
            y.mul(y).sum().backward();
            long peak = memory.peak() - before;
            Map<String, float[]> grads = new java.util.TreeMap<>();
            for (var e : t.namedParameters().entrySet()) grads.put(e.getKey(), e.getValue().grad().toFloatArray());
            return new Run(peak, x.grad().toFloatArray(), grads);
        }
    }

    @Test
    void sameGradientsAtAFractionOfThePeakMemory() {
        Run plain = run(false), checkpointed = run(true);
        assertArrayEquals(plain.inputGrad(), checkpointed.inputGrad(), 1e-6f, "input gradient");
        for (var e : plain.grads().entrySet())
            assertArrayEquals(e.getValue(), checkpointed.grads().get(e.getKey()), 1e-6f, e.getKey());
        assertTrue(checkpointed.peakBytes() < 0.6 * plain.peakBytes(),
                "peak " + checkpointed.peakBytes() + " bytes with checkpointing, " + plain.peakBytes() + " without");
    }
}
