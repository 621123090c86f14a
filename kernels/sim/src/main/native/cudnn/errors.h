// How the cuDNN stand-in reports a refused call: the status the real library would return, plus a
// message naming the argument, kept for cudnnGetErrorString() and printed to stderr the
// first time it occurs.
#pragma once

#include "cudnn_types.h"

namespace jclip_sim {

__attribute__((format(printf, 2, 3))) cudnnStatus_t cudnn_fail(cudnnStatus_t status, const char *format, ...);

}  // namespace jclip_sim

// Returns from the calling function when a check fails.
#define CUDNN_CHECK(expression)                                  \
    do {                                                         \
        cudnnStatus_t status_ = (expression);                    \
        if (status_ != CUDNN_STATUS_SUCCESS) return status_;     \
    } while (0)
