// Contexts: the device's primary context and created ones, and each OS thread's stack of current
// contexts. The simulated device has one address space, so a context decides whether a call may
// run: like the real driver, memory, module and launch calls need a current context, and after a
// launch fails (an illegal address, a deadlock, a timeout) every call in that context returns the
// same error, sticky, until the context is destroyed (cuCtxDestroy) or, for the primary one, reset
// (cuDevicePrimaryCtxReset, or its last cuDevicePrimaryCtxRelease); its memory and modules go with it.
#pragma once

#include <string>

#include "cuda_types.h"

namespace jclip::sim {

// CUDA_ERROR_NOT_INITIALIZED before cuInit, CUDA_ERROR_INVALID_CONTEXT without a current context.
CUresult check_context();

// This OS thread's current context, or null.
CUcontext current_context();

// Makes the current context unusable with `code`, as a failed launch does on a GPU; returns
// report(code, message).
CUresult fail_context(CUresult code, const std::string& message);

// The current context's watchdog limit for a launch, in milliseconds (0: none). The simulator's
// own limit JCLIP_SIM_LIMIT_LAUNCH_TIMEOUT_MS of cuCtxSetLimit sets it; the default comes from
// JCLIP_SIM_LAUNCH_TIMEOUT (seconds), else 10 s.
unsigned launch_timeout_ms();
constexpr int JCLIP_SIM_LIMIT_LAUNCH_TIMEOUT_MS = 0x6A510001;

}  // namespace jclip::sim
