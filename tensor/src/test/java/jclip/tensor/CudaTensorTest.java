package jclip.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The whole path from a tensor to a CUDA kernel and back: each op runs forward and backward on
 * {@code Device.cuda(0)} and on the CPU, its reference, from the same fresh random inputs. On the
 * simulated GPU in {@code mvn verify}; unchanged on a real one.
 */
@Tag("gpu")
class CudaTensorTest {
    private static Device cuda;

    @BeforeAll
    static void openDevice() {
        cuda = Device.cuda(0);
    }

    /**
     * Runs {@code op} on CPU leaves and on CUDA copies of them, back-propagates the same random
     * upstream gradient through both, and compares the outputs and every input gradient.
     */
    private static void check(String name, double tolerance, Function<Tensor[], Tensor> op, int[]... shapes) {
        Rng rng = new Rng(name.hashCode());
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor[] cpu = new Tensor[shapes.length], gpu = new Tensor[shapes.length];
            for (int i = 0; i < shapes.length; i++) {
                cpu[i] = rng.randn(shapes[i]).requiresGrad(true);
                gpu[i] = cpu[i].detach().to(cuda).requiresGrad(true);
            }
            Tensor expected = op.apply(cpu), actual = op.apply(gpu);
            assertEquals(cuda, actual.device(), name + " computed on the CUDA device");
            Tensor upstream = rng.randn(expected.shape());
            expected.mul(upstream).sum().backward();
            actual.mul(upstream.to(cuda)).sum().backward();
            OpCheck.assertClose(name + " forward", toDouble(expected.toFloatArray()), actual.toFloatArray(), tolerance);
            for (int i = 0; i < shapes.length; i++) {
                OpCheck.assertClose(name + " gradient of input " + i, toDouble(cpu[i].grad().toFloatArray()),
                        gpu[i].grad().toFloatArray(), tolerance);
                assertEquals(cuda, gpu[i].grad().device(), "the gradient stays on the device");
            }
        }
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
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
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> host.add(device));
            assertEquals("add: tensors on cpu [3, 4] and cuda:0 [4] (move one with to(Device))", e.getMessage());
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> host.matmul(Tensor.ones(4, 2).to(cuda)));
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> device.reshape(1, 4).linear(Tensor.ones(2, 4), null));
        }
    }

    @Test
    void elementwiseWithBroadcasting() {
        check("add", 1e-6, t -> t[0].add(t[1]), new int[] {3, 1, 37}, new int[] {5, 37});
        check("mul", 1e-6, t -> t[0].mul(t[1]), new int[] {7, 33}, new int[] {33});
        check("gelu of a quotient", 1e-5, t -> t[0].div(t[1].abs().add(0.5f)).gelu(), new int[] {2, 3, 5}, new int[] {3, 1});
    }

    @Test
    void reductions() {
        check("sum over a middle dimension", 1e-5, t -> t[0].sum(1, false), new int[] {5, 43, 3});
        check("mean of all", 1e-5, t -> t[0].mean(), new int[] {7, 13});
        check("max", 1e-6, t -> t[0].max(-1, true), new int[] {9, 31});
    }

    @Test
    void softmax() {
        check("softmax", 1e-5, t -> t[0].softmax(-1), new int[] {6, 77});
        check("log-softmax over dim 0", 1e-5, t -> t[0].logSoftmax(0), new int[] {13, 5});
    }

    @Test
    void matmulThroughCublas() {
        check("matmul", 1e-4, t -> t[0].matmul(t[1]), new int[] {37, 53}, new int[] {53, 29});
        check("batched matmul of a transpose", 1e-4, t -> t[0].matmul(t[1].transpose(-1, -2)), new int[] {3, 17, 11}, new int[] {3, 19, 11});
        check("linear", 1e-4, t -> t[0].linear(t[1], t[2]), new int[] {9, 21}, new int[] {13, 21}, new int[] {13});
    }

    /** Under Autocast the products run through cublasGemmEx in bf16 and match float32 on rounded inputs. */
    @Test
    void bf16MixedPrecisionProductsThroughCublasGemmEx() {
        AutocastTest.checkAllProducts(cuda);
    }

    /** 1,000 steps of a small MLP on the device: the allocator's live bytes end where the first step left them. */
    @Test
    void trainingLoopDoesNotGrowDeviceMemory() {
        MemoryTest.trainMlp(cuda, 1000, false);
    }

    /** The same in bf16 mixed precision: the casts made each step are released with it. */
    @Test
    void bf16TrainingLoopDoesNotGrowDeviceMemory() {
        MemoryTest.trainMlp(cuda, 300, true);
    }
}
