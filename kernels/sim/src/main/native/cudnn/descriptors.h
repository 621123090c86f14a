// What the cuDNN stand-in's operations read from descriptors: validated views of 4-d float tensors
// and filters, and a 2-d convolution's geometry.
#pragma once

#include "cudnn_types.h"

extern "C" cudnnStatus_t cudnnSetTensorNdDescriptor(cudnnTensorDescriptor_t desc, cudnnDataType_t type, int nbDims,
                                                    const int dimA[], const int strideA[]);

namespace jclip_sim {

// A 4-d tensor as [n, c, h, w] sizes with strides in elements.
struct Tensor4d {
    int n, c, h, w;
    long sn, sc, sh, sw;
    long at(int in, int ic, int ih, int iw) const { return in * sn + ic * sc + ih * sh + iw * sw; }
    long size() const { return static_cast<long>(n) * c * h * w; }
};

// The tensor as a 4-d float tensor; `call` and `what` name it in a refusal.
cudnnStatus_t float_tensor_4d(const char *call, const char *what, cudnnTensorDescriptor_t desc, Tensor4d *view);

// Everything a 2-d convolution of x with a filter needs, checked against each other.
struct ConvGeometry {
    int n, c, h, w;        // input
    int k, c_group, r, s;  // filter [k, c_group, r, s], c = c_group * groups
    int groups;
    int pad_h, pad_w, stride_h, stride_w, dilation_h, dilation_w;
    int h_out, w_out;
    bool flip;                   // CUDNN_CONVOLUTION: the filter is applied mirrored
    cudnnTensorFormat_t format;  // of the filter: KCRS (NCHW) or KRSC (NHWC)
};

// Checks x (a tensor descriptor), the filter and the convolution, and derives the output size.
cudnnStatus_t convolution_geometry(const char *call, cudnnTensorDescriptor_t x, cudnnFilterDescriptor_t filter,
                                   cudnnConvolutionDescriptor_t conv, ConvGeometry *geometry);

// Checks the handle, the geometry, and that y (y or dy) has the output size it derives; x and y are
// the tensors' views.
cudnnStatus_t convolution_shapes(const char *call, cudnnHandle_t handle, cudnnTensorDescriptor_t x_desc,
                                 cudnnFilterDescriptor_t w_desc, cudnnConvolutionDescriptor_t conv,
                                 cudnnTensorDescriptor_t y_desc, ConvGeometry *g, Tensor4d *x, Tensor4d *y);

// cuDNN takes device pointers without sizes: an operand's extent follows from its descriptor (a
// tensor's largest offset by its strides, plus one element; a filter's packed size). These refuse
// with BAD_PARAM, naming the call, the operand and the range, an operand whose extent does not lie
// inside one live allocation (jclip_sim_device_range), which a GPU would fault on or silently read
// past. The descriptor must already have been checked; `what` names the operand ("x", "bnScale").
cudnnStatus_t check_tensor_memory(const char *call, const char *what, cudnnTensorDescriptor_t desc, const void *data);
cudnnStatus_t check_filter_memory(const char *call, const char *what, cudnnFilterDescriptor_t desc, const void *data);
// A workspace of `bytes`; none (0 bytes) passes.
cudnnStatus_t check_workspace_memory(const char *call, const void *workspace, size_t bytes);

}  // namespace jclip_sim
