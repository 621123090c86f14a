package jclip.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import jclip.kernels.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Flat storages: packing leaves in place, and zeroed tensors in one storage. */
class FlatTest {
    @Test
    void packingKeepsValuesAndSharesOneStoragePerDtype() {
        check(Device.cpu());
    }

    @Tag("gpu")
    @Test
    void packingOnCuda() {
        check(Device.cuda(0));
    }

    private static void check(Device device) {
        Rng rng = new Rng(3);
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor a = rng.randn(3, 4).to(device), b = rng.randn(5).to(device), c = rng.randn(2, 2).to(DType.BF16).to(device);
            Tensor strided = rng.randn(4, 3).to(device).transpose(0, 1).contiguous();  // a contiguous copy: a leaf of its own
            float[] va = a.toFloatArray(), vb = b.toFloatArray(), vc = c.toFloatArray(), vs = strided.toFloatArray();
            List<Tensor> tensors = List.of(a, b, c, strided);
            Flat.pack(tensors);
            assertArrayEquals(va, a.toFloatArray());
            assertArrayEquals(vb, b.toFloatArray());
            assertArrayEquals(vc, c.toFloatArray());
            assertArrayEquals(vs, strided.toFloatArray());
            assertSame(a.storage, b.storage, "F32 tensors share one storage");
            assertSame(a.storage, strided.storage);
            assertNotSame(a.storage, c.storage, "BF16 has its own");
            assertEquals(0, a.offset);
            assertEquals(12, b.offset);
            assertEquals(17, strided.offset);
            assertEquals(device, a.device());

            // Writing one view leaves its neighbours alone.
            try (Autograd.NoGrad g = Autograd.noGrad()) {
                b.fill(7f);
            }
            assertArrayEquals(va, a.toFloatArray());
            assertArrayEquals(vs, strided.toFloatArray());

            List<Tensor> zeros = Flat.zerosLike(tensors);
            for (int i = 0; i < tensors.size(); i++) {
                assertArrayEquals(tensors.get(i).shape(), zeros.get(i).shape());
                assertEquals(tensors.get(i).dtype(), zeros.get(i).dtype());
                for (float z : zeros.get(i).toFloatArray()) assertEquals(0f, z);
            }
            assertSame(zeros.get(0).storage, zeros.get(3).storage);
            // The caller owns them: the scope does not close them.
            scope.close();
            assertFalse(zeros.get(0).isClosed());
            assertTrue(a.isClosed());
            zeros.forEach(Tensor::close);
        }
    }

    @Test
    void aStorageSharedWithOtherTensorsStaysWhereItIs() {
        Tensor w = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        Tensor tied = w.reshape(4);  // a view: packing w alone would untie them
        Tensor other = Tensor.of(new float[] {5, 6}, 2);
        Storage before = w.storage;
        Flat.pack(List.of(w, other));
        assertSame(before, w.storage);
        assertSame(w.storage, tied.storage);
        assertArrayEquals(new float[] {5, 6}, other.toFloatArray());
        for (Tensor t : List.of(w, tied, other)) t.close();
    }

    @Test
    void computedTensorsAreRefused() {
        Tensor x = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor y = x.mul(x);
        assertThrows(IllegalArgumentException.class, () -> Flat.pack(List.of(y)));
    }
}
