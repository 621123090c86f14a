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
        return new CudaException(call + " failed: " + CUresult.stringFor(status) + " (" + status + ")"
                + describe(description[0]), status);
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
