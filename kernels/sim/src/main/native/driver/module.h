// Modules and functions: a loaded PTX module pairs each of its kernels with the CPU-compiled kernel
// registered under the same name (runtime/registry.h).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "cuda_types.h"
#include "ptx.h"
#include "../runtime/registry.h"

struct CUfunc_st {
    CUmodule module;
    const jclip::sim::PtxEntry* entry;
    const jclip::sim::RegisteredKernel* kernel;
    int max_dynamic_shared_bytes;  // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
};

struct CUmod_st {
    CUcontext context;  // the one it was loaded in, which unloads it when it ends
    jclip::sim::PtxModule ptx;
    std::map<std::string, std::unique_ptr<CUfunc_st>> functions;  // handed out so far, by name
};

namespace jclip::sim {

// Whether `function` belongs to a loaded module (it is dangling once its module is unloaded).
bool is_live_function(CUfunction function);

// The context ends or is reset: its modules are unloaded and their functions become invalid.
void unload_context_modules(CUcontext context);

}  // namespace jclip::sim
