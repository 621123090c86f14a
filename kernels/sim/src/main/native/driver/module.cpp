// cuModuleLoadData and friends. Loading checks the PTX; cuModuleGetFunction checks that the
// simulator has the kernel, compiled for the CPU, with the parameters the PTX declares: a kernel
// whose CPU build is missing or stale would otherwise run with misread arguments.
#include "module.h"

#include <mutex>
#include <set>
#include <vector>

#include "context.h"
#include "device.h"
#include "errors.h"

namespace jclip::sim {

namespace {

struct Modules {
    std::mutex mutex;
    std::set<CUmodule> loaded;
    std::set<CUfunction> functions;
};

Modules& modules() {
    static Modules* instance = new Modules;  // never destroyed: usable until the process ends
    return *instance;
}

std::string sizes_text(const std::vector<std::size_t>& sizes) {
    std::string text = "(";
    for (std::size_t i = 0; i < sizes.size(); ++i) text += (i ? ", " : "") + std::to_string(sizes[i]);
    return text + ")";
}

// Under the mutex.
void unload(Modules& all, CUmodule module) {
    all.loaded.erase(module);
    for (auto& [name, function] : module->functions) all.functions.erase(function.get());
    delete module;
}

}  // namespace

void unload_context_modules(CUcontext context) {
    Modules& all = modules();
    std::lock_guard<std::mutex> lock(all.mutex);
    std::vector<CUmodule> theirs;
    for (CUmodule module : all.loaded) {
        if (module->context == context) theirs.push_back(module);
    }
    for (CUmodule module : theirs) unload(all, module);
}

bool is_live_function(CUfunction function) {
    Modules& all = modules();
    std::lock_guard<std::mutex> lock(all.mutex);
    return all.functions.count(function) > 0;
}

}  // namespace jclip::sim

using namespace jclip::sim;

extern "C" {

CUresult cuModuleLoadData(CUmodule* module, const void* image) {
    if (module == nullptr || image == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_context()) return status;
    auto loaded = std::make_unique<CUmod_st>();
    loaded->context = current_context();
    std::string error;
    if (!parse_ptx(static_cast<const char*>(image), loaded->ptx, error)) {
        return report(CUDA_ERROR_INVALID_IMAGE, "cuModuleLoadData: " + error);
    }
    Modules& all = modules();
    std::lock_guard<std::mutex> lock(all.mutex);
    *module = loaded.release();
    all.loaded.insert(*module);
    return CUDA_SUCCESS;
}

// JIT options only tune the real driver's PTX compiler.
CUresult cuModuleLoadDataEx(CUmodule* module, const void* image, unsigned, void*, void**) {
    return cuModuleLoadData(module, image);
}

CUresult cuModuleUnload(CUmodule module) {
    if (CUresult status = check_context()) return status;
    Modules& all = modules();
    std::lock_guard<std::mutex> lock(all.mutex);
    if (all.loaded.count(module) == 0) return CUDA_ERROR_INVALID_HANDLE;
    unload(all, module);
    return CUDA_SUCCESS;
}

CUresult cuModuleGetFunction(CUfunction* function, CUmodule module, const char* name) {
    if (function == nullptr || name == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_context()) return status;
    Modules& all = modules();
    std::lock_guard<std::mutex> lock(all.mutex);
    if (all.loaded.count(module) == 0) return CUDA_ERROR_INVALID_HANDLE;
    auto known = module->functions.find(name);
    if (known != module->functions.end()) {
        *function = known->second.get();
        return CUDA_SUCCESS;
    }
    const PtxEntry* entry = nullptr;
    for (const PtxEntry& e : module->ptx.entries) {
        if (e.name == name) entry = &e;
    }
    if (entry == nullptr) return report(CUDA_ERROR_NOT_FOUND, std::string("cuModuleGetFunction: the module has no kernel ") + name);
    const RegisteredKernel* kernel = find_kernel(name);
    if (kernel == nullptr) {
        return report(CUDA_ERROR_NOT_FOUND, std::string("cuModuleGetFunction: kernel ") + name +
                                                " is in the PTX but not in the simulator's build: no loaded kernels "
                                                "library registered it (is its .cu file compiled for the CPU and "
                                                "its library loaded?)");
    }
    if (kernel->param_sizes != entry->param_sizes) {
        return report(CUDA_ERROR_INVALID_IMAGE, std::string("cuModuleGetFunction: kernel ") + name +
                                                    " takes parameters of " + sizes_text(entry->param_sizes) +
                                                    " bytes in the PTX but " + sizes_text(kernel->param_sizes) +
                                                    " in the simulator's build: the two were built from different sources");
    }
    auto made = std::make_unique<CUfunc_st>(CUfunc_st{
        module, entry, kernel, kSharedBytesPerBlock - static_cast<int>(entry->static_shared_bytes)});
    *function = made.get();
    all.functions.insert(made.get());
    module->functions.emplace(name, std::move(made));
    return CUDA_SUCCESS;
}

CUresult cuFuncGetModule(CUmodule* module, CUfunction function) {
    if (module == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (!is_live_function(function)) return CUDA_ERROR_INVALID_HANDLE;
    *module = function->module;
    return CUDA_SUCCESS;
}

CUresult cuFuncGetAttribute(int* value, int attribute, CUfunction function) {
    if (value == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (!is_live_function(function)) return CUDA_ERROR_INVALID_HANDLE;
    const PtxEntry& entry = *function->entry;
    switch (attribute) {
        case CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK:
            *value = entry.max_threads_per_block > 0 ? entry.max_threads_per_block : kMaxThreadsPerBlock;
            break;
        case CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES: *value = static_cast<int>(entry.static_shared_bytes); break;
        case CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES:
        case CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES:
        case CU_FUNC_ATTRIBUTE_CACHE_MODE_CA: *value = 0; break;
        case CU_FUNC_ATTRIBUTE_NUM_REGS: *value = 32; break;  // unknown without ptxas: a typical count
        case CU_FUNC_ATTRIBUTE_PTX_VERSION: *value = function->module->ptx.version; break;
        case CU_FUNC_ATTRIBUTE_BINARY_VERSION: *value = 90; break;
        case CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES: *value = function->max_dynamic_shared_bytes; break;
        case CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT: *value = -1; break;  // no preference
        default: return report(CUDA_ERROR_NOT_SUPPORTED, "cuFuncGetAttribute: attribute " + std::to_string(attribute));
    }
    return CUDA_SUCCESS;
}

CUresult cuFuncSetAttribute(CUfunction function, int attribute, int value) {
    if (!is_live_function(function)) return CUDA_ERROR_INVALID_HANDLE;
    switch (attribute) {
        case CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES: {
            const int limit = kSharedBytesPerBlockOptIn - static_cast<int>(function->entry->static_shared_bytes);
            if (value < 0 || value > limit) {
                return report(CUDA_ERROR_INVALID_VALUE, "cuFuncSetAttribute: " + std::to_string(value) +
                                                            " bytes of dynamic shared memory exceed the " +
                                                            std::to_string(limit) + " that kernel " +
                                                            function->entry->name + " can opt in to");
            }
            function->max_dynamic_shared_bytes = value;
            return CUDA_SUCCESS;
        }
        case CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT:
            return value >= -1 && value <= 100 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
        default: return report(CUDA_ERROR_NOT_SUPPORTED, "cuFuncSetAttribute: attribute " + std::to_string(attribute));
    }
}

// The L1/shared split is a hint: nothing to simulate.
CUresult cuFuncSetCacheConfig(CUfunction function, int) {
    return is_live_function(function) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

}  // extern "C"
