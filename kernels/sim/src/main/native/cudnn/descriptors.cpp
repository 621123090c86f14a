// cuDNN's tensor, filter and convolution descriptors: plain structs holding what was set, checked
// as cuDNN checks them (sizes and strides positive, at least 3 and at most CUDNN_DIM_MAX (8)
// dimensions; pads non-negative, strides and dilations positive). Any data type may be described;
// the operations say NOT_SUPPORTED for the ones they do not compute.
#include "descriptors.h"

#include <new>
#include <string>

#include "errors.h"
#include "jclip_sim_abi.h"

using jclip_sim::cudnn_fail;

namespace {

// Bytes per element, 0 for types the stand-in does not know.
size_t element_bytes(cudnnDataType_t type) {
    switch (type) {
    case CUDNN_DATA_FLOAT: return 4;
    case CUDNN_DATA_DOUBLE: return 8;
    case CUDNN_DATA_HALF:
    case CUDNN_DATA_BFLOAT16: return 2;
    }
    return 0;
}

cudnnStatus_t check_dims(const char *call, int nb_dims, const int *dims) {
    if (nb_dims > CUDNN_DIM_MAX) return cudnn_fail(CUDNN_STATUS_NOT_SUPPORTED, "%s: %d dimensions (at most %d)", call, nb_dims, CUDNN_DIM_MAX);
    if (nb_dims < 3) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: %d dimensions (at least 3)", call, nb_dims);
    if (dims == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: dimA is NULL", call);
    for (int i = 0; i < nb_dims; ++i)
        if (dims[i] <= 0) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: dimension %d is %d (must be > 0)", call, i, dims[i]);
    return CUDNN_STATUS_SUCCESS;
}

template <class Descriptor>
cudnnStatus_t create(const char *call, Descriptor **desc) {
    if (desc == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: the descriptor pointer is NULL", call);
    *desc = new (std::nothrow) Descriptor();
    return *desc ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED;
}

template <class Descriptor>
cudnnStatus_t destroy(Descriptor *desc) {
    delete desc;  // cuDNN accepts NULL
    return CUDNN_STATUS_SUCCESS;
}

// Packed strides of a tensor in NCHW (row-major) or NHWC (channels innermost) order.
void packed_strides(cudnnTensorFormat_t format, int nb_dims, const int *dims, int *strides) {
    if (format == CUDNN_TENSOR_NCHW) {
        strides[nb_dims - 1] = 1;
        for (int i = nb_dims - 2; i >= 0; --i) strides[i] = strides[i + 1] * dims[i + 1];
    } else {
        strides[1] = 1;
        int stride = dims[1];
        for (int i = nb_dims - 1; i >= 2; --i) {
            strides[i] = stride;
            stride *= dims[i];
        }
        strides[0] = stride;
    }
}

cudnnStatus_t set_tensor(const char *call, cudnnTensorDescriptor_t desc, cudnnDataType_t type, int nb_dims,
                         const int *dims, const int *strides) {
    if (desc == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: tensorDesc is NULL", call);
    CUDNN_CHECK(check_dims(call, nb_dims, dims));
    if (strides == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: strideA is NULL", call);
    for (int i = 0; i < nb_dims; ++i)
        if (strides[i] <= 0) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: stride %d is %d (must be > 0)", call, i, strides[i]);
    if (element_bytes(type) == 0) return cudnn_fail(CUDNN_STATUS_NOT_SUPPORTED, "%s: dataType %d", call, type);
    desc->set = true;
    desc->type = type;
    desc->nb_dims = nb_dims;
    for (int i = 0; i < nb_dims; ++i) {
        desc->dims[i] = dims[i];
        desc->strides[i] = strides[i];
    }
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t check_format(const char *call, cudnnTensorFormat_t format) {
    if (format == CUDNN_TENSOR_NCHW || format == CUDNN_TENSOR_NHWC) return CUDNN_STATUS_SUCCESS;
    if (format == CUDNN_TENSOR_NCHW_VECT_C) return cudnn_fail(CUDNN_STATUS_NOT_SUPPORTED, "%s: format CUDNN_TENSOR_NCHW_VECT_C", call);
    return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: unknown format %d", call, format);
}

cudnnStatus_t set_filter(const char *call, cudnnFilterDescriptor_t desc, cudnnDataType_t type,
                         cudnnTensorFormat_t format, int nb_dims, const int *dims) {
    if (desc == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: filterDesc is NULL", call);
    CUDNN_CHECK(check_format(call, format));
    CUDNN_CHECK(check_dims(call, nb_dims, dims));
    if (element_bytes(type) == 0) return cudnn_fail(CUDNN_STATUS_NOT_SUPPORTED, "%s: dataType %d", call, type);
    desc->set = true;
    desc->type = type;
    desc->format = format;
    desc->nb_dims = nb_dims;
    for (int i = 0; i < nb_dims; ++i) desc->dims[i] = dims[i];
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t set_convolution(const char *call, cudnnConvolutionDescriptor_t desc, int spatial_dims, const int *pad,
                              const int *stride, const int *dilation, cudnnConvolutionMode_t mode,
                              cudnnDataType_t compute_type) {
    if (desc == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: convDesc is NULL", call);
    if (spatial_dims < 1 || spatial_dims > CUDNN_DIM_MAX - 2)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: arrayLength %d (1 to %d)", call, spatial_dims, CUDNN_DIM_MAX - 2);
    if (pad == nullptr || stride == nullptr || dilation == nullptr)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: padA, filterStrideA or dilationA is NULL", call);
    for (int i = 0; i < spatial_dims; ++i) {
        if (pad[i] < 0 || stride[i] <= 0 || dilation[i] <= 0)
            return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: dimension %d has pad %d, stride %d, dilation %d "
                              "(pad >= 0, stride and dilation > 0)", call, i, pad[i], stride[i], dilation[i]);
    }
    if (mode != CUDNN_CONVOLUTION && mode != CUDNN_CROSS_CORRELATION) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: mode %d", call, mode);
    if (element_bytes(compute_type) == 0) return cudnn_fail(CUDNN_STATUS_NOT_SUPPORTED, "%s: computeType %d", call, compute_type);
    desc->set = true;
    desc->spatial_dims = spatial_dims;
    for (int i = 0; i < spatial_dims; ++i) {
        desc->pad[i] = pad[i];
        desc->stride[i] = stride[i];
        desc->dilation[i] = dilation[i];
    }
    desc->mode = mode;
    desc->compute_type = compute_type;
    return CUDNN_STATUS_SUCCESS;
}

// Bytes from a tensor's first element to one past its last.
size_t tensor_bytes(cudnnTensorDescriptor_t desc) {
    size_t last = 0;  // offset of the last element
    for (int i = 0; i < desc->nb_dims; ++i) last += static_cast<size_t>(desc->dims[i] - 1) * desc->strides[i];
    return (last + 1) * element_bytes(desc->type);
}

// "[2, 3, 11, 9]"
std::string list(int count, const int *values) {
    std::string text = "[";
    for (int i = 0; i < count; ++i) text += (i > 0 ? ", " : "") + std::to_string(values[i]);
    return text + "]";
}

cudnnStatus_t check_memory(const char *call, const std::string &what, const void *data, size_t bytes) {
    char why[256];
    if (jclip_sim_device_range(data, bytes, why, sizeof why)) return CUDNN_STATUS_SUCCESS;
    return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: %s spans %zu bytes from %p: %s", call, what.c_str(), bytes, data, why);
}

// One output size along an axis, or -1 if the dilated filter does not fit the padded input.
int output_size(int in, int pad, int filter, int dilation, int stride) {
    int span = in + 2 * pad - ((filter - 1) * dilation + 1);
    return span < 0 ? -1 : span / stride + 1;
}

}  // namespace

namespace jclip_sim {

cudnnStatus_t float_tensor_4d(const char *call, const char *what, cudnnTensorDescriptor_t desc, Tensor4d *view) {
    if (desc == nullptr || !desc->set) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: %s is %s", call, what, desc ? "not set" : "NULL");
    if (desc->nb_dims != 4)
        return cudnn_fail(CUDNN_STATUS_NOT_SUPPORTED, "%s: %s has %d dimensions (the simulator computes 4-d tensors)", call, what, desc->nb_dims);
    if (desc->type != CUDNN_DATA_FLOAT)
        return cudnn_fail(CUDNN_STATUS_NOT_SUPPORTED, "%s: %s has dataType %d (the simulator computes CUDNN_DATA_FLOAT)", call, what, desc->type);
    const int *d = desc->dims, *s = desc->strides;
    *view = {d[0], d[1], d[2], d[3], s[0], s[1], s[2], s[3]};
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t convolution_geometry(const char *call, cudnnTensorDescriptor_t x, cudnnFilterDescriptor_t filter,
                                   cudnnConvolutionDescriptor_t conv, ConvGeometry *g) {
    Tensor4d in;
    CUDNN_CHECK(float_tensor_4d(call, "the input tensor", x, &in));
    if (filter == nullptr || !filter->set) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: the filter descriptor is NULL or not set", call);
    if (conv == nullptr || !conv->set) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: the convolution descriptor is NULL or not set", call);
    if (filter->nb_dims != 4 || conv->spatial_dims != 2)
        return cudnn_fail(CUDNN_STATUS_NOT_SUPPORTED, "%s: a filter of %d dimensions and a convolution over %d "
                          "(the simulator computes 2-d convolutions)", call, filter->nb_dims, conv->spatial_dims);
    if (filter->type != CUDNN_DATA_FLOAT || conv->compute_type != CUDNN_DATA_FLOAT)
        return cudnn_fail(CUDNN_STATUS_NOT_SUPPORTED, "%s: filter dataType %d, computeType %d (the simulator computes "
                          "CUDNN_DATA_FLOAT)", call, filter->type, conv->compute_type);
    const int *f = filter->dims;
    *g = {in.n, in.c, in.h, in.w, f[0], f[1], f[2], f[3], conv->groups,
          conv->pad[0], conv->pad[1], conv->stride[0], conv->stride[1], conv->dilation[0], conv->dilation[1],
          0, 0, conv->mode == CUDNN_CONVOLUTION, filter->format};
    if (g->c != g->c_group * g->groups || g->k % g->groups != 0)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: input of %d channels, filter [%d, %d, %d, %d] and %d groups do not match "
                          "(input channels = filter channels x groups, filters divisible by groups)",
                          call, g->c, g->k, g->c_group, g->r, g->s, g->groups);
    g->h_out = output_size(g->h, g->pad_h, g->r, g->dilation_h, g->stride_h);
    g->w_out = output_size(g->w, g->pad_w, g->s, g->dilation_w, g->stride_w);
    if (g->h_out <= 0 || g->w_out <= 0)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: the %dx%d filter (dilation %d, %d) is larger than the %dx%d input padded by %d, %d",
                          call, g->r, g->s, g->dilation_h, g->dilation_w, g->h, g->w, g->pad_h, g->pad_w);
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t convolution_shapes(const char *call, cudnnHandle_t handle, cudnnTensorDescriptor_t x_desc,
                                 cudnnFilterDescriptor_t w_desc, cudnnConvolutionDescriptor_t conv,
                                 cudnnTensorDescriptor_t y_desc, ConvGeometry *g, Tensor4d *x, Tensor4d *y) {
    if (handle == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: handle is NULL", call);
    CUDNN_CHECK(convolution_geometry(call, x_desc, w_desc, conv, g));
    CUDNN_CHECK(float_tensor_4d(call, "the input tensor", x_desc, x));
    CUDNN_CHECK(float_tensor_4d(call, "the output tensor", y_desc, y));
    if (y->n != g->n || y->c != g->k || y->h != g->h_out || y->w != g->w_out)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: the output tensor is [%d, %d, %d, %d] but the convolution gives [%d, %d, %d, %d]",
                          call, y->n, y->c, y->h, y->w, g->n, g->k, g->h_out, g->w_out);
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t check_tensor_memory(const char *call, const char *what, cudnnTensorDescriptor_t desc, const void *data) {
    return check_memory(call, std::string(what) + " (" + list(desc->nb_dims, desc->dims) + ", strides " +
                                  list(desc->nb_dims, desc->strides) + ")", data, tensor_bytes(desc));
}

cudnnStatus_t check_filter_memory(const char *call, const char *what, cudnnFilterDescriptor_t desc, const void *data) {
    size_t count = 1;
    for (int i = 0; i < desc->nb_dims; ++i) count *= desc->dims[i];
    return check_memory(call, std::string(what) + " (filter " + list(desc->nb_dims, desc->dims) +
                                  (desc->format == CUDNN_TENSOR_NHWC ? ", NHWC)" : ", NCHW)"), data, count * element_bytes(desc->type));
}

cudnnStatus_t check_workspace_memory(const char *call, const void *workspace, size_t bytes) {
    return check_memory(call, "workSpace", workspace, bytes);
}

}  // namespace jclip_sim

extern "C" {

// ---- tensors -----------------------------------------------------------------------------------

cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t *desc) { return create("cudnnCreateTensorDescriptor", desc); }

cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t desc) { return destroy(desc); }

cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t desc, cudnnTensorFormat_t format,
                                         cudnnDataType_t type, int n, int c, int h, int w) {
    CUDNN_CHECK(check_format("cudnnSetTensor4dDescriptor", format));
    int dims[4] = {n, c, h, w}, strides[4] = {1, 1, 1, 1};
    if (n > 0 && c > 0 && h > 0 && w > 0) packed_strides(format, 4, dims, strides);
    return set_tensor("cudnnSetTensor4dDescriptor", desc, type, 4, dims, strides);
}

cudnnStatus_t cudnnSetTensor4dDescriptorEx(cudnnTensorDescriptor_t desc, cudnnDataType_t type, int n, int c, int h,
                                           int w, int nStride, int cStride, int hStride, int wStride) {
    int dims[4] = {n, c, h, w}, strides[4] = {nStride, cStride, hStride, wStride};
    return set_tensor("cudnnSetTensor4dDescriptorEx", desc, type, 4, dims, strides);
}

cudnnStatus_t cudnnGetTensor4dDescriptor(cudnnTensorDescriptor_t desc, cudnnDataType_t *type, int *n, int *c, int *h,
                                         int *w, int *nStride, int *cStride, int *hStride, int *wStride) {
    if (desc == nullptr || !desc->set) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetTensor4dDescriptor: tensorDesc is NULL or not set");
    if (desc->nb_dims != 4)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetTensor4dDescriptor: the tensor has %d dimensions, not 4", desc->nb_dims);
    int *out[] = {n, c, h, w, nStride, cStride, hStride, wStride};
    for (int i = 0; i < 8; ++i)
        if (out[i] == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetTensor4dDescriptor: an output pointer is NULL");
    if (type == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetTensor4dDescriptor: dataType is NULL");
    *type = desc->type;
    for (int i = 0; i < 4; ++i) {
        *out[i] = desc->dims[i];
        *out[i + 4] = desc->strides[i];
    }
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetTensorNdDescriptor(cudnnTensorDescriptor_t desc, cudnnDataType_t type, int nbDims,
                                         const int dimA[], const int strideA[]) {
    return set_tensor("cudnnSetTensorNdDescriptor", desc, type, nbDims, dimA, strideA);
}

cudnnStatus_t cudnnSetTensorNdDescriptorEx(cudnnTensorDescriptor_t desc, cudnnTensorFormat_t format,
                                           cudnnDataType_t type, int nbDims, const int dimA[]) {
    CUDNN_CHECK(check_format("cudnnSetTensorNdDescriptorEx", format));
    CUDNN_CHECK(check_dims("cudnnSetTensorNdDescriptorEx", nbDims, dimA));
    int strides[CUDNN_DIM_MAX];
    packed_strides(format, nbDims, dimA, strides);
    return set_tensor("cudnnSetTensorNdDescriptorEx", desc, type, nbDims, dimA, strides);
}

cudnnStatus_t cudnnGetTensorNdDescriptor(cudnnTensorDescriptor_t desc, int nbDimsRequested, cudnnDataType_t *type,
                                         int *nbDims, int dimA[], int strideA[]) {
    if (desc == nullptr || !desc->set) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetTensorNdDescriptor: tensorDesc is NULL or not set");
    if (type == nullptr || nbDims == nullptr || (nbDimsRequested > 0 && (dimA == nullptr || strideA == nullptr)))
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetTensorNdDescriptor: an output pointer is NULL");
    *type = desc->type;
    *nbDims = desc->nb_dims;
    for (int i = 0; i < nbDimsRequested && i < desc->nb_dims; ++i) {
        dimA[i] = desc->dims[i];
        strideA[i] = desc->strides[i];
    }
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetTensorSizeInBytes(cudnnTensorDescriptor_t desc, size_t *size) {
    if (desc == nullptr || !desc->set || size == nullptr)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetTensorSizeInBytes: tensorDesc or size is NULL, or the tensor is not set");
    *size = tensor_bytes(desc);
    return CUDNN_STATUS_SUCCESS;
}

// ---- filters -----------------------------------------------------------------------------------

cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t *desc) { return create("cudnnCreateFilterDescriptor", desc); }

cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t desc) { return destroy(desc); }

cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t desc, cudnnDataType_t type, cudnnTensorFormat_t format,
                                         int k, int c, int h, int w) {
    int dims[4] = {k, c, h, w};
    return set_filter("cudnnSetFilter4dDescriptor", desc, type, format, 4, dims);
}

cudnnStatus_t cudnnGetFilter4dDescriptor(cudnnFilterDescriptor_t desc, cudnnDataType_t *type,
                                         cudnnTensorFormat_t *format, int *k, int *c, int *h, int *w) {
    if (desc == nullptr || !desc->set || desc->nb_dims != 4)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetFilter4dDescriptor: filterDesc is NULL, not set or not 4-d");
    if (type == nullptr || format == nullptr || k == nullptr || c == nullptr || h == nullptr || w == nullptr)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetFilter4dDescriptor: an output pointer is NULL");
    *type = desc->type;
    *format = desc->format;
    *k = desc->dims[0];
    *c = desc->dims[1];
    *h = desc->dims[2];
    *w = desc->dims[3];
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetFilterNdDescriptor(cudnnFilterDescriptor_t desc, cudnnDataType_t type, cudnnTensorFormat_t format,
                                         int nbDims, const int filterDimA[]) {
    return set_filter("cudnnSetFilterNdDescriptor", desc, type, format, nbDims, filterDimA);
}

cudnnStatus_t cudnnGetFilterNdDescriptor(cudnnFilterDescriptor_t desc, int nbDimsRequested, cudnnDataType_t *type,
                                         cudnnTensorFormat_t *format, int *nbDims, int filterDimA[]) {
    if (desc == nullptr || !desc->set) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetFilterNdDescriptor: filterDesc is NULL or not set");
    if (type == nullptr || format == nullptr || nbDims == nullptr || (nbDimsRequested > 0 && filterDimA == nullptr))
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetFilterNdDescriptor: an output pointer is NULL");
    *type = desc->type;
    *format = desc->format;
    *nbDims = desc->nb_dims;
    for (int i = 0; i < nbDimsRequested && i < desc->nb_dims; ++i) filterDimA[i] = desc->dims[i];
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetFilterSizeInBytes(cudnnFilterDescriptor_t desc, size_t *size) {
    if (desc == nullptr || !desc->set || size == nullptr)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetFilterSizeInBytes: filterDesc or size is NULL, or the filter is not set");
    size_t elements = 1;
    for (int i = 0; i < desc->nb_dims; ++i) elements *= desc->dims[i];
    *size = elements * element_bytes(desc->type);
    return CUDNN_STATUS_SUCCESS;
}

// ---- convolutions ------------------------------------------------------------------------------

cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t *desc) {
    return create("cudnnCreateConvolutionDescriptor", desc);
}

cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t desc) { return destroy(desc); }

cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t desc, int pad_h, int pad_w, int u, int v,
                                              int dilation_h, int dilation_w, cudnnConvolutionMode_t mode,
                                              cudnnDataType_t computeType) {
    int pad[2] = {pad_h, pad_w}, stride[2] = {u, v}, dilation[2] = {dilation_h, dilation_w};
    return set_convolution("cudnnSetConvolution2dDescriptor", desc, 2, pad, stride, dilation, mode, computeType);
}

cudnnStatus_t cudnnGetConvolution2dDescriptor(cudnnConvolutionDescriptor_t desc, int *pad_h, int *pad_w, int *u,
                                              int *v, int *dilation_h, int *dilation_w,
                                              cudnnConvolutionMode_t *mode, cudnnDataType_t *computeType) {
    if (desc == nullptr || !desc->set || desc->spatial_dims != 2)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetConvolution2dDescriptor: convDesc is NULL, not set or not 2-d");
    int *out[] = {pad_h, pad_w, u, v, dilation_h, dilation_w};
    for (int *p : out)
        if (p == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetConvolution2dDescriptor: an output pointer is NULL");
    if (mode == nullptr || computeType == nullptr)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetConvolution2dDescriptor: mode or computeType is NULL");
    *pad_h = desc->pad[0];
    *pad_w = desc->pad[1];
    *u = desc->stride[0];
    *v = desc->stride[1];
    *dilation_h = desc->dilation[0];
    *dilation_w = desc->dilation[1];
    *mode = desc->mode;
    *computeType = desc->compute_type;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolutionNdDescriptor(cudnnConvolutionDescriptor_t desc, int arrayLength, const int padA[],
                                              const int filterStrideA[], const int dilationA[],
                                              cudnnConvolutionMode_t mode, cudnnDataType_t computeType) {
    return set_convolution("cudnnSetConvolutionNdDescriptor", desc, arrayLength, padA, filterStrideA, dilationA, mode, computeType);
}

cudnnStatus_t cudnnGetConvolutionNdDescriptor(cudnnConvolutionDescriptor_t desc, int arrayLengthRequested,
                                              int *arrayLength, int padA[], int strideA[], int dilationA[],
                                              cudnnConvolutionMode_t *mode, cudnnDataType_t *computeType) {
    if (desc == nullptr || !desc->set) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetConvolutionNdDescriptor: convDesc is NULL or not set");
    if (arrayLength == nullptr || mode == nullptr || computeType == nullptr ||
        (arrayLengthRequested > 0 && (padA == nullptr || strideA == nullptr || dilationA == nullptr)))
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetConvolutionNdDescriptor: an output pointer is NULL");
    *arrayLength = desc->spatial_dims;
    for (int i = 0; i < arrayLengthRequested && i < desc->spatial_dims; ++i) {
        padA[i] = desc->pad[i];
        strideA[i] = desc->stride[i];
        dilationA[i] = desc->dilation[i];
    }
    *mode = desc->mode;
    *computeType = desc->compute_type;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolutionGroupCount(cudnnConvolutionDescriptor_t desc, int groupCount) {
    if (desc == nullptr || groupCount < 1)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetConvolutionGroupCount: convDesc is NULL or groupCount %d < 1", groupCount);
    desc->groups = groupCount;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionGroupCount(cudnnConvolutionDescriptor_t desc, int *groupCount) {
    if (desc == nullptr || groupCount == nullptr)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetConvolutionGroupCount: convDesc or groupCount is NULL");
    *groupCount = desc->groups;
    return CUDNN_STATUS_SUCCESS;
}

// The math type is recorded and reported back; the stand-in always computes in float (tensor-op
// down-conversion is not emulated for convolutions).
cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t desc, cudnnMathType_t mathType) {
    if (desc == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetConvolutionMathType: convDesc is NULL");
    if (mathType < CUDNN_DEFAULT_MATH || mathType > CUDNN_FMA_MATH)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetConvolutionMathType: unknown math type %d", mathType);
    desc->math_type = mathType;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionMathType(cudnnConvolutionDescriptor_t desc, cudnnMathType_t *mathType) {
    if (desc == nullptr || mathType == nullptr)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetConvolutionMathType: convDesc or mathType is NULL");
    *mathType = desc->math_type;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolutionReorderType(cudnnConvolutionDescriptor_t desc, cudnnReorderType_t reorderType) {
    if (desc == nullptr || (reorderType != CUDNN_DEFAULT_REORDER && reorderType != CUDNN_NO_REORDER))
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetConvolutionReorderType: convDesc is NULL or reorderType %d unknown", reorderType);
    desc->reorder_type = reorderType;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionReorderType(cudnnConvolutionDescriptor_t desc, cudnnReorderType_t *reorderType) {
    if (desc == nullptr || reorderType == nullptr)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetConvolutionReorderType: convDesc or reorderType is NULL");
    *reorderType = desc->reorder_type;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(cudnnConvolutionDescriptor_t conv, cudnnTensorDescriptor_t input,
                                                    cudnnFilterDescriptor_t filter, int *n, int *c, int *h, int *w) {
    if (n == nullptr || c == nullptr || h == nullptr || w == nullptr)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetConvolution2dForwardOutputDim: an output pointer is NULL");
    jclip_sim::ConvGeometry g;
    CUDNN_CHECK(jclip_sim::convolution_geometry("cudnnGetConvolution2dForwardOutputDim", input, filter, conv, &g));
    *n = g.n;
    *c = g.k;
    *h = g.h_out;
    *w = g.w_out;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionNdForwardOutputDim(cudnnConvolutionDescriptor_t conv, cudnnTensorDescriptor_t input,
                                                    cudnnFilterDescriptor_t filter, int nbDims, int tensorOuputDimA[]) {
    if (nbDims != 4 || tensorOuputDimA == nullptr)
        return cudnn_fail(CUDNN_STATUS_NOT_SUPPORTED, "cudnnGetConvolutionNdForwardOutputDim: nbDims %d (the simulator computes 4)", nbDims);
    return cudnnGetConvolution2dForwardOutputDim(conv, input, filter, &tensorOuputDimA[0], &tensorOuputDimA[1],
                                                 &tensorOuputDimA[2], &tensorOuputDimA[3]);
}

}  // extern "C"
