package jclip.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jclip.kernels.DType;
import jclip.tensor.Rng;
import jclip.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ModuleTest {
    /** conv → bn → linear, like a small piece of CLIP's ResNet. */
    static final class Net extends Layer {
        final Conv2d conv = child("conv", new Conv2d(2, 3, 3, 1, 1, true, new Rng(1)));
        final BatchNorm2d bn = child("bn", new BatchNorm2d(3));
        final Sequential head = child("head", new Sequential(new Linear(3, 4, true, new Rng(2))));
        final Tensor scale = parameter("scale", Tensor.scalar(2f));

        @Override
        public Tensor forward(Tensor x) {
            Tensor h = bn.forward(conv.forward(x)).relu().mean(3, false).mean(2, false);
            return head.forward(h).mul(scale);
        }
    }

    @Test
    void namesFollowPyTorchsStateDictOrder() {
        try (Net net = new Net()) {
            assertEquals(List.of("scale", "conv.weight", "conv.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
                    "bn.num_batches_tracked", "head.0.weight", "head.0.bias"), List.copyOf(net.stateDict().keySet()));
            assertEquals(List.of("scale", "conv.weight", "conv.bias", "bn.weight", "bn.bias", "head.0.weight", "head.0.bias"),
                    List.copyOf(net.namedParameters().keySet()));
            assertEquals(1 + 3 * 2 * 9 + 3 + 3 + 3 + 4 * 3 + 4, net.parameterCount());
            assertTrue(net.namedParameters().values().stream().allMatch(Tensor::requiresGrad));
        }
    }

    @Test
    void stateDictRoundTripsAndTrainEvalPropagate() {
        try (Net a = new Net(); Net b = new Net()) {
            Map<String, Tensor> state = new LinkedHashMap<>(a.stateDict());
            b.loadStateDict(state, true);
            Tensor x = new Rng(3).randn(2, 2, 5, 5);
            a.eval();
            b.eval();
            assertFalse(b.head.isTraining(), "eval reaches children");
            assertArrayEquals(a.forward(x).toFloatArray(), b.forward(x).toFloatArray());
            b.train();
            assertTrue(b.bn.isTraining());
            b.forward(x);
            assertEquals(1L, b.bn.numBatchesTracked.toLongArray()[0], "training forward counts batches");
        }
    }

    @Test
    void loadStateDictReportsEveryProblemAtOnce() {
        try (Net net = new Net()) {
            Map<String, Tensor> state = new LinkedHashMap<>(net.stateDict());
            state.remove("conv.bias");
            state.remove("bn.running_var");
            state.put("conv.weight", Tensor.zeros(3, 2, 5, 5));
            state.put("extra.thing", Tensor.zeros(1));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(state, true));
            String m = e.getMessage();
            assertTrue(m.contains("conv.weight: checkpoint [3, 2, 5, 5], model [3, 2, 3, 3]"), m);
            assertTrue(m.contains("missing keys (2): conv.bias, bn.running_var"), m);
            assertTrue(m.contains("unexpected keys (1): extra.thing"), m);
        }
    }

    @Test
    void nonStrictLoadReportsWhatItLeftOutAndConvertsHalfPrecision() {
        try (Net net = new Net()) {
            Map<String, Tensor> state = new LinkedHashMap<>();
            state.put("scale", Tensor.scalar(0.5f).to(DType.BF16));
            state.put("other", Tensor.zeros(2));
            Module.LoadResult r = net.loadStateDict(state, false);
            assertEquals(0.5f, net.scale.item());
            assertEquals(List.of("other"), r.unexpectedKeys());
            assertEquals(9, r.missingKeys().size());
        }
    }
}
