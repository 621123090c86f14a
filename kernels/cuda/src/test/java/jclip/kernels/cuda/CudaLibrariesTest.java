package jclip.kernels.cuda;

import static jclip.kernels.cuda.BackendParity.bf16;
import static jclip.kernels.cuda.BackendParity.check;
import static jclip.kernels.cuda.BackendParity.f32;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import jclip.kernels.BatchNormShape;
import jclip.kernels.Buffer;
import jclip.kernels.Conv2dShape;
import jclip.kernels.DType;
import jclip.kernels.GemmShape;
import jclip.kernels.Kernels;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/*
 * The operations the CUDA backend hands to NVIDIA's libraries (CudaKernels -> Cublas, Cudnn) against
 * the CPU reference: row-major GEMM in every transpose, with padding, offsets, alpha, beta and
 * strided batches, in float32 and with bf16 inputs; convolution forward, backward data and backward filter (accumulating); batch
 * norm in training and eval mode, forward and backward. Odd sizes throughout, nothing a multiple of
 * a tile. On the simulated GPU these run on its cuBLAS and cuDNN stand-ins.
 */
@Tag("gpu")
class CudaLibrariesTest {
    private static final double GEMM = 1e-5, CONV = 1e-4, NORM = 1e-4;

    private static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextFloat() * 2 - 1;
        return v;
    }

    private static float[] positive(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = 0.5f + r.nextFloat();
        return v;
    }

    @Test
    void gemmEveryTransposeWithPaddingOffsetsAlphaAndBeta() {
        Random r = new Random(21);
        int m = 37, n = 29, k = 53, pad = 3;
        for (boolean ta : new boolean[] {false, true})
            for (boolean tb : new boolean[] {false, true}) {
                int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
                int aRows = ta ? k : m, bRows = tb ? n : k;
                GemmShape s = new GemmShape(ta, tb, m, n, k, lda, ldb, ldc, 0, 0, 0, 1);
                check("gemm transA=" + ta + " transB=" + tb, GEMM,
                        (kern, b) -> kern.gemm(s, 0.75f, b[0], 2, b[1], 5, -0.5f, b[2], 1),
                        f32("a", random(r, 2 + aRows * lda)), f32("b", random(r, 5 + bRows * ldb)), f32("c", random(r, 1 + m * ldc)));
            }
    }

    @Test
    void stridedBatchedGemm() {
        Random r = new Random(22);
        int m = 17, n = 9, k = 31, batch = 3, strideA = m * k + 7, strideB = k * n + 2, strideC = m * n + 5;
        check("batched gemm", GEMM,
                (kern, b) -> kern.gemm(GemmShape.of(false, true, m, n, k).withBatch(batch, strideA, strideB, strideC),
                        1f, b[0], 0, b[1], 0, 0f, b[2], 0),
                f32("a", random(r, batch * strideA)), f32("b", random(r, batch * strideB)), f32("c", random(r, batch * strideC)));
    }

    /**
     * cublasGemmEx with CUDA_R_16BF inputs against the CPU's float GEMM of the same bf16 values:
     * both multiply exactly-widened bf16 numbers and accumulate in float, so only the order of the
     * additions differs and the float tolerance holds.
     */
    @Test
    void bf16GemmEveryTransposeWithPaddingOffsetsAlphaAndBeta() {
        Random r = new Random(26);
        int m = 41, n = 27, k = 59, pad = 3;
        for (boolean ta : new boolean[] {false, true})
            for (boolean tb : new boolean[] {false, true}) {
                int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
                int aRows = ta ? k : m, bRows = tb ? n : k;
                GemmShape s = new GemmShape(ta, tb, m, n, k, lda, ldb, ldc, 0, 0, 0, 1);
                check("bf16 gemm transA=" + ta + " transB=" + tb, GEMM,
                        (kern, b) -> kern.gemm(s, 0.75f, b[0], 3, b[1], 1, -0.5f, b[2], 2),
                        bf16("a", random(r, 3 + aRows * lda)), bf16("b", random(r, 1 + bRows * ldb)), f32("c", random(r, 2 + m * ldc)));
            }
    }

    @Test
    void stridedBatchedBf16Gemm() {
        Random r = new Random(27);
        int m = 13, n = 21, k = 35, batch = 4, strideA = k * m + 3, strideB = n * k + 5, strideC = m * n + 1;
        for (boolean ta : new boolean[] {false, true})
            for (boolean tb : new boolean[] {false, true}) {
                GemmShape s = GemmShape.of(ta, tb, m, n, k).withBatch(batch, strideA, strideB, strideC);
                check("batched bf16 gemm transA=" + ta + " transB=" + tb, GEMM,
                        (kern, b) -> kern.gemm(s, 1f, b[0], 0, b[1], 0, 0f, b[2], 0),
                        bf16("a", random(r, batch * strideA)), bf16("b", random(r, batch * strideB)), f32("c", random(r, batch * strideC)));
            }
        // strideA = 0: one A shared by the batch, as a broadcast matmul hands it over.
        check("batched bf16 gemm with a shared A", GEMM,
                (kern, b) -> kern.gemm(GemmShape.of(false, false, m, n, k).withBatch(batch, 0, strideB, strideC),
                        1f, b[0], 0, b[1], 0, 0f, b[2], 0),
                bf16("a", random(r, m * k)), bf16("b", random(r, batch * strideB)), f32("c", random(r, batch * strideC)));
    }

    @Test
    void gemmRefusesMixedInputDtypes() {
        Kernels cuda = CudaDevice.get(0).kernels();
        try (Buffer f = cuda.allocate(DType.F32, 4); Buffer h = cuda.allocate(DType.BF16, 4)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> cuda.gemm(GemmShape.of(false, false, 2, 2, 2), 1f, f, 0, h, 0, 0f, f, 0));
            assertTrue(e.getMessage().contains("A is F32 and B is BF16"), e.getMessage());
        }
    }

    @Test
    void convolutionForwardAndBackward() {
        Random r = new Random(23);
        Conv2dShape[] shapes = {
            new Conv2dShape(2, 3, 11, 9, 5, 3, 3, 2, 2, 1, 1),
            new Conv2dShape(3, 4, 7, 5, 6, 1, 1, 1, 1, 0, 0),
            new Conv2dShape(1, 2, 13, 8, 3, 2, 3, 1, 2, 1, 0),
        };
        for (Conv2dShape s : shapes) {
            int x = s.n() * s.cIn() * s.h() * s.w(), w = s.cOut() * s.cIn() * s.kH() * s.kW(), y = s.n() * s.cOut() * s.hOut() * s.wOut();
            check("conv2d " + s, CONV, (k, b) -> k.conv2d(b[0], b[1], b[2], b[3], s),
                    f32("x", random(r, x)), f32("weight", random(r, w)), f32("bias", random(r, s.cOut())), f32("y", random(r, y)));
            check("conv2d without bias " + s, CONV, (k, b) -> k.conv2d(b[0], b[1], null, b[2], s),
                    f32("x", random(r, x)), f32("weight", random(r, w)), f32("y", random(r, y)));
            check("conv2d backward input " + s, CONV, (k, b) -> k.conv2dBackwardInput(b[0], b[1], b[2], s),
                    f32("gy", random(r, y)), f32("weight", random(r, w)), f32("gx", random(r, x)));
            check("conv2d backward weight " + s, CONV, (k, b) -> k.conv2dBackwardWeight(b[0], b[1], b[2], b[3], s),
                    f32("x", random(r, x)), f32("gy", random(r, y)), f32("gWeight", random(r, w)), f32("gBias", random(r, s.cOut())));
        }
    }

    @Test
    void batchNormTrainingForwardAndBackward() {
        Random r = new Random(24);
        int n = 3, c = 5, hw = 13, size = n * c * hw;
        BatchNormShape s = new BatchNormShape(n, c, hw, 1e-5f, 0.1f);
        check("batch norm training", NORM,
                (k, b) -> k.batchNormTraining(s, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]),
                f32("x", random(r, size)), f32("gamma", random(r, c)), f32("beta", random(r, c)),
                f32("runningMean", random(r, c)), f32("runningVar", positive(r, c)), f32("y", random(r, size)),
                f32("saveMean", random(r, c)), f32("saveInvStd", random(r, c)));
        check("batch norm training without affine or running statistics", NORM,
                (k, b) -> k.batchNormTraining(s, b[0], null, null, null, null, b[1], b[2], b[3]),
                f32("x", random(r, size)), f32("y", random(r, size)), f32("saveMean", random(r, c)), f32("saveInvStd", random(r, c)));
        // The backward reads the statistics the forward saved; both backends get the CPU's.
        float[] x = random(r, size), mean = new float[c], invStd = new float[c];
        for (int ch = 0; ch < c; ch++) {
            double sum = 0, sq = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++) sum += x[(i * c + ch) * hw + j];
            mean[ch] = (float) (sum / (n * hw));
            for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++) sq += Math.pow(x[(i * c + ch) * hw + j] - mean[ch], 2);
            invStd[ch] = (float) (1 / Math.sqrt(sq / (n * hw) + 1e-5));
        }
        check("batch norm training backward", NORM,
                (k, b) -> k.batchNormTrainingBackward(s, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]),
                f32("x", x), f32("gy", random(r, size)), f32("saveMean", mean), f32("saveInvStd", invStd), f32("gamma", random(r, c)),
                f32("gx", random(r, size)), f32("gGamma", random(r, c)), f32("gBeta", random(r, c)));
        check("batch norm training backward, gx only", NORM,
                (k, b) -> k.batchNormTrainingBackward(s, b[0], b[1], b[2], b[3], null, b[4], null, null),
                f32("x", x), f32("gy", random(r, size)), f32("saveMean", mean), f32("saveInvStd", invStd), f32("gx", random(r, size)));
    }

    @Test
    void batchNormEvalForwardAndBackward() {
        Random r = new Random(25);
        int n = 2, c = 7, hw = 9, size = n * c * hw;
        BatchNormShape s = new BatchNormShape(n, c, hw, 1e-5f, 0.1f);
        float[] runningMean = random(r, c), runningVar = positive(r, c), gamma = random(r, c);
        check("batch norm eval", NORM,
                (k, b) -> k.batchNormEval(s, b[0], b[1], b[2], b[3], b[4], b[5]),
                f32("x", random(r, size)), f32("gamma", gamma), f32("beta", random(r, c)), f32("runningMean", runningMean),
                f32("runningVar", runningVar), f32("y", random(r, size)));
        check("batch norm eval backward", NORM,
                (k, b) -> k.batchNormEvalBackward(s, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]),
                f32("x", random(r, size)), f32("gy", random(r, size)), f32("gamma", gamma), f32("runningMean", runningMean),
                f32("runningVar", runningVar), f32("gx", random(r, size)), f32("gGamma", random(r, c)), f32("gBeta", random(r, c)));
    }
}
