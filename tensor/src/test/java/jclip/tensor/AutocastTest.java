package jclip.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import jclip.kernels.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Matrix products under {@link Autocast}: forward and backward equal the float32 computation on
 * inputs rounded to bf16, gradients land on the F32 leaves, and the result differs from plain
 * float32 (so bf16 really was used), on the CPU and on the CUDA device.
 */
class AutocastTest {
    /** The value of x rounded to bf16, as an F32 tensor on x's device. */
    private static Tensor rounded(Tensor x) {
        try (Autograd.NoGrad g = Autograd.noGrad()) {
            return x.to(DType.BF16).to(DType.F32);
        }
    }

    /**
     * Runs {@code op} on F32 leaves inside an Autocast scope and back-propagates (outside it) an
     * upstream gradient that bf16 holds exactly; the reference runs the same op in float32 on
     * leaves rounded to bf16: the first two, the product's operands (a third, a linear's bias, is
     * added in float and stays as it is). Both multiply the same float values and accumulate in float, so they
     * agree to float rounding, while plain float32 on the unrounded leaves differs at bf16's scale.
     */
    private static void check(Device device, String name, Function<Tensor[], Tensor> op, int[]... shapes) {
        Rng rng = new Rng(name.hashCode());
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor[] leaves = new Tensor[shapes.length], reference = new Tensor[shapes.length];
            for (int i = 0; i < shapes.length; i++) {
                leaves[i] = rng.randn(shapes[i]).to(device).requiresGrad(true);
                reference[i] = (i < 2 ? rounded(leaves[i]) : leaves[i].detach()).requiresGrad(true);
            }
            Tensor mixed;
            try (Autocast a = Autocast.bf16()) {
                mixed = op.apply(leaves);
            }
            Tensor expected = op.apply(reference);
            assertEquals(DType.F32, mixed.dtype(), name + ": the product is F32");
            Tensor upstream = rounded(rng.randn(expected.shape()).to(device));
            mixed.mul(upstream).sum().backward();
            expected.mul(upstream).sum().backward();

            OpCheck.assertClose(name + " forward", toDouble(expected), mixed.toFloatArray(), 1e-6);
            try (Autograd.NoGrad g = Autograd.noGrad()) {
                float[] float32 = op.apply(leaves).toFloatArray();
                assertThrows(AssertionError.class, () -> OpCheck.assertClose("", toDouble(mixed), float32, 1e-4),
                        name + ": differs from the float32 product, so the inputs were rounded to bf16");
            }
            for (int i = 0; i < shapes.length; i++) {
                Tensor grad = leaves[i].grad();
                assertEquals(DType.F32, leaves[i].dtype(), name + ": leaf " + i + " stays F32");
                assertEquals(DType.F32, grad.dtype(), name + ": the gradient of leaf " + i + " is F32");
                assertEquals(device, grad.device(), name + ": the gradient of leaf " + i + " stays on the device");
                OpCheck.assertClose(name + " gradient of input " + i, toDouble(reference[i].grad()), grad.toFloatArray(), 1e-6);
            }
        }
    }

    /** Every shape of product the model uses: plain, batched and broadcast, transposed views, vectors, linear. */
    private static void checkAllProducts(Device device) {
        check(device, "matmul", t -> t[0].matmul(t[1]), new int[] {19, 37}, new int[] {37, 23});
        check(device, "matmul of transposed views", t -> t[0].transpose(0, 1).matmul(t[1].transpose(0, 1)),
                new int[] {33, 9}, new int[] {13, 33});
        check(device, "batched matmul", t -> t[0].matmul(t[1].transpose(-1, -2)), new int[] {3, 2, 11, 17}, new int[] {3, 2, 7, 17});
        check(device, "broadcast batched matmul", t -> t[0].matmul(t[1]), new int[] {2, 1, 5, 21}, new int[] {3, 21, 6});
        check(device, "[..., m, k] @ [k, n]", t -> t[0].matmul(t[1]), new int[] {2, 9, 29}, new int[] {29, 15});
        check(device, "vector @ matrix", t -> t[0].matmul(t[1]), new int[] {31}, new int[] {31, 5});
        check(device, "linear", t -> t[0].linear(t[1], t[2]), new int[] {2, 7, 27}, new int[] {13, 27}, new int[] {13});
        check(device, "linear without bias", t -> t[0].linear(t[1], null), new int[] {11, 45}, new int[] {17, 45});
    }

    private static double[] toDouble(Tensor t) {
        float[] f = t.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    @Test
    void productsOnTheCpu() {
        checkAllProducts(Device.cpu());
    }

    /** On the CUDA device the products run through cublasGemmEx in bf16. */
    @Tag("gpu")
    @Test
    void productsOnCuda() {
        checkAllProducts(Device.cuda(0));
    }

    @Test
    void onlyMatrixProductsChangePrecision() {
        // A layer-norm-softmax block: everything but the two products must see and return F32.
        Rng rng = new Rng(7);
        try (MemoryScope scope = MemoryScope.open(); Autocast a = Autocast.bf16()) {
            Tensor x = rng.randn(4, 8), w = rng.randn(8, 8).requiresGrad(true);
            Tensor y = x.layerNorm(Tensor.ones(8), Tensor.zeros(8), 1e-5f).matmul(w).softmax(-1).linear(w, null).gelu();
            assertEquals(DType.F32, y.dtype());
            y.sum().backward();
            assertEquals(DType.F32, w.grad().dtype());
        }
    }

    @Test
    void bf16OperandsMultiplyWithoutAScopeAndMixedOnesAreRefused() {
        Rng rng = new Rng(8);
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor a = rng.randn(3, 5), b = rng.randn(5, 4);
            Tensor bf16 = a.to(DType.BF16).matmul(b.to(DType.BF16));
            assertEquals(DType.F32, bf16.dtype());
            OpCheck.assertClose("bf16 pair", toDouble(rounded(a).matmul(rounded(b))), bf16.toFloatArray(), 1e-6);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.to(DType.BF16).matmul(b));
            assertTrue(e.getMessage().contains("matmul of BF16 [3, 5] and F32 [5, 4]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> a.to(DType.F16).linear(b.transpose(0, 1).to(DType.F16), null));
        }
    }

    @Test
    void scopesNestAndRestoreThePreviousMode() {
        assertFalse(Autocast.isEnabled());
        try (Autocast outer = Autocast.bf16()) {
            try (Autocast inner = Autocast.bf16()) {
                assertTrue(Autocast.isEnabled());
            }
            assertTrue(Autocast.isEnabled(), "closing the inner scope keeps the outer one");
            outer.close();
            assertFalse(Autocast.isEnabled());
        }
        assertFalse(Autocast.isEnabled(), "closing twice is harmless");
    }
}
