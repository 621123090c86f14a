package jclip.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.GemmShape;
import org.junit.jupiter.api.Test;

/**
 * CpuKernels.gemm with BF16 A and B, the reference for cuBLAS's bf16 GEMM: exactly the float GEMM
 * of the inputs rounded to bf16, in every transpose, with offsets, padding, alpha, beta and
 * strided batches; mixed input dtypes and a non-F32 C are refused.
 */
class GemmBf16Test {
    private static final CpuKernels CPU = CpuKernels.INSTANCE;

    private static float[] random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }

    private static short[] bf16(float[] x) {
        short[] bits = new short[x.length];
        for (int i = 0; i < x.length; i++) bits[i] = HalfFloat.floatToBf16(x[i]);
        return bits;
    }

    private static float[] rounded(float[] x) {
        float[] r = new float[x.length];
        for (int i = 0; i < x.length; i++) r[i] = HalfFloat.bf16ToFloat(HalfFloat.floatToBf16(x[i]));
        return r;
    }

    @Test
    void equalsTheFloatGemmOfTheRoundedInputs() {
        SplittableRandom rnd = new SplittableRandom(41);
        int m = 19, n = 23, k = 37, batch = 3, pad = 2;
        for (boolean ta : new boolean[] {false, true})
            for (boolean tb : new boolean[] {false, true}) {
                int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
                int strideA = (ta ? k : m) * lda + 5, strideB = (tb ? n : k) * ldb + 1, strideC = m * ldc + 4;
                float[] a = random(rnd, 3 + batch * strideA), b = random(rnd, 1 + batch * strideB), c = random(rnd, 2 + batch * strideC);
                float[] expected = c.clone(), actual = c.clone();
                Gemm.sgemm(ta, tb, m, n, k, 0.5f, rounded(a), 3, lda, strideA, rounded(b), 1, ldb, strideB,
                        -1.25f, expected, 2, ldc, strideC, batch);
                GemmShape s = new GemmShape(ta, tb, m, n, k, lda, ldb, ldc, strideA, strideB, strideC, batch);
                CPU.gemm(s, 0.5f, CPU.wrap(DType.BF16, bf16(a)), 3, CPU.wrap(DType.BF16, bf16(b)), 1, -1.25f, CPU.wrap(DType.F32, actual), 2);
                assertArrayEquals(expected, actual, "transA=" + ta + " transB=" + tb);
            }
    }

    @Test
    void roundingTheInputsIsVisible() {
        // 1 + 2^-9 is not a bf16 (8 bits of mantissa): the bf16 product of it with itself is 1.
        float x = 1 + 0x1p-9f;
        float[] c = new float[1];
        CPU.gemm(GemmShape.of(false, false, 1, 1, 1), 1f, CPU.wrap(DType.BF16, bf16(new float[] {x})), 0,
                CPU.wrap(DType.BF16, bf16(new float[] {x})), 0, 0f, CPU.wrap(DType.F32, c), 0);
        assertArrayEquals(new float[] {1f}, c);
    }

    @Test
    void mixedInputsOrAHalfOutputAreRefused() {
        Buffer f = CPU.allocate(DType.F32, 4), h = CPU.allocate(DType.BF16, 4);
        GemmShape s = GemmShape.of(false, false, 2, 2, 2);
        IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class,
                () -> CPU.gemm(s, 1f, h, 0, f, 0, 0f, f, 0));
        assertTrue(mixed.getMessage().contains("A is BF16 and B is F32"), mixed.getMessage());
        IllegalArgumentException out = assertThrows(IllegalArgumentException.class,
                () -> CPU.gemm(s, 1f, h, 0, h, 0, 0f, h, 0));
        assertTrue(out.getMessage().contains("C is BF16"), out.getMessage());
    }
}
