package jclip.kernels.cuda;

import jclip.kernels.DType;
import jclip.kernels.GemmShape;
import jclip.kernels.Kernels;
import jcuda.Pointer;
import jcuda.cudaDataType;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasComputeType;
import jcuda.jcublas.cublasGemmAlgo;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasOperation;

/**
 * cuBLAS through JCublas2 on one device's stream, for jclip's row-major matrices. A row-major
 * matrix is the column-major transpose, so C = op(A)·op(B) is computed as Cᵀ = op(B)ᵀ·op(A)ᵀ: the
 * operands swap places and the leading dimensions stay as they are.
 */
final class Cublas {
    private final CudaDevice device;
    private final cublasHandle handle = new cublasHandle();
    private final float[] alpha = new float[1], beta = new float[1];
    private final Pointer alphaPointer = Pointer.to(alpha), betaPointer = Pointer.to(beta);

    Cublas(CudaDevice device) {
        this.device = device;
        device.makeCurrent();
        CudaException.checkCublas(JCublas2.cublasCreate(handle), "cublasCreate");
    }

    /**
     * Row-major batched C = alpha·op(A)·op(B) + beta·C, as {@link jclip.kernels.Kernels#gemm}: float32
     * throughout, or BF16 A and B (CUDA_R_16BF) with float accumulation and a float32 C.
     */
    synchronized void gemm(GemmShape s, float alpha, CudaBuffer a, int aOffset, CudaBuffer b, int bOffset,
            float beta, CudaBuffer c, int cOffset) {
        DType inputs = Kernels.gemmInputType(a, b, c);
        // Empty products return before cuBLAS: a no-op, as on the CPU, whatever cuBLAS makes of zero sizes.
        if (s.isEmpty()) return;
        device.makeCurrent();
        this.alpha[0] = alpha;
        this.beta[0] = beta;
        int m = s.m(), n = s.n(), k = s.k(), lda = s.lda(), ldb = s.ldb(), ldc = s.ldc(), batch = s.batch();
        int opA = s.transA() ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        int opB = s.transB() ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        String shape = (batch == 1 ? "" : batch + " x ") + m + "x" + n + "x" + k;
        if (inputs == DType.BF16) {
            // The _new entry points pass a cublasComputeType_t through. JCublas2.cublasGemmEx (without
            // _new) takes the legacy cudaDataType there and, in jcublas 12.6.0, answers
            // CUBLAS_COMPUTE_32F (68) with CUBLAS_STATUS_NOT_SUPPORTED without calling cuBLAS at all.
            // The default algorithm uses tensor cores for bf16 (the *_TENSOR_OP algorithms are
            // deprecated aliases of it since CUDA 11).
            if (batch == 1) {
                CudaException.checkCublas(JCublas2.cublasGemmEx_new(handle, opB, opA, n, m, k, alphaPointer,
                        b.at(bOffset), cudaDataType.CUDA_R_16BF, ldb, a.at(aOffset), cudaDataType.CUDA_R_16BF, lda,
                        betaPointer, c.at(cOffset), cudaDataType.CUDA_R_32F, ldc,
                        cublasComputeType.CUBLAS_COMPUTE_32F, cublasGemmAlgo.CUBLAS_GEMM_DEFAULT),
                        "cublasGemmEx(bf16, " + shape + ")");
            } else {
                CudaException.checkCublas(JCublas2.cublasGemmStridedBatchedEx_new(handle, opB, opA, n, m, k, alphaPointer,
                        b.at(bOffset), cudaDataType.CUDA_R_16BF, ldb, s.strideB(), a.at(aOffset), cudaDataType.CUDA_R_16BF, lda,
                        s.strideA(), betaPointer, c.at(cOffset), cudaDataType.CUDA_R_32F, ldc, s.strideC(), batch,
                        cublasComputeType.CUBLAS_COMPUTE_32F, cublasGemmAlgo.CUBLAS_GEMM_DEFAULT),
                        "cublasGemmStridedBatchedEx(bf16, " + shape + ")");
            }
        } else if (batch == 1) {
            CudaException.checkCublas(JCublas2.cublasSgemm(handle, opB, opA, n, m, k, alphaPointer,
                    b.at(bOffset), ldb, a.at(aOffset), lda, betaPointer, c.at(cOffset), ldc),
                    "cublasSgemm(" + shape + ")");
        } else {
            CudaException.checkCublas(JCublas2.cublasSgemmStridedBatched(handle, opB, opA, n, m, k, alphaPointer,
                    b.at(bOffset), ldb, s.strideB(), a.at(aOffset), lda, s.strideA(), betaPointer, c.at(cOffset), ldc,
                    s.strideC(), batch),
                    "cublasSgemmStridedBatched(" + shape + ")");
        }
    }
}
