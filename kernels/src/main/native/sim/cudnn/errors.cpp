// Status texts and the last refusal's message (see errors.h).
#include "errors.h"

#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>

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
    char text[512];
    va_list args;
    va_start(args, format);
    vsnprintf(text, sizeof text, format, args);
    va_end(args);
    last_error = std::string(status_name(status)) + ": " + text;
    static std::mutex lock;
    static std::set<std::string> printed;
    std::lock_guard<std::mutex> guard(lock);
    if (printed.insert(last_error).second) fprintf(stderr, "jclip simulated cuDNN: %s\n", last_error.c_str());
    return status;
}

}  // namespace jclip_sim

extern "C" {

// cuDNN 9 names the status (sub-codes of a category included) as its own string. When the last call
// this thread made was refused with this status, the stand-in's reason follows the name: it is what
// reaches a Java exception (jclip.kernels.cuda.CudaException reads this string).
const char *cudnnGetErrorString(cudnnStatus_t status) {
    const char *name = status_name(status);
    if (name != nullptr && !last_error.empty() && last_error.rfind(name, 0) == 0) return last_error.c_str();
    if (name != nullptr) return name;
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
