package jclip.kernels.cuda.sim;

import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.jcublas.cublasComputeType.CUBLAS_COMPUTE_32F;
import static jcuda.jcublas.cublasComputeType.CUBLAS_COMPUTE_32F_FAST_TF32;
import static jcuda.jcublas.cublasGemmAlgo.CUBLAS_GEMM_DEFAULT;
import static jcuda.jcublas.cublasGemmAlgo.CUBLAS_GEMM_DEFAULT_TENSOR_OP;
import static jcuda.jcublas.cublasOperation.CUBLAS_OP_C;
import static jcuda.jcublas.cublasOperation.CUBLAS_OP_N;
import static jcuda.jcublas.cublasOperation.CUBLAS_OP_T;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.GemmShape;
import jclip.kernels.cpu.CpuKernels;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.cudaDataType;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasMath;
import jcuda.jcublas.cublasPointerMode;
import jcuda.jcublas.cublasStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The simulated GPU's cuBLAS stand-in, called through JCublas2's unchanged Java API and JNI library
 * on device memory from the simulated driver, against the CPU reference GEMM (row-major: cuBLAS's
 * column-major C = op(A)·op(B) is, read row-major, Cᵀ = op(B)ᵀ·op(A)ᵀ, so the reference gets B and A
 * swapped, with the same leading dimensions).
 */
@Tag("sim")
class SimulatedCublasTest extends SimulatedGpuTest {
    private static cublasHandle handle;

    @BeforeAll
    static void start() {
        loadSimulator();
        makePrimaryContextCurrent();
        JCublas2.setExceptionsEnabled(true);
        handle = new cublasHandle();
        JCublas2.cublasCreate(handle);
    }

    @AfterAll
    static void stop() {
        JCublas2.cublasDestroy(handle);
    }

    @Test
    void sgemmMatchesTheReferenceForEveryTransposeWithPaddedLeadingDimensions() {
        int m = 37, n = 29, k = 53;
        float alpha = 0.75f, beta = -1.25f;
        for (int opA : new int[] {CUBLAS_OP_N, CUBLAS_OP_T, CUBLAS_OP_C}) {
            for (int opB : new int[] {CUBLAS_OP_N, CUBLAS_OP_T}) {
                boolean ta = opA != CUBLAS_OP_N, tb = opB != CUBLAS_OP_N;
                int lda = (ta ? k : m) + 3, ldb = (tb ? n : k) + 2, ldc = m + 5;
                float[] a = randoms(lda * (ta ? m : k)), b = randoms(ldb * (tb ? k : n)), c = randoms(ldc * n);
                CUdeviceptr dc = upload(c);
                JCublas2.cublasSgemm(handle, opA, opB, m, n, k, Pointer.to(new float[] {alpha}), upload(a), lda,
                        upload(b), ldb, Pointer.to(new float[] {beta}), dc, ldc);
                float[] want = reference(ta, tb, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);
                assertClose(want, downloadFloats(dc, c.length), 1e-5, "op(A) " + opA + ", op(B) " + opB);
            }
        }
    }

