package jclip.kernels.cuda;

import jcuda.Pointer;
import jcuda.jcublas.JCublas2;
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

    /** Row-major batched C = alpha·op(A)·op(B) + beta·C in float32, as {@link jclip.kernels.Kernels#gemm}. */
    synchronized void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
            CudaBuffer a, int aOffset, int lda, int strideA, CudaBuffer b, int bOffset, int ldb, int strideB,
            float beta, CudaBuffer c, int cOffset, int ldc, int strideC, int batch) {
        device.makeCurrent();
        this.alpha[0] = alpha;
        this.beta[0] = beta;
        int opA = transA ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        int opB = transB ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        if (batch == 1) {
            CudaException.checkCublas(JCublas2.cublasSgemm(handle, opB, opA, n, m, k, alphaPointer,
                    b.at(bOffset), ldb, a.at(aOffset), lda, betaPointer, c.at(cOffset), ldc),
                    "cublasSgemm(" + m + "x" + n + "x" + k + ")");
        } else {
            CudaException.checkCublas(JCublas2.cublasSgemmStridedBatched(handle, opB, opA, n, m, k, alphaPointer,
                    b.at(bOffset), ldb, strideB, a.at(aOffset), lda, strideA, betaPointer, c.at(cOffset), ldc, strideC, batch),
                    "cublasSgemmStridedBatched(" + batch + " x " + m + "x" + n + "x" + k + ")");
        }
    }
}
