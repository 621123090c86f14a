#include "errors.h"

#include <cstdio>
#include <mutex>

namespace jclip::sim {

namespace {

struct LastError {
    std::mutex mutex;
    CUresult code = CUDA_SUCCESS;
    std::string message;
};

LastError& last_error() {
    static LastError* instance = new LastError;  // never destroyed: usable until the process ends
    return *instance;
}

struct Status {
    CUresult code;
    const char* name;
    const char* description;  // the real driver's wording
};

constexpr Status kStatuses[] = {
    {CUDA_SUCCESS, "CUDA_SUCCESS", "no error"},
    {CUDA_ERROR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {CUDA_ERROR_OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {CUDA_ERROR_NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {CUDA_ERROR_INVALID_DEVICE, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {CUDA_ERROR_INVALID_IMAGE, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
    {CUDA_ERROR_INVALID_CONTEXT, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {CUDA_ERROR_INVALID_HANDLE, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {CUDA_ERROR_NOT_FOUND, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {CUDA_ERROR_NOT_READY, "CUDA_ERROR_NOT_READY", "device not ready"},
    {CUDA_ERROR_ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
    {CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch"},
    {CUDA_ERROR_LAUNCH_TIMEOUT, "CUDA_ERROR_LAUNCH_TIMEOUT", "the launch timed out and was terminated"},
    {CUDA_ERROR_ILLEGAL_INSTRUCTION, "CUDA_ERROR_ILLEGAL_INSTRUCTION", "an illegal instruction was encountered"},
    {CUDA_ERROR_MISALIGNED_ADDRESS, "CUDA_ERROR_MISALIGNED_ADDRESS", "misaligned address"},
    {CUDA_ERROR_LAUNCH_FAILED, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
    {CUDA_ERROR_NOT_SUPPORTED, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
};

const Status* find_status(int code) {
    for (const Status& status : kStatuses) {
        if (status.code == code) return &status;
    }
    return nullptr;
}

}  // namespace

CUresult report(CUresult code, const std::string& message) {
    std::fprintf(stderr, "jclip sim: %s: %s\n", find_status(code)->name, message.c_str());
    LastError& last = last_error();
    std::lock_guard<std::mutex> lock(last.mutex);
    last.code = code;
    last.message = message;
    return code;
}

}  // namespace jclip::sim

using namespace jclip::sim;

extern "C" {

CUresult cuGetErrorName(CUresult error, const char** name) {
    const Status* status = find_status(error);
    if (name == nullptr || status == nullptr) return CUDA_ERROR_INVALID_VALUE;
    *name = status->name;
    return CUDA_SUCCESS;
}

// The real description, followed by the simulator's explanation when the last error it reported
// had this code: JCuda's exceptions carry only the code's name, and this is how Java gets the rest.
CUresult cuGetErrorString(CUresult error, const char** text) {
    const Status* status = find_status(error);
    if (text == nullptr || status == nullptr) return CUDA_ERROR_INVALID_VALUE;
    thread_local std::string described;
    LastError& last = last_error();
    std::lock_guard<std::mutex> lock(last.mutex);
    described = status->description;
    if (error != CUDA_SUCCESS && last.code == error) described += " (jclip simulated GPU: " + last.message + ")";
    *text = described.c_str();
    return CUDA_SUCCESS;
}

}  // extern "C"
