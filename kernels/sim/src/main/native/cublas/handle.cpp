// The cuBLAS handle and its settings. The stand-in reports version 12.6.0 (120600): it answers to
// libcublas.so.12 for JCublas 12.6.0, which was built against CUDA 12.6's headers.
#include <new>

#include "cublas_types.h"
#include "errors.h"

using jclip_sim::cublas_fail;

namespace {

constexpr int VERSION_MAJOR = 12, VERSION_MINOR = 6, VERSION_PATCH = 0;

}  // namespace

extern "C" {

cublasStatus_t cublasCreate_v2(cublasHandle_t *handle) {
    if (handle == nullptr) return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "cublasCreate: handle is NULL");
    *handle = new (std::nothrow) cublasContext();
    return *handle ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_ALLOC_FAILED;
}

cublasStatus_t cublasDestroy_v2(cublasHandle_t handle) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    delete handle;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetVersion_v2(cublasHandle_t handle, int *version) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (version == nullptr) return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "cublasGetVersion: version is NULL");
    *version = VERSION_MAJOR * 10000 + VERSION_MINOR * 100 + VERSION_PATCH;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetProperty(libraryPropertyType type, int *value) {
    if (value == nullptr) return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "cublasGetProperty: value is NULL");
    switch (type) {
    case MAJOR_VERSION: *value = VERSION_MAJOR; return CUBLAS_STATUS_SUCCESS;
    case MINOR_VERSION: *value = VERSION_MINOR; return CUBLAS_STATUS_SUCCESS;
    case PATCH_LEVEL: *value = VERSION_PATCH; return CUBLAS_STATUS_SUCCESS;
    }
    return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "cublasGetProperty: unknown property type %d", type);
}

// The CUDA runtime version the library was built against, as cudaRuntimeGetVersion encodes it.
size_t cublasGetCudartVersion(void) { return VERSION_MAJOR * 1000 + VERSION_MINOR * 10; }

cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t stream) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    handle->stream = stream;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetStream_v2(cublasHandle_t handle, cudaStream_t *stream) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (stream == nullptr) return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "cublasGetStream: stream is NULL");
    *stream = handle->stream;
    return CUBLAS_STATUS_SUCCESS;
}

// Device memory is host memory in the simulator, so both modes read alpha and beta the same way;
// the mode decides only whether they are checked to lie in device memory (gemm.cpp).
cublasStatus_t cublasSetPointerMode_v2(cublasHandle_t handle, cublasPointerMode_t mode) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (mode != CUBLAS_POINTER_MODE_HOST && mode != CUBLAS_POINTER_MODE_DEVICE)
        return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "cublasSetPointerMode: mode %d is neither HOST (0) nor DEVICE (1)", mode);
    handle->pointer_mode = mode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetPointerMode_v2(cublasHandle_t handle, cublasPointerMode_t *mode) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (mode == nullptr) return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "cublasGetPointerMode: mode is NULL");
    *mode = handle->pointer_mode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    int base = mode & ~CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION;
    if (base < CUBLAS_DEFAULT_MATH || base > CUBLAS_TF32_TENSOR_OP_MATH)
        return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "cublasSetMathMode: unknown math mode %d", mode);
    handle->math_mode = mode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetMathMode(cublasHandle_t handle, cublasMath_t *mode) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (mode == nullptr) return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "cublasGetMathMode: mode is NULL");
    *mode = handle->math_mode;
    return CUBLAS_STATUS_SUCCESS;
}

// Results never depend on the atomics mode here: every reduction runs in a fixed order.
cublasStatus_t cublasSetAtomicsMode(cublasHandle_t handle, cublasAtomicsMode_t mode) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (mode != CUBLAS_ATOMICS_NOT_ALLOWED && mode != CUBLAS_ATOMICS_ALLOWED)
        return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "cublasSetAtomicsMode: unknown mode %d", mode);
    handle->atomics_mode = mode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetAtomicsMode(cublasHandle_t handle, cublasAtomicsMode_t *mode) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (mode == nullptr) return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "cublasGetAtomicsMode: mode is NULL");
    *mode = handle->atomics_mode;
    return CUBLAS_STATUS_SUCCESS;
}

// The stand-in allocates its own scratch memory; a user workspace is accepted and left unused.
cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t handle, void *workspace, size_t bytes) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (workspace == nullptr && bytes != 0)
        return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "cublasSetWorkspace: workspace is NULL but its size is %zu", bytes);
    handle->workspace = workspace;
    handle->workspace_bytes = bytes;
    return CUBLAS_STATUS_SUCCESS;
}

// Kept only to be reported back: the stand-in always uses every CPU it may.
cublasStatus_t cublasSetSmCountTarget(cublasHandle_t handle, int count) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (count < 0) return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "cublasSetSmCountTarget: count %d < 0", count);
    handle->sm_count_target = count;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetSmCountTarget(cublasHandle_t handle, int *count) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (count == nullptr) return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "cublasGetSmCountTarget: count is NULL");
    *count = handle->sm_count_target;
    return CUBLAS_STATUS_SUCCESS;
}

}  // extern "C"
