#include "context.h"

#include <algorithm>
#include <mutex>
#include <set>
#include <vector>

#include "device.h"

struct CUctx_st {
    CUdevice device;
    unsigned flags;
};

namespace jclip::sim {

namespace {

struct Contexts {
    std::mutex mutex;
    CUctx_st primary{0, 0};
    int primary_retains = 0;
    std::set<CUcontext> created;

    bool valid(CUcontext context) { return context == &primary || created.count(context) > 0; }
};

Contexts& contexts() {
    static Contexts* instance = new Contexts;  // never destroyed: usable until the process ends
    return *instance;
}

// This OS thread's context stack; the current context is its top.
thread_local std::vector<CUcontext> stack;

CUcontext current() { return stack.empty() ? nullptr : stack.back(); }

}  // namespace

CUcontext current_context() { return current(); }

CUresult check_context() {
    if (CUresult status = check_initialized()) return status;
    return current() == nullptr ? CUDA_ERROR_INVALID_CONTEXT : CUDA_SUCCESS;
}

}  // namespace jclip::sim

using namespace jclip::sim;

extern "C" {

CUresult cuDevicePrimaryCtxRetain(CUcontext* context, CUdevice device) {
    if (context == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_device(device)) return status;
    Contexts& all = contexts();
    std::lock_guard<std::mutex> lock(all.mutex);
    ++all.primary_retains;
    *context = &all.primary;
    return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device) {
    if (CUresult status = check_device(device)) return status;
    Contexts& all = contexts();
    std::lock_guard<std::mutex> lock(all.mutex);
    if (all.primary_retains == 0) return CUDA_ERROR_INVALID_CONTEXT;
    --all.primary_retains;
    return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxSetFlags_v2(CUdevice device, unsigned flags) {
    if (CUresult status = check_device(device)) return status;
    Contexts& all = contexts();
    std::lock_guard<std::mutex> lock(all.mutex);
    all.primary.flags = flags;
    return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxGetState(CUdevice device, unsigned* flags, int* active) {
    if (flags == nullptr || active == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_device(device)) return status;
    Contexts& all = contexts();
    std::lock_guard<std::mutex> lock(all.mutex);
    *flags = all.primary.flags;
    *active = all.primary_retains > 0;
    return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxReset_v2(CUdevice device) {
    if (CUresult status = check_device(device)) return status;
    Contexts& all = contexts();
    std::lock_guard<std::mutex> lock(all.mutex);
    all.primary_retains = 0;
    all.primary.flags = 0;
    return CUDA_SUCCESS;
}

CUresult cuCtxCreate_v2(CUcontext* context, unsigned flags, CUdevice device) {
    if (context == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_device(device)) return status;
    Contexts& all = contexts();
    std::lock_guard<std::mutex> lock(all.mutex);
    *context = new CUctx_st{device, flags};
    all.created.insert(*context);
    stack.push_back(*context);
    return CUDA_SUCCESS;
}

CUresult cuCtxDestroy_v2(CUcontext context) {
    if (CUresult status = check_initialized()) return status;
    Contexts& all = contexts();
    std::lock_guard<std::mutex> lock(all.mutex);
    if (all.created.erase(context) == 0) return CUDA_ERROR_INVALID_CONTEXT;
    stack.erase(std::remove(stack.begin(), stack.end(), context), stack.end());
    delete context;
    return CUDA_SUCCESS;
}

CUresult cuCtxSetCurrent(CUcontext context) {
    if (CUresult status = check_initialized()) return status;
    if (context == nullptr) {
        if (!stack.empty()) stack.pop_back();
        return CUDA_SUCCESS;
    }
    Contexts& all = contexts();
    std::lock_guard<std::mutex> lock(all.mutex);
    if (!all.valid(context)) return CUDA_ERROR_INVALID_CONTEXT;
    if (stack.empty()) {
        stack.push_back(context);
    } else {
        stack.back() = context;
    }
    return CUDA_SUCCESS;
}

CUresult cuCtxGetCurrent(CUcontext* context) {
    if (context == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_initialized()) return status;
    *context = current();
    return CUDA_SUCCESS;
}

CUresult cuCtxPushCurrent_v2(CUcontext context) {
    if (CUresult status = check_initialized()) return status;
    Contexts& all = contexts();
    std::lock_guard<std::mutex> lock(all.mutex);
    if (!all.valid(context)) return CUDA_ERROR_INVALID_CONTEXT;
    stack.push_back(context);
    return CUDA_SUCCESS;
}

CUresult cuCtxPopCurrent_v2(CUcontext* context) {
    if (CUresult status = check_context()) return status;
    if (context != nullptr) *context = stack.back();
    stack.pop_back();
    return CUDA_SUCCESS;
}

CUresult cuCtxGetDevice(CUdevice* device) {
    if (device == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_context()) return status;
    *device = current()->device;
    return CUDA_SUCCESS;
}

// Every call of the simulated device completes before it returns.
CUresult cuCtxSynchronize(void) { return check_context(); }

// An H100's range: 0 is the lowest priority, -5 the highest.
CUresult cuCtxGetStreamPriorityRange(int* least, int* greatest) {
    if (CUresult status = check_context()) return status;
    if (least != nullptr) *least = 0;
    if (greatest != nullptr) *greatest = -5;
    return CUDA_SUCCESS;
}

}  // extern "C"
