// Contexts: the device's primary context and created ones, and each OS thread's stack of current
// contexts. The simulated device has one address space, so a context only decides whether a call
// may run: like the real driver, memory, module and launch calls need a current context.
#pragma once

#include "cuda_types.h"

namespace jclip::sim {

// CUDA_ERROR_NOT_INITIALIZED before cuInit, CUDA_ERROR_INVALID_CONTEXT without a current context.
CUresult check_context();

// This OS thread's current context, or null.
CUcontext current_context();

}  // namespace jclip::sim
