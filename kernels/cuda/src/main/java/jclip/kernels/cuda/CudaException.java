package jclip.kernels.cuda;

import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasStatus;
import jcuda.jcudnn.JCudnn;

/**
 * A CUDA driver, cuBLAS or cuDNN call that did not succeed. The message names the call (with the
 * kernel, where there is one), the status name and code, and the library's own description of it;
 * the simulated GPU's libraries put their explanation of the failure into that description.
 */
public final class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    CudaException(String message, int status) {
        super(message);
        this.status = status;
    }

    /** The library's status code (CUresult, cublasStatus_t or cudnnStatus_t). */
    public int status() {
        return status;
    }

    static void checkDriver(int status, String call) {
        if (status != CUresult.CUDA_SUCCESS) throw driver(status, call);
    }

    static CudaException driver(int status, String call) {
        String[] description = new String[1];
        JCudaDriver.cuGetErrorString(status, description);
        CudaException failure = new CudaException(call + " failed: " + CUresult.stringFor(status) + " (" + status + ")"
                + describe(description[0]), status);
        if (leavesContextUnusable(status)) CudaDevice.contextLost(failure);
        return failure;
    }

    /** The statuses after which a CUDA context fails every call until it is destroyed (a GPU's "sticky" errors). */
    static boolean leavesContextUnusable(int status) {
        switch (status) {
            case CUresult.CUDA_ERROR_ILLEGAL_ADDRESS:
            case CUresult.CUDA_ERROR_LAUNCH_TIMEOUT:
            case CUresult.CUDA_ERROR_ASSERT:
            case CUresult.CUDA_ERROR_HARDWARE_STACK_ERROR:
            case CUresult.CUDA_ERROR_ILLEGAL_INSTRUCTION:
            case CUresult.CUDA_ERROR_MISALIGNED_ADDRESS:
            case CUresult.CUDA_ERROR_INVALID_ADDRESS_SPACE:
            case CUresult.CUDA_ERROR_INVALID_PC:
            case CUresult.CUDA_ERROR_LAUNCH_FAILED:
                return true;
            default:
                return false;
        }
    }

    static void checkCublas(int status, String call) {
        if (status != cublasStatus.CUBLAS_STATUS_SUCCESS)
            throw new CudaException(call + " failed: " + cublasStatus.stringFor(status) + " (" + status + ")"
                    + describe(JCublas2.cublasGetStatusString(status)), status);
    }

    static void checkCudnn(int status, String call) {
        // JCudnn's status names are cuDNN 8's and cuDNN 9 renumbered them: the library's own string is right.
        if (status != 0)
            throw new CudaException(call + " failed: cuDNN status " + status + describe(JCudnn.cudnnGetErrorString(status)), status);
    }

    private static String describe(String description) {
        return description == null || description.isEmpty() ? "" : ": " + description;
    }
}
