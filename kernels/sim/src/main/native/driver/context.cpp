#include "context.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <vector>

#include "device.h"
#include "errors.h"
#include "memory.h"
#include "module.h"
#include "../runtime/watchdog.h"

struct CUctx_st {
    CUdevice device;
    unsigned flags;
    // CUDA_SUCCESS while usable; written once by a failed launch, read by every call.
    std::atomic<int> sticky{CUDA_SUCCESS};
    std::string sticky_message;  // written before `sticky`
    std::atomic<unsigned> timeout_ms{jclip::sim::default_launch_timeout_ms()};

    CUctx_st(CUdevice device, unsigned flags) : device(device), flags(flags) {}
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
    CUcontext context = current();
    if (context == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
    const auto sticky = static_cast<CUresult>(context->sticky.load(std::memory_order_acquire));
    if (sticky == CUDA_SUCCESS) return CUDA_SUCCESS;
    return report(sticky, "the context is unusable since a launch failed (" + context->sticky_message +
                              "); destroy it (cuCtxDestroy, or cuDevicePrimaryCtxReset for the primary context) "
                              "and create another");
}

CUresult fail_context(CUresult code, const std::string& message) {
    CUcontext context = current();
    if (context != nullptr && context->sticky.load(std::memory_order_acquire) == CUDA_SUCCESS) {
        std::lock_guard<std::mutex> lock(contexts().mutex);
        context->sticky_message = message;
        context->sticky.store(code, std::memory_order_release);
    }
    return report(code, message);
}

unsigned launch_timeout_ms() {
    CUcontext context = current();
    return context == nullptr ? default_launch_timeout_ms() : context->timeout_ms.load(std::memory_order_relaxed);
}

namespace {

// A context ends or starts over: what it held goes, and it is usable again. Not under the
// contexts' mutex (memory and modules have their own).
void clear(CUcontext context) {
    free_context_memory(context);
    unload_context_modules(context);
    context->sticky_message.clear();
    context->sticky.store(CUDA_SUCCESS, std::memory_order_release);
    context->timeout_ms.store(default_launch_timeout_ms(), std::memory_order_relaxed);
}

}  // namespace

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
    {
        std::lock_guard<std::mutex> lock(all.mutex);
        if (all.primary_retains == 0) return CUDA_ERROR_INVALID_CONTEXT;
        if (--all.primary_retains > 0) return CUDA_SUCCESS;
    }
    clear(&all.primary);  // the last release destroys the primary context
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
    {
        std::lock_guard<std::mutex> lock(all.mutex);
        all.primary_retains = 0;
        all.primary.flags = 0;
    }
    clear(&all.primary);
    return CUDA_SUCCESS;
}

CUresult cuCtxCreate_v2(CUcontext* context, unsigned flags, CUdevice device) {
    if (context == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_device(device)) return status;
    Contexts& all = contexts();
    std::lock_guard<std::mutex> lock(all.mutex);
    *context = new CUctx_st(device, flags);
    all.created.insert(*context);
    stack.push_back(*context);
    return CUDA_SUCCESS;
}

CUresult cuCtxDestroy_v2(CUcontext context) {
    if (CUresult status = check_initialized()) return status;
    Contexts& all = contexts();
    {
        std::lock_guard<std::mutex> lock(all.mutex);
        if (all.created.erase(context) == 0) return CUDA_ERROR_INVALID_CONTEXT;
        stack.erase(std::remove(stack.begin(), stack.end(), context), stack.end());
    }
    clear(context);
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
    if (CUresult status = check_initialized()) return status;
    if (stack.empty()) return CUDA_ERROR_INVALID_CONTEXT;
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

// The simulator's own limit (context.h): the watchdog's time for a launch in this context.
CUresult cuCtxSetLimit(int limit, std::size_t value) {
    if (CUresult status = check_context()) return status;
    if (limit != JCLIP_SIM_LIMIT_LAUNCH_TIMEOUT_MS) return report(CUDA_ERROR_NOT_SUPPORTED, "cuCtxSetLimit: limit " + std::to_string(limit));
    current()->timeout_ms.store(static_cast<unsigned>(std::min<std::size_t>(value, 4000000000u)), std::memory_order_relaxed);
    return CUDA_SUCCESS;
}

CUresult cuCtxGetLimit(std::size_t* value, int limit) {
    if (value == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_context()) return status;
    if (limit != JCLIP_SIM_LIMIT_LAUNCH_TIMEOUT_MS) return report(CUDA_ERROR_NOT_SUPPORTED, "cuCtxGetLimit: limit " + std::to_string(limit));
    *value = current()->timeout_ms.load(std::memory_order_relaxed);
    return CUDA_SUCCESS;
}

// An H100's range: 0 is the lowest priority, -5 the highest.
CUresult cuCtxGetStreamPriorityRange(int* least, int* greatest) {
    if (CUresult status = check_context()) return status;
    if (least != nullptr) *least = 0;
    if (greatest != nullptr) *greatest = -5;
    return CUDA_SUCCESS;
}

}  // extern "C"