    @Test
    void sgemmReadsAlphaAndBetaFromDeviceMemoryInDevicePointerMode() {
        int m = 20, n = 33, k = 7;
        float[] a = randoms(m * k), b = randoms(k * n), c = randoms(m * n);
        CUdeviceptr dc = upload(c);
        JCublas2.cublasSetPointerMode(handle, cublasPointerMode.CUBLAS_POINTER_MODE_DEVICE);
        try {
            JCublas2.cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, upload(new float[] {-2f}), upload(a), m,
                    upload(b), k, upload(new float[] {0.5f}), dc, m);
        } finally {
            JCublas2.cublasSetPointerMode(handle, cublasPointerMode.CUBLAS_POINTER_MODE_HOST);
        }
        assertClose(reference(false, false, m, n, k, -2f, a, m, 0, b, k, 0, 0.5f, c, m, 0, 1), downloadFloats(dc, c.length), 1e-5, "");
    }

    @Test
    void betaZeroOverwritesCWithoutReadingIt() {
        int m = 18, n = 7, k = 300;
        float[] a = randoms(m * k), b = randoms(k * n), c = new float[m * n];
        java.util.Arrays.fill(c, Float.NaN);
        CUdeviceptr dc = upload(c);
        JCublas2.cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, Pointer.to(new float[] {1f}), upload(a), m,
                upload(b), k, Pointer.to(new float[] {0f}), dc, m);
        assertClose(reference(false, false, m, n, k, 1f, a, m, 0, b, k, 0, 0f, new float[m * n], m, 0, 1),
                downloadFloats(dc, c.length), 1e-5, "NaN in C must not survive beta = 0");
    }

    @Test
    void stridedBatchedSgemmMultipliesEachMember() {
        int m = 31, n = 17, k = 45, batch = 3, lda = k + 1, ldb = n, ldc = m + 2;
        int strideA = lda * m + 11, strideB = ldb * k + 3, strideC = ldc * n + 5;
        float[] a = randoms(strideA * batch), b = randoms(strideB * batch), c = randoms(strideC * batch);
        CUdeviceptr dc = upload(c);
        JCublas2.cublasSgemmStridedBatched(handle, CUBLAS_OP_T, CUBLAS_OP_T, m, n, k, Pointer.to(new float[] {1.5f}),
                upload(a), lda, strideA, upload(b), ldb, strideB, Pointer.to(new float[] {0.25f}), dc, ldc, strideC, batch);
        float[] want = reference(true, true, m, n, k, 1.5f, a, lda, strideA, b, ldb, strideB, 0.25f, c, ldc, strideC, batch);
        assertClose(want, downloadFloats(dc, c.length), 1e-5, "");
    }

    @Test
    void pointerArrayBatchedSgemmMultipliesEachMember() {
        int m = 9, n = 14, k = 23, batch = 3;
        float[][] a = new float[batch][], b = new float[batch][], c = new float[batch][];
        CUdeviceptr[] da = new CUdeviceptr[batch], db = new CUdeviceptr[batch], dc = new CUdeviceptr[batch];
        for (int i = 0; i < batch; i++) {
            da[i] = upload(a[i] = randoms(m * k));
            db[i] = upload(b[i] = randoms(k * n));
            dc[i] = upload(c[i] = randoms(m * n));
        }
        JCublas2.cublasSgemmBatched(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, Pointer.to(new float[] {1f}),
                pointerArray(da), m, pointerArray(db), k, Pointer.to(new float[] {-1f}), pointerArray(dc), m, batch);
        for (int i = 0; i < batch; i++) {
            assertClose(reference(false, false, m, n, k, 1f, a[i], m, 0, b[i], k, 0, -1f, c[i], m, 0, 1),
                    downloadFloats(dc[i], m * n), 1e-5, "member " + i);
        }
    }

    @Test
    void bf16GemmExMatchesTheReferenceOnRoundedInputs() {
        int m = 37, n = 29, k = 53, lda = k + 2, ldb = k, ldc = m;
        short[] a = bf16(randoms(lda * m)), b = bf16(randoms(ldb * n));
        float[] c = randoms(ldc * n);
        CUdeviceptr dc = upload(c);
        JCublas2.cublasGemmEx_new(handle, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, Pointer.to(new float[] {2f}),
                upload(a), cudaDataType.CUDA_R_16BF, lda, upload(b), cudaDataType.CUDA_R_16BF, ldb,
                Pointer.to(new float[] {-0.5f}), dc, cudaDataType.CUDA_R_32F, ldc, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT_TENSOR_OP);
        float[] want = reference(true, false, m, n, k, 2f, widen(a), lda, 0, widen(b), ldb, 0, -0.5f, c, ldc, 0, 1);
        assertClose(want, downloadFloats(dc, c.length), 1e-5, "");
    }

    @Test
    void bf16OutputIsTheRoundedFloatResult() {
        int m = 13, n = 11, k = 40;
        short[] a = bf16(randoms(m * k)), b = bf16(randoms(k * n)), c = bf16(randoms(m * n));
        CUdeviceptr dc = upload(c);
        JCublas2.cublasGemmStridedBatchedEx_new(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, Pointer.to(new float[] {1f}),
                upload(a), cudaDataType.CUDA_R_16BF, m, 0, upload(b), cudaDataType.CUDA_R_16BF, k, 0,
                Pointer.to(new float[] {1f}), dc, cudaDataType.CUDA_R_16BF, m, 0, 1, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
        float[] want = reference(false, false, m, n, k, 1f, widen(a), m, 0, widen(b), k, 0, 1f, widen(c), m, 0, 1);
        short[] got = new short[m * n];
        cuMemcpyDtoH(Pointer.to(got), dc, got.length * 2L);
        // One bf16 rounding of the float result: half a unit in the last of 8 significant bits.
        assertClose(want, widen(got), 1.0 / 256, "");
    }

    @Test
    void fastTf32RoundsFloatInputsToTf32() {
        int m = 24, n = 19, k = 64, batch = 3;
        float[] a = randoms(m * k * batch), b = randoms(k * n * batch);
        CUdeviceptr dc = upload(new float[m * n * batch]);
        JCublas2.cublasGemmStridedBatchedEx_new(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, Pointer.to(new float[] {1f}),
                upload(a), cudaDataType.CUDA_R_32F, m, (long) m * k, upload(b), cudaDataType.CUDA_R_32F, k, (long) k * n,
                Pointer.to(new float[] {0f}), dc, cudaDataType.CUDA_R_32F, m, (long) m * n, batch,
                CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT);
        float[] got = downloadFloats(dc, m * n * batch);
        float[] want = reference(false, false, m, n, k, 1f, tf32(a), m, m * k, tf32(b), k, k * n, 0f, new float[m * n * batch], m, m * n, batch);
        assertClose(want, got, 1e-5, "against TF32-rounded inputs");
        float[] exact = reference(false, false, m, n, k, 1f, a, m, m * k, b, k, k * n, 0f, new float[m * n * batch], m, m * n, batch);
        assertTrue(maxDifference(exact, got) > 1e-5, "TF32 rounding is visible against float inputs");
    }

    @Test
    void tf32MathModeAppliesToSgemm() {
        int m = 16, n = 16, k = 96;
        float[] a = randoms(m * k), b = randoms(k * n);
        CUdeviceptr dc = upload(new float[m * n]);
        JCublas2.cublasSetMathMode(handle, cublasMath.CUBLAS_TF32_TENSOR_OP_MATH);
        try {
            JCublas2.cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, Pointer.to(new float[] {1f}), upload(a), m,
                    upload(b), k, Pointer.to(new float[] {0f}), dc, m);
        } finally {
            JCublas2.cublasSetMathMode(handle, cublasMath.CUBLAS_DEFAULT_MATH);
        }
        float[] want = reference(false, false, m, n, k, 1f, tf32(a), m, 0, tf32(b), k, 0, 0f, new float[m * n], m, 0, 1);
        assertClose(want, downloadFloats(dc, m * n), 1e-5, "");
    }

    @Test
    void handleSettingsAreReportedBack() {
        int[] value = new int[1];
        JCublas2.cublasGetVersion(handle, value);
        assertEquals(120600, value[0]);
        JCublas2.cublasSetMathMode(handle, cublasMath.CUBLAS_TF32_TENSOR_OP_MATH);
        JCublas2.cublasGetMathMode(handle, value);
        assertEquals(cublasMath.CUBLAS_TF32_TENSOR_OP_MATH, value[0]);
        JCublas2.cublasSetMathMode(handle, cublasMath.CUBLAS_DEFAULT_MATH);
        JCublas2.cublasGetPointerMode(handle, value);
        assertEquals(cublasPointerMode.CUBLAS_POINTER_MODE_HOST, value[0]);
        assertEquals("CUBLAS_STATUS_NOT_SUPPORTED", JCublas2.cublasGetStatusName(15));
    }

    @Test
    void aLeadingDimensionSmallerThanTheRowsIsAnInvalidValue() {
        int m = 10, n = 4, k = 6;
        CudaException e = assertThrows(CudaException.class, () -> JCublas2.cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N,
                m, n, k, Pointer.to(new float[] {1f}), upload(new float[m * k]), m - 1, upload(new float[k * n]), k,
                Pointer.to(new float[] {0f}), upload(new float[m * n]), m));
        assertTrue(e.getMessage().contains("CUBLAS_STATUS_INVALID_VALUE"), e.getMessage());
    }

    @Test
    void anUnimplementedDataTypeIsNotSupported() {
        int m = 4, n = 4, k = 4;
        CudaException e = assertThrows(CudaException.class, () -> JCublas2.cublasGemmEx_new(handle, CUBLAS_OP_N, CUBLAS_OP_N,
                m, n, k, Pointer.to(new float[] {1f}), upload(new float[2 * m * k]), cudaDataType.CUDA_R_64F, m,
                upload(new float[2 * k * n]), cudaDataType.CUDA_R_64F, k, Pointer.to(new float[] {0f}),
                upload(new float[m * n]), cudaDataType.CUDA_R_32F, m, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
        assertTrue(e.getMessage().contains("CUBLAS_STATUS_NOT_SUPPORTED"), e.getMessage());
    }

    @Test
    void anUnimplementedCallIsNotSupportedInsteadOfACrash() {
        CUdeviceptr x = upload(randoms(8));
        CudaException e = assertThrows(CudaException.class,
                () -> JCublas2.cublasSnrm2(handle, 8, x, 1, Pointer.to(new float[1])));
        assertTrue(e.getMessage().contains("CUBLAS_STATUS_NOT_SUPPORTED"), e.getMessage());
    }

    // ---- operands that run past their allocations -----------------------------------------------
    // A matrix stored column-major, rows x cols with leading dimension ld, reaches (cols - 1)·ld +
    // rows elements: the last column need not be padded, so that is what each test allocates; one
    // element less must be refused before anything is computed.

    @Test
    void aThatFitsExactlyIsMultipliedAndOneElementShortIsRefusedForEveryTranspose() {
        int m = 37, n = 29, k = 53;
        for (int opA : new int[] {CUBLAS_OP_N, CUBLAS_OP_T, CUBLAS_OP_C}) {
            boolean ta = opA != CUBLAS_OP_N;
            int lda = (ta ? k : m) + 3, fits = extent(ta ? k : m, ta ? m : k, lda);
            float[] a = randoms(fits), b = randoms(k * n);
            CUdeviceptr db = upload(b), dc = upload(new float[m * n]);
            JCublas2.cublasSgemm(handle, opA, CUBLAS_OP_N, m, n, k, Pointer.to(new float[] {1f}), upload(a), lda, db, k,
                    Pointer.to(new float[] {0f}), dc, m);
            float[] want = reference(ta, false, m, n, k, 1f, java.util.Arrays.copyOf(a, lda * (ta ? m : k)), lda, 0, b, k, 0,
                    0f, new float[m * n], m, 0, 1);
            assertClose(want, downloadFloats(dc, m * n), 1e-5, "op(A) " + opA);
            CUdeviceptr shortA = upload(randoms(fits - 1));
            String why = refusal(() -> JCublas2.cublasSgemm(handle, opA, CUBLAS_OP_N, m, n, k, Pointer.to(new float[] {1f}),
                    shortA, lda, db, k, Pointer.to(new float[] {0f}), dc, m));
            assertTrue(why.contains("cublasSgemm: A (" + (ta ? "k x m = 53 x 37" : "m x k = 37 x 53") + ", lda " + lda
                    + ") spans " + 4 * fits + " bytes from "), why);
            assertTrue(why.endsWith("ends 4 bytes earlier"), why);
        }
    }

    @Test
    void aTransposedBf16BOneElementShortIsRefused() {
        int m = 8, n = 6, k = 5, ldb = n + 1;
        String why = refusal(() -> JCublas2.cublasGemmEx_new(handle, CUBLAS_OP_N, CUBLAS_OP_T, m, n, k,
                Pointer.to(new float[] {1f}), upload(new short[m * k]), cudaDataType.CUDA_R_16BF, m,
                upload(new short[extent(n, k, ldb) - 1]), cudaDataType.CUDA_R_16BF, ldb, Pointer.to(new float[] {0f}),
                upload(new float[m * n]), cudaDataType.CUDA_R_32F, m, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
        assertTrue(why.contains("cublasGemmEx: B (n x k = 6 x 5, ldb 7) spans 68 bytes"), why);
        assertTrue(why.endsWith("ends 2 bytes earlier"), why);
    }

    @Test
    void aCOneElementShortIsRefusedEvenWhenBetaIsZero() {
        int m = 12, n = 9, k = 4, ldc = m + 4;
        String why = refusal(() -> JCublas2.cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, Pointer.to(new float[] {1f}),
                upload(new float[m * k]), m, upload(new float[k * n]), k, Pointer.to(new float[] {0f}),
                upload(new float[extent(m, n, ldc) - 1]), ldc));
        assertTrue(why.contains("cublasSgemm: C (m x n = 12 x 9, ldc 16) spans"), why);
    }

    @Test
    void aStridedBatchWhoseLastMatrixOverrunsIsRefused() {
        int m = 7, n = 5, k = 6, batch = 3, strideA = m * k + 2;
        int fits = (batch - 1) * strideA + m * k;
        CUdeviceptr b = upload(new float[k * n * batch]), c = upload(new float[m * n * batch]);
        JCublas2.cublasSgemmStridedBatched(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, Pointer.to(new float[] {1f}),
                upload(new float[fits]), m, strideA, b, k, k * n, Pointer.to(new float[] {0f}), c, m, m * n, batch);
        String why = refusal(() -> JCublas2.cublasSgemmStridedBatched(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k,
                Pointer.to(new float[] {1f}), upload(new float[fits - 1]), m, strideA, b, k, k * n,
                Pointer.to(new float[] {0f}), c, m, m * n, batch));
        assertTrue(why.contains("cublasSgemmStridedBatched: A (3 matrices of m x k = 7 x 6, lda 7, strideA 44) spans "
                + 4 * fits + " bytes"), why);
    }

    @Test
    void aPointerArrayMemberOrThePointerArrayItselfRunningShortIsRefused() {
        int m = 4, n = 3, k = 5, batch = 3;
        CUdeviceptr[] a = new CUdeviceptr[batch], b = new CUdeviceptr[batch], c = new CUdeviceptr[batch];
        for (int i = 0; i < batch; i++) {
            a[i] = upload(new float[m * k]);
            b[i] = upload(new float[k * n - (i == batch - 1 ? 1 : 0)]);
            c[i] = upload(new float[m * n]);
        }
        Pointer one = Pointer.to(new float[] {1f}), zero = Pointer.to(new float[] {0f});
        String why = refusal(() -> JCublas2.cublasSgemmBatched(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, one,
                pointerArray(a), m, pointerArray(b), k, zero, pointerArray(c), m, batch));
        assertTrue(why.contains("cublasSgemmBatched: Barray[2] (k x n = 5 x 3, ldb 5) spans 60 bytes"), why);
        CUdeviceptr twoPointers = upload(Pointer.to(c), 2L * Sizeof.POINTER);
        why = refusal(() -> JCublas2.cublasSgemmBatched(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, one,
                pointerArray(a), m, pointerArray(a), k, zero, twoPointers, m, batch));
        assertTrue(why.contains("cublasSgemmBatched: Carray (3 pointers) spans 24 bytes"), why);
    }

    @Test
    void aDevicePointerModeScalarOutsideItsAllocationIsRefused() {
        int m = 3, n = 3, k = 3;
        CUdeviceptr beta = upload(new float[] {0f}).withByteOffset(2);
        JCublas2.cublasSetPointerMode(handle, cublasPointerMode.CUBLAS_POINTER_MODE_DEVICE);
        try {
            String why = refusal(() -> JCublas2.cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, upload(new float[] {1f}),
                    upload(new float[m * k]), m, upload(new float[k * n]), k, beta, upload(new float[m * n]), m));
            assertTrue(why.contains("cublasSgemm: beta spans 4 bytes"), why);
            assertTrue(why.endsWith("ends 2 bytes earlier"), why);
        } finally {
            JCublas2.cublasSetPointerMode(handle, cublasPointerMode.CUBLAS_POINTER_MODE_HOST);
        }
    }

    @Test
    void aMatrixInPageLockedHostMemoryIsReachableAndCheckedLikeDeviceMemory() {
        int m = 6, n = 5, k = 4;
        float[] a = randoms(m * k), b = randoms(k * n);
        Pointer c = new Pointer();
        JCudaDriver.cuMemAllocHost(c, (long) m * n * Sizeof.FLOAT);
        try {
            JCublas2.cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, Pointer.to(new float[] {1f}), upload(a), m,
                    upload(b), k, Pointer.to(new float[] {0f}), c, m);
            float[] got = new float[m * n];
            c.getByteBuffer(0, (long) m * n * Sizeof.FLOAT).order(ByteOrder.nativeOrder()).asFloatBuffer().get(got);
            assertClose(reference(false, false, m, n, k, 1f, a, m, 0, b, k, 0, 0f, new float[m * n], m, 0, 1), got, 1e-5, "");
            String why = refusal(() -> JCublas2.cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, Pointer.to(new float[] {1f}),
                    upload(a), m, upload(b), k, Pointer.to(new float[] {0f}), c, m + 1));
            assertTrue(why.contains("its page-locked host allocation"), why);
        } finally {
            JCudaDriver.cuMemFreeHost(c);
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** Elements from the first of a column-major rows x cols matrix with leading dimension ld to one past its last. */
    private static int extent(int rows, int cols, int ld) {
        return (cols - 1) * ld + rows;
    }

    /**
     * Runs a call that must fail with CUBLAS_STATUS_INVALID_VALUE and returns the stand-in's reason, the
     * text jclip's CudaException shows (cublasGetStatusString, answered for this thread's last refusal).
     */
    private static String refusal(Executable call) {
        CudaException e = assertThrows(CudaException.class, call);
        assertTrue(e.getMessage().contains("CUBLAS_STATUS_INVALID_VALUE"), e.getMessage());
        return JCublas2.cublasGetStatusString(cublasStatus.CUBLAS_STATUS_INVALID_VALUE);
    }

    /** The reference for cuBLAS's column-major product, batch members at the given strides. */
    private static float[] reference(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int lda,
            int strideA, float[] b, int ldb, int strideB, float beta, float[] c, int ldc, int strideC, int batch) {
        CpuKernels cpu = CpuKernels.INSTANCE;
        try (Buffer ba = cpu.allocate(DType.F32, a.length); Buffer bb = cpu.allocate(DType.F32, b.length);
                Buffer bc = cpu.allocate(DType.F32, c.length)) {
            cpu.write(ba, 0, a, 0, a.length);
            cpu.write(bb, 0, b, 0, b.length);
            cpu.write(bc, 0, c, 0, c.length);
            // Column-major C = op(A)·op(B) is row-major Cᵀ = op(B)ᵀ·op(A)ᵀ: B first, m and n swapped.
            GemmShape s = new GemmShape(tb, ta, n, m, k, ldb, lda, ldc, strideB, strideA, strideC, batch);
            cpu.gemm(s, alpha, bb, 0, ba, 0, beta, bc, 0);
            float[] out = new float[c.length];
            cpu.read(bc, 0, out, 0, out.length);
            return out;
        }
    }

    /** A device array of device pointers, as the pointer-array batched calls take. */
    private CUdeviceptr pointerArray(CUdeviceptr[] members) {
        return upload(Pointer.to(members), members.length * (long) jcuda.Sizeof.POINTER);
    }

    /** Round to nearest even, keeping the top 16 bits. */
    private static short[] bf16(float[] a) {
        short[] out = new short[a.length];
        for (int i = 0; i < a.length; i++) {
            int bits = Float.floatToRawIntBits(a[i]);
            out[i] = (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
        }
        return out;
    }

    private static float[] widen(short[] a) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) out[i] = Float.intBitsToFloat((a[i] & 0xffff) << 16);
        return out;
    }

    /** Round to nearest even, keeping 10 mantissa bits (TF32). */
    private static float[] tf32(float[] a) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            int bits = Float.floatToRawIntBits(a[i]);
            out[i] = Float.intBitsToFloat((bits + 0xfff + ((bits >>> 13) & 1)) & ~0x1fff);
        }
        return out;
    }

    private static double maxDifference(float[] want, float[] got) {
        double worst = 0;
        for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - got[i]));
        return worst;
    }
}
