// Moving 4-d float tensors between their descriptors' strided layouts and the packed NCHW arrays
// the stand-in computes on, and cuDNN's output blending (y = alpha·result + beta·y, where beta = 0
// leaves y unread, so NaNs in an uninitialised y do not leak through).
#pragma once

#include <initializer_list>
#include <new>
#include <vector>

#include "descriptors.h"
#include "errors.h"

namespace jclip_sim {

// cuDNN's scaling factors for float data are floats in host memory.
inline float scaling_factor(const void *p) { return *static_cast<const float *>(p); }

// visit(n, c, h, w) for every element, in packed NCHW order.
template <class Visit>
void for_each_element(const Tensor4d &v, Visit visit) {
    for (int n = 0; n < v.n; ++n)
        for (int c = 0; c < v.c; ++c)
            for (int h = 0; h < v.h; ++h)
                for (int w = 0; w < v.w; ++w) visit(n, c, h, w);
}

inline void blend_one(float &out, float value, float alpha, float beta) {
    float scaled = alpha * value;
    out = beta == 0.0f ? scaled : scaled + beta * out;
}

inline std::vector<float> gather(const Tensor4d &v, const float *data) {
    std::vector<float> packed(v.size());
    float *out = packed.data();
    for_each_element(v, [&](int n, int c, int h, int w) { *out++ = data[v.at(n, c, h, w)]; });
    return packed;
}

inline void blend(const Tensor4d &v, float *dst, const float *packed, float alpha, float beta) {
    for_each_element(v, [&](int n, int c, int h, int w) { blend_one(dst[v.at(n, c, h, w)], *packed++, alpha, beta); });
}

inline cudnnStatus_t check_pointers(const char *call, std::initializer_list<const void *> pointers) {
    for (const void *p : pointers)
        if (p == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: a data or scaling-factor pointer is NULL", call);
    return CUDNN_STATUS_SUCCESS;
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
