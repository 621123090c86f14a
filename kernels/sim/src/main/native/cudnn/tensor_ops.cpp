// cuDNN's element-wise tensor calls on 4-d float tensors: cudnnAddTensor (C = alpha·A + beta·C, A
// broadcast along every dimension where it has size 1), cudnnSetTensor (y = value) and
// cudnnScaleTensor (y = alpha·y).
#include "descriptors.h"
#include "errors.h"
#include "layout.h"

using jclip_sim::cudnn_fail;
using jclip_sim::Tensor4d;

namespace {

cudnnStatus_t start(const char *call, cudnnHandle_t handle, std::initializer_list<const void *> pointers) {
    if (handle == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: handle is NULL", call);
    return jclip_sim::check_pointers(call, pointers);
}

}  // namespace

extern "C" {

cudnnStatus_t cudnnAddTensor(cudnnHandle_t handle, const void *alpha, cudnnTensorDescriptor_t aDesc, const void *A,
                             const void *beta, cudnnTensorDescriptor_t cDesc, void *C) {
    const char *call = "cudnnAddTensor";
    Tensor4d a, c;
    CUDNN_CHECK(jclip_sim::float_tensor_4d(call, "aDesc", aDesc, &a));
    CUDNN_CHECK(jclip_sim::float_tensor_4d(call, "cDesc", cDesc, &c));
    int as[4] = {a.n, a.c, a.h, a.w}, cs[4] = {c.n, c.c, c.h, c.w};
    for (int i = 0; i < 4; ++i)
        if (as[i] != cs[i] && as[i] != 1)
            return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: A [%d, %d, %d, %d] cannot be broadcast to C [%d, %d, %d, %d]", call,
                              as[0], as[1], as[2], as[3], cs[0], cs[1], cs[2], cs[3]);
    CUDNN_CHECK(start(call, handle, {alpha, beta, A, C}));
    CUDNN_CHECK(jclip_sim::check_tensor_memory(call, "A", aDesc, A));
    CUDNN_CHECK(jclip_sim::check_tensor_memory(call, "C", cDesc, C));
    const float *ap = static_cast<const float *>(A);
    float *cp = static_cast<float *>(C);
    float al = jclip_sim::scaling_factor(alpha), be = jclip_sim::scaling_factor(beta);
    jclip_sim::for_each_element(c, [&](int n, int ch, int h, int w) {
        float value = ap[a.at(a.n == 1 ? 0 : n, a.c == 1 ? 0 : ch, a.h == 1 ? 0 : h, a.w == 1 ? 0 : w)];
        jclip_sim::blend_one(cp[c.at(n, ch, h, w)], value, al, be);
    });
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetTensor(cudnnHandle_t handle, cudnnTensorDescriptor_t yDesc, void *y, const void *valuePtr) {
    const char *call = "cudnnSetTensor";
    Tensor4d v;
    CUDNN_CHECK(jclip_sim::float_tensor_4d(call, "yDesc", yDesc, &v));
    CUDNN_CHECK(start(call, handle, {y, valuePtr}));
    CUDNN_CHECK(jclip_sim::check_tensor_memory(call, "y", yDesc, y));
    float value = jclip_sim::scaling_factor(valuePtr);
    jclip_sim::for_each_element(v, [&](int n, int c, int h, int w) { static_cast<float *>(y)[v.at(n, c, h, w)] = value; });
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnScaleTensor(cudnnHandle_t handle, cudnnTensorDescriptor_t yDesc, void *y, const void *alpha) {
    const char *call = "cudnnScaleTensor";
    Tensor4d v;
    CUDNN_CHECK(jclip_sim::float_tensor_4d(call, "yDesc", yDesc, &v));
    CUDNN_CHECK(start(call, handle, {y, alpha}));
    CUDNN_CHECK(jclip_sim::check_tensor_memory(call, "y", yDesc, y));
    float scale = jclip_sim::scaling_factor(alpha);
    jclip_sim::for_each_element(v, [&](int n, int c, int h, int w) { static_cast<float *>(y)[v.at(n, c, h, w)] *= scale; });
    return CUDNN_STATUS_SUCCESS;
}

}  // extern "C"
