package jclip.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AutogradTest {
    /** A module's internals handed to the graph are freed by backward as it goes, and gradients are unchanged. */
    @Test
    void internalsHandedToTheGraphAreFreedAsBackwardUsesThem() {
        Tensor x = Tensor.of(new float[] {0.5f, -1, 2}, 3).requiresGrad(true);
        Tensor w = Tensor.of(new float[] {3, 1, -2}, 3).requiresGrad(true);
        try (MemoryScope step = MemoryScope.open()) {
            Tensor hidden, squared, y;
            MemoryScope module = MemoryScope.open();
            hidden = x.mul(w).tanh();           // read by its own backward (tanh saves its output)
            squared = hidden.mul(hidden);        // read by nothing after its node
            y = module.closeIntoGraph(squared.add(x).exp());
            Tensor loss = y.sum();
            assertFalse(hidden.isClosed(), "alive until backward reaches it");
            long before = jclip.kernels.cpu.CpuKernels.INSTANCE.memory().liveBuffers();
            loss.backward();
            assertTrue(hidden.isClosed() && squared.isClosed(), "internals closed by backward");
            assertFalse(y.isClosed(), "the result stays the caller's");
            // Two gradients (x, w) added, four internals (x·w, tanh, its square, + x) gone.
            assertTrue(jclip.kernels.cpu.CpuKernels.INSTANCE.memory().liveBuffers() <= before - 2,
                    "live buffers " + jclip.kernels.cpu.CpuKernels.INSTANCE.memory().liveBuffers() + ", before backward " + before);
            float[] xs = {0.5f, -1, 2}, ws = {3, 1, -2}, gx = x.grad().toFloatArray(), gw = w.grad().toFloatArray();
            for (int i = 0; i < 3; i++) {
                double h = Math.tanh(xs[i] * ws[i]), e = Math.exp(h * h + xs[i]), dh = e * 2 * h * (1 - h * h);
                assertEquals(dh * ws[i] + e, gx[i], 1e-4 * Math.abs(e), "dx " + i);
                assertEquals(dh * xs[i], gw[i], 1e-4 * Math.abs(e), "dw " + i);
            }
            IllegalStateException again = assertThrows(IllegalStateException.class, loss::backward);
            assertTrue(again.getMessage().contains("closed"), again.getMessage());
        }
        x.close();
        w.close();
    }

    @Test
    void gradientsAccumulateOverPathsAndCalls() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3).requiresGrad(true);
        // y = sum(x*x + 3x): dy/dx = 2x + 3, reached along two paths from x.
        x.mul(x).add(x.mul(3f)).sum().backward();
        assertArrayEquals(new float[] {5, 7, 9}, x.grad().toFloatArray());
        x.mul(2f).sum().backward();
        assertArrayEquals(new float[] {7, 9, 11}, x.grad().toFloatArray(), "second backward accumulates");
        x.zeroGrad();
        assertNull(x.grad());
    }

    @Test
    void backwardWithUpstreamGradient() {
        Tensor x = Tensor.of(new float[] {1, -2}, 2).requiresGrad(true);
        x.mul(x).backward(Tensor.of(new float[] {10, 1}, 2));
        assertArrayEquals(new float[] {20, -4}, x.grad().toFloatArray());
    }

    @Test
    void noGradRecordsNothing() {
        Tensor x = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor y;
        try (Autograd.NoGrad g = Autograd.noGrad()) {
            y = x.mul(2f);
        }
        assertFalse(y.requiresGrad());
        assertTrue(x.mul(2f).requiresGrad());
    }

    @Test
    void detachCutsTheGraph() {
        Tensor x = Tensor.of(new float[] {3}, 1).requiresGrad(true);
        Tensor d = x.detach();
        assertFalse(d.requiresGrad());
        // y = x * detach(x): the gradient is detach(x) only.
        x.mul(d).sum().backward();
        assertArrayEquals(new float[] {3}, x.grad().toFloatArray());
    }

    @Test
    void deepGraphsDoNotOverflowTheStack() {
        Tensor x = Tensor.of(new float[] {1}, 1).requiresGrad(true);
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor y = x;
            for (int i = 0; i < 20_000; i++) y = y.mul(1.0001f).add(0f);
            y.sum().backward();
        }
        assertEquals(Math.pow(1.0001, 20_000), x.grad().item(), 1e-2);
    }

    @Test
    void backwardNeedsAScalarOrAGradient() {
        Tensor x = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor y = x.mul(2f);
        assertThrows(IllegalStateException.class, y::backward);
        assertThrows(IllegalArgumentException.class, () -> y.backward(Tensor.of(new float[] {1, 2, 3}, 3)));
        assertThrows(IllegalStateException.class, () -> Tensor.of(new float[] {1}, 1).backward());
    }

    @Test
    void inPlaceUpdateOfALeafNeedsNoGrad() {
        Tensor w = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        assertThrows(IllegalStateException.class, () -> w.addInPlace(Tensor.of(new float[] {1, 1}, 2), 1f));
        try (Autograd.NoGrad g = Autograd.noGrad()) {
            w.addInPlace(Tensor.of(new float[] {1, 1}, 2), -0.5f);
        }
        assertArrayEquals(new float[] {0.5f, 1.5f}, w.toFloatArray());
    }

    @Test
    void integerTensorsCannotRequireGrad() {
        assertThrows(IllegalArgumentException.class, () -> Tensor.of(new int[] {1}, 1).requiresGrad(true));
    }
}
