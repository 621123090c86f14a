// Moving 4-d float tensors between their descriptors' strided layouts and the packed NCHW arrays
// the stand-in computes on, and cuDNN's output blending (y = alpha·result + beta·y, where beta = 0
// leaves y unread, so NaNs in an uninitialised y do not leak through).
#pragma once

#include <new>
#include <vector>

#include "descriptors.h"
#include "errors.h"

namespace jclip_sim {

// cuDNN's scaling factors for float data are floats in host memory.
inline float scaling_factor(const void *p) { return *static_cast<const float *>(p); }

inline std::vector<float> gather(const Tensor4d &v, const float *data) {
    std::vector<float> packed(v.size());
    float *out = packed.data();
    for (int n = 0; n < v.n; ++n)
        for (int c = 0; c < v.c; ++c)
            for (int h = 0; h < v.h; ++h)
                for (int w = 0; w < v.w; ++w) *out++ = data[v.at(n, c, h, w)];
    return packed;
}

inline void blend(const Tensor4d &v, float *dst, const float *packed, float alpha, float beta) {
    for (int n = 0; n < v.n; ++n)
        for (int c = 0; c < v.c; ++c)
            for (int h = 0; h < v.h; ++h)
                for (int w = 0; w < v.w; ++w) {
                    float &d = dst[v.at(n, c, h, w)];
                    float value = alpha * *packed++;
                    d = beta == 0.0f ? value : value + beta * d;
                }
}

// Runs an operation's body, turning a failed host allocation into cuDNN's status for it.
template <class Body>
cudnnStatus_t guarded(const char *call, Body body) {
    try {
        return body();
    } catch (const std::bad_alloc &) {
        return cudnn_fail(CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED, "%s: out of host memory", call);
    }
}

}  // namespace jclip_sim
