// Status texts and the last refusal's message (see errors.h).
#include "errors.h"

#include "../common/refusal.h"

namespace {

thread_local std::string last_error;

const char *status_name(cudnnStatus_t status) {
    switch (status) {
    case CUDNN_STATUS_SUCCESS: return "CUDNN_STATUS_SUCCESS";
    case CUDNN_STATUS_NOT_INITIALIZED: return "CUDNN_STATUS_NOT_INITIALIZED";
    case CUDNN_STATUS_BAD_PARAM: return "CUDNN_STATUS_BAD_PARAM";
    case CUDNN_STATUS_BAD_PARAM_NULL_POINTER: return "CUDNN_STATUS_BAD_PARAM_NULL_POINTER";
    case CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH: return "CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH";
    case CUDNN_STATUS_NOT_SUPPORTED: return "CUDNN_STATUS_NOT_SUPPORTED";
    case CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE: return "CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE";
    case CUDNN_STATUS_NOT_SUPPORTED_LAYOUT: return "CUDNN_STATUS_NOT_SUPPORTED_LAYOUT";
    case CUDNN_STATUS_INTERNAL_ERROR: return "CUDNN_STATUS_INTERNAL_ERROR";
    case CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED: return "CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED";
    case CUDNN_STATUS_EXECUTION_FAILED: return "CUDNN_STATUS_EXECUTION_FAILED";
    }
    return nullptr;
}

}  // namespace

namespace jclip_sim {

cudnnStatus_t cudnn_fail(cudnnStatus_t status, const char *format, ...) {
    va_list args;
    va_start(args, format);
    record_refusal(last_error, "cuDNN", status_name(status), format, args);
    va_end(args);
    return status;
}

}  // namespace jclip_sim

extern "C" {

// cuDNN 9 names the status (sub-codes of a category included) as its own string. When the last call
// this thread made was refused with this status, the stand-in's reason follows the name: it is what
// reaches a Java exception (jclip.kernels.cuda.CudaException reads this string).
const char *cudnnGetErrorString(cudnnStatus_t status) {
    const char *name = status_name(status);
    if (name != nullptr) {
        const char *refusal = jclip_sim::refusal_with(last_error, name);
        return refusal != nullptr ? refusal : name;
    }
    // Codes of a category the stand-in never returns itself are named by their category (thousands).
    switch (status / 1000) {
    case 1: return "CUDNN_STATUS_NOT_INITIALIZED";
    case 2: return "CUDNN_STATUS_BAD_PARAM";
    case 3: return "CUDNN_STATUS_NOT_SUPPORTED";
    case 4: return "CUDNN_STATUS_INTERNAL_ERROR";
    case 5: return "CUDNN_STATUS_EXECUTION_FAILED";
    }
    return "CUDNN_UNKNOWN_STATUS";
}

}  // extern "C"
