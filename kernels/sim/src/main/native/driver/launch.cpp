// cuLaunchKernel: the real driver's checks of the launch configuration, then the grid runs on the
// block scheduler (runtime/) before the call returns: every stream is synchronous here. A launch
// that fails (a fault, a deadlock, the watchdog) leaves its context unusable, as on a GPU.
#include <cstdint>
#include <cstring>
#include <string>

#include "context.h"
#include "device.h"
#include "errors.h"
#include "../runtime/grid.h"
#include "memory.h"
#include "module.h"

using namespace jclip::sim;

namespace {

std::string dims(unsigned x, unsigned y, unsigned z) {
    return std::to_string(x) + "x" + std::to_string(y) + "x" + std::to_string(z);
}

CUresult check_configuration(const CUfunc_st& function, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                             unsigned by, unsigned bz, unsigned shared_bytes) {
    const std::string& name = function.entry->name;
    const unsigned long long threads = static_cast<unsigned long long>(bx) * by * bz;
    if (bx == 0 || by == 0 || bz == 0 || bx > kMaxBlockDimX || by > kMaxBlockDimY || bz > kMaxBlockDimZ ||
        threads > kMaxThreadsPerBlock) {
        return report(CUDA_ERROR_INVALID_VALUE, "cuLaunchKernel " + name + ": block " + dims(bx, by, bz) +
                                                    " exceeds the limits (1024x1024x64, 1024 threads)");
    }
    if (gx == 0 || gy == 0 || gz == 0 || gx > kMaxGridDimX || gy > kMaxGridDimY || gz > kMaxGridDimZ) {
        return report(CUDA_ERROR_INVALID_VALUE, "cuLaunchKernel " + name + ": grid " + dims(gx, gy, gz) +
                                                    " exceeds the limits (2147483647x65535x65535)");
    }
    if (shared_bytes > static_cast<unsigned>(function.max_dynamic_shared_bytes)) {
        return report(CUDA_ERROR_INVALID_VALUE,
                      "cuLaunchKernel " + name + ": " + std::to_string(shared_bytes) +
                          " bytes of dynamic shared memory exceed the kernel's " +
                          std::to_string(function.max_dynamic_shared_bytes) + " (" +
                          std::to_string(function.entry->static_shared_bytes) +
                          " static; more needs cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES))");
    }
    if (function.entry->max_threads_per_block > 0 && threads > static_cast<unsigned long long>(function.entry->max_threads_per_block)) {
        return report(CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, "cuLaunchKernel " + name + ": block " + dims(bx, by, bz) +
                                                              " has more threads than its __launch_bounds__ (" +
                                                              std::to_string(function.entry->max_threads_per_block) + ")");
    }
    return CUDA_SUCCESS;
}

CUresult status_of(LaunchFailure::Kind kind) {
    switch (kind) {
        case LaunchFailure::Kind::kIllegalAddress: return CUDA_ERROR_ILLEGAL_ADDRESS;
        case LaunchFailure::Kind::kMisalignedAddress: return CUDA_ERROR_MISALIGNED_ADDRESS;
        case LaunchFailure::Kind::kIllegalInstruction: return CUDA_ERROR_ILLEGAL_INSTRUCTION;
        case LaunchFailure::Kind::kTimeout: return CUDA_ERROR_LAUNCH_TIMEOUT;
        default: return CUDA_ERROR_LAUNCH_FAILED;
    }
}

// The writes that stayed within an allocation's padding, which no fault shows (guarded_memory.h):
// looked for around every allocation a pointer argument points into.
std::string padding_damage_of(const CUfunc_st& function, void** params) {
    const std::vector<std::size_t>& sizes = function.entry->param_sizes;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        if (sizes[i] != sizeof(std::uintptr_t)) continue;
        std::uintptr_t value;
        std::memcpy(&value, params[i], sizeof value);
        std::string damage = padding_damage_at(value);
        if (!damage.empty()) return "parameter " + std::to_string(i) + " points into an allocation: " + damage;
    }
    return {};
}

}  // namespace

extern "C" CUresult cuLaunchKernel(CUfunction function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                                   unsigned bz, unsigned shared_bytes, CUstream, void** params, void** extra) {
    if (CUresult status = check_context()) return status;
    if (!is_live_function(function)) return CUDA_ERROR_INVALID_HANDLE;
    if (extra != nullptr) {
        return report(CUDA_ERROR_NOT_SUPPORTED, "cuLaunchKernel " + function->entry->name +
                                                    ": parameters through `extra` are not supported; pass kernelParams");
    }
    if (params == nullptr && !function->entry->param_sizes.empty()) {
        return report(CUDA_ERROR_INVALID_VALUE, "cuLaunchKernel " + function->entry->name + ": no kernelParams for its " +
                                                    std::to_string(function->entry->param_sizes.size()) + " parameters");
    }
    if (CUresult status = check_configuration(*function, gx, gy, gz, bx, by, bz, shared_bytes)) return status;
    KernelLaunch launch{function->entry->name.c_str(), function->kernel->thunk, params, {gx, gy, gz},
                        {bx, by, bz}, shared_bytes, launch_timeout_ms()};
    LaunchFailure failure;
    if (!run_grid(launch, failure)) {
        if (failure.describe_address) failure.message += ", " + describe_device_address(failure.address);
        return fail_context(status_of(failure.kind), failure.message);
    }
    const std::string damage = padding_damage_of(*function, params);
    if (!damage.empty()) {
        return fail_context(CUDA_ERROR_ILLEGAL_ADDRESS, "kernel " + function->entry->name +
                                                            " wrote outside an allocation, where no fault showed "
                                                            "which thread: " + damage);
    }
    return CUDA_SUCCESS;
}
