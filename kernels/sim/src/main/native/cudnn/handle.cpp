// The cuDNN handle and the library's version queries. The stand-in reports cuDNN 9.14.0 (91400),
// the version the project's GPU host has, and CUDA runtime 12.6 (what JCudnn 12.6.0 was built for).
#include <new>

#include "cudnn_types.h"
#include "errors.h"

using jclip_sim::cudnn_fail;

namespace {

constexpr int VERSION_MAJOR = 9, VERSION_MINOR = 14, VERSION_PATCH = 0;

}  // namespace

extern "C" {

cudnnStatus_t cudnnCreate(cudnnHandle_t *handle) {
    if (handle == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnCreate: handle is NULL");
    *handle = new (std::nothrow) cudnnContext();
    return *handle ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED;
}

cudnnStatus_t cudnnDestroy(cudnnHandle_t handle) {
    if (handle == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnDestroy: handle is NULL");
    delete handle;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetStream(cudnnHandle_t handle, cudaStream_t stream) {
    if (handle == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetStream: handle is NULL");
    handle->stream = stream;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetStream(cudnnHandle_t handle, cudaStream_t *stream) {
    if (handle == nullptr || stream == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetStream: handle or stream is NULL");
    *stream = handle->stream;
    return CUDNN_STATUS_SUCCESS;
}

size_t cudnnGetVersion(void) { return VERSION_MAJOR * 10000 + VERSION_MINOR * 100 + VERSION_PATCH; }

size_t cudnnGetCudartVersion(void) { return 12060; }

// Compute capability 9.0, the newest the project's GPU host has.
size_t cudnnGetMaxDeviceVersion(void) { return 900; }

cudnnStatus_t cudnnGetProperty(libraryPropertyType type, int *value) {
    if (value == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetProperty: value is NULL");
    switch (type) {
    case MAJOR_VERSION: *value = VERSION_MAJOR; return CUDNN_STATUS_SUCCESS;
    case MINOR_VERSION: *value = VERSION_MINOR; return CUDNN_STATUS_SUCCESS;
    case PATCH_LEVEL: *value = VERSION_PATCH; return CUDNN_STATUS_SUCCESS;
    }
    return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetProperty: unknown property type %d", type);
}

// cuDNN 9 is split into sub-libraries whose versions these check against each other; the
// stand-in is one library, always consistent with itself.
cudnnStatus_t cudnnGraphVersionCheck(void) { return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnOpsVersionCheck(void) { return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnCnnVersionCheck(void) { return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnAdvVersionCheck(void) { return CUDNN_STATUS_SUCCESS; }

}  // extern "C"
