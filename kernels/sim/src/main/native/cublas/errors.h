// How the cuBLAS stand-in reports a refused call: the status the real library would return, plus a
// message naming the argument, kept for cublasGetStatusString() and printed to stderr the
// first time it occurs (a status code alone rarely says which argument was wrong).
#pragma once

#include "cublas_types.h"

extern "C" const char *cublasGetStatusName(cublasStatus_t status);

namespace jclip_sim {

__attribute__((format(printf, 2, 3))) cublasStatus_t cublas_fail(cublasStatus_t status, const char *format, ...);

}  // namespace jclip_sim
