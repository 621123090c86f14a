// Algorithm and workspace queries of cuDNN's convolutions. In the stand-in every algorithm number
// runs the same im2col + GEMM code (convolution.cpp) without a workspace, so each query lists all
// algorithms of its direction in enum order, each available (status success), deterministic,
// needing 0 bytes, with the descriptor's math type and a time of 0 (nothing is measured; the Find
// variants do not run the convolution). The descriptors are still checked, so a shape mismatch is
// reported here as it would be by cuDNN.
#include "descriptors.h"
#include "errors.h"

using jclip_sim::cudnn_fail;

namespace {

cudnnStatus_t check_shapes(const char *call, cudnnHandle_t handle, cudnnTensorDescriptor_t x,
                           cudnnFilterDescriptor_t w, cudnnConvolutionDescriptor_t conv, cudnnTensorDescriptor_t y) {
    jclip_sim::ConvGeometry g;
    jclip_sim::Tensor4d xv, yv;
    return jclip_sim::convolution_shapes(call, handle, x, w, conv, y, &g, &xv, &yv);
}

cudnnStatus_t list(const char *call, cudnnHandle_t handle, cudnnTensorDescriptor_t x, cudnnFilterDescriptor_t w,
                   cudnnConvolutionDescriptor_t conv, cudnnTensorDescriptor_t y, int algo_count, int requested,
                   int *returned, cudnnConvolutionAlgoPerf_t *results) {
    CUDNN_CHECK(check_shapes(call, handle, x, w, conv, y));
    if (requested < 1 || returned == nullptr || results == nullptr)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: requestedAlgoCount %d < 1, or returnedAlgoCount or perfResults is NULL", call, requested);
    int count = requested < algo_count ? requested : algo_count;
    for (int i = 0; i < count; ++i) results[i] = {i, CUDNN_STATUS_SUCCESS, 0.0f, 0, CUDNN_DETERMINISTIC, conv->math_type, {}};
    *returned = count;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t max_count(const char *call, cudnnHandle_t handle, int *count, int algo_count) {
    if (handle == nullptr || count == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: handle or count is NULL", call);
    *count = algo_count;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t workspace(const char *call, cudnnHandle_t handle, cudnnTensorDescriptor_t x, cudnnFilterDescriptor_t w,
                        cudnnConvolutionDescriptor_t conv, cudnnTensorDescriptor_t y, int algo, int algo_count,
                        size_t *bytes) {
    CUDNN_CHECK(check_shapes(call, handle, x, w, conv, y));
    if (algo < 0 || algo >= algo_count) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: algo %d (0 to %d)", call, algo, algo_count - 1);
    if (bytes == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: sizeInBytes is NULL", call);
    *bytes = 0;
    return CUDNN_STATUS_SUCCESS;
}

}  // namespace

extern "C" {

// ---- forward -----------------------------------------------------------------------------------

cudnnStatus_t cudnnGetConvolutionForwardAlgorithmMaxCount(cudnnHandle_t handle, int *count) {
    return max_count("cudnnGetConvolutionForwardAlgorithmMaxCount", handle, count, CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
}

cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(cudnnHandle_t handle, cudnnTensorDescriptor_t xDesc,
                                                     cudnnFilterDescriptor_t wDesc, cudnnConvolutionDescriptor_t convDesc,
                                                     cudnnTensorDescriptor_t yDesc, int requestedAlgoCount,
                                                     int *returnedAlgoCount, cudnnConvolutionAlgoPerf_t *perfResults) {
    return list("cudnnGetConvolutionForwardAlgorithm_v7", handle, xDesc, wDesc, convDesc, yDesc,
                CUDNN_CONVOLUTION_FWD_ALGO_COUNT, requestedAlgoCount, returnedAlgoCount, perfResults);
}

cudnnStatus_t cudnnFindConvolutionForwardAlgorithm(cudnnHandle_t handle, cudnnTensorDescriptor_t xDesc,
                                                   cudnnFilterDescriptor_t wDesc, cudnnConvolutionDescriptor_t convDesc,
                                                   cudnnTensorDescriptor_t yDesc, int requestedAlgoCount,
                                                   int *returnedAlgoCount, cudnnConvolutionAlgoPerf_t *perfResults) {
    return list("cudnnFindConvolutionForwardAlgorithm", handle, xDesc, wDesc, convDesc, yDesc,
                CUDNN_CONVOLUTION_FWD_ALGO_COUNT, requestedAlgoCount, returnedAlgoCount, perfResults);
}

cudnnStatus_t cudnnFindConvolutionForwardAlgorithmEx(cudnnHandle_t handle, cudnnTensorDescriptor_t xDesc,
                                                     const void *x, cudnnFilterDescriptor_t wDesc, const void *w,
                                                     cudnnConvolutionDescriptor_t convDesc, cudnnTensorDescriptor_t yDesc,
                                                     void *y, int requestedAlgoCount, int *returnedAlgoCount,
                                                     cudnnConvolutionAlgoPerf_t *perfResults, void *workSpace,
                                                     size_t workSpaceSizeInBytes) {
    return list("cudnnFindConvolutionForwardAlgorithmEx", handle, xDesc, wDesc, convDesc, yDesc,
                CUDNN_CONVOLUTION_FWD_ALGO_COUNT, requestedAlgoCount, returnedAlgoCount, perfResults);
}

cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t handle, cudnnTensorDescriptor_t xDesc,
                                                      cudnnFilterDescriptor_t wDesc, cudnnConvolutionDescriptor_t convDesc,
                                                      cudnnTensorDescriptor_t yDesc, cudnnConvolutionFwdAlgo_t algo,
                                                      size_t *sizeInBytes) {
    return workspace("cudnnGetConvolutionForwardWorkspaceSize", handle, xDesc, wDesc, convDesc, yDesc, algo,
                     CUDNN_CONVOLUTION_FWD_ALGO_COUNT, sizeInBytes);
}

// ---- backward data -----------------------------------------------------------------------------

cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithmMaxCount(cudnnHandle_t handle, int *count) {
    return max_count("cudnnGetConvolutionBackwardDataAlgorithmMaxCount", handle, count, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT);
}

cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithm_v7(cudnnHandle_t handle, cudnnFilterDescriptor_t wDesc,
                                                          cudnnTensorDescriptor_t dyDesc,
                                                          cudnnConvolutionDescriptor_t convDesc,
                                                          cudnnTensorDescriptor_t dxDesc, int requestedAlgoCount,
                                                          int *returnedAlgoCount, cudnnConvolutionAlgoPerf_t *perfResults) {
    return list("cudnnGetConvolutionBackwardDataAlgorithm_v7", handle, dxDesc, wDesc, convDesc, dyDesc,
                CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, requestedAlgoCount, returnedAlgoCount, perfResults);
}

cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithm(cudnnHandle_t handle, cudnnFilterDescriptor_t wDesc,
                                                        cudnnTensorDescriptor_t dyDesc,
                                                        cudnnConvolutionDescriptor_t convDesc,
                                                        cudnnTensorDescriptor_t dxDesc, int requestedAlgoCount,
                                                        int *returnedAlgoCount, cudnnConvolutionAlgoPerf_t *perfResults) {
    return list("cudnnFindConvolutionBackwardDataAlgorithm", handle, dxDesc, wDesc, convDesc, dyDesc,
                CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, requestedAlgoCount, returnedAlgoCount, perfResults);
}

cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithmEx(cudnnHandle_t handle, cudnnFilterDescriptor_t wDesc,
                                                          const void *w, cudnnTensorDescriptor_t dyDesc, const void *dy,
                                                          cudnnConvolutionDescriptor_t convDesc,
                                                          cudnnTensorDescriptor_t dxDesc, void *dx,
                                                          int requestedAlgoCount, int *returnedAlgoCount,
                                                          cudnnConvolutionAlgoPerf_t *perfResults, void *workSpace,
                                                          size_t workSpaceSizeInBytes) {
    return list("cudnnFindConvolutionBackwardDataAlgorithmEx", handle, dxDesc, wDesc, convDesc, dyDesc,
                CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, requestedAlgoCount, returnedAlgoCount, perfResults);
}

cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(cudnnHandle_t handle, cudnnFilterDescriptor_t wDesc,
                                                           cudnnTensorDescriptor_t dyDesc,
                                                           cudnnConvolutionDescriptor_t convDesc,
                                                           cudnnTensorDescriptor_t dxDesc,
                                                           cudnnConvolutionBwdDataAlgo_t algo, size_t *sizeInBytes) {
    return workspace("cudnnGetConvolutionBackwardDataWorkspaceSize", handle, dxDesc, wDesc, convDesc, dyDesc, algo,
                     CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, sizeInBytes);
}

// ---- backward filter ---------------------------------------------------------------------------

cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(cudnnHandle_t handle, int *count) {
    return max_count("cudnnGetConvolutionBackwardFilterAlgorithmMaxCount", handle, count, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT);
}

cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithm_v7(cudnnHandle_t handle, cudnnTensorDescriptor_t srcDesc,
                                                            cudnnTensorDescriptor_t diffDesc,
                                                            cudnnConvolutionDescriptor_t convDesc,
                                                            cudnnFilterDescriptor_t gradDesc, int requestedAlgoCount,
                                                            int *returnedAlgoCount, cudnnConvolutionAlgoPerf_t *perfResults) {
    return list("cudnnGetConvolutionBackwardFilterAlgorithm_v7", handle, srcDesc, gradDesc, convDesc, diffDesc,
                CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, requestedAlgoCount, returnedAlgoCount, perfResults);
}

cudnnStatus_t cudnnFindConvolutionBackwardFilterAlgorithm(cudnnHandle_t handle, cudnnTensorDescriptor_t xDesc,
                                                          cudnnTensorDescriptor_t dyDesc,
                                                          cudnnConvolutionDescriptor_t convDesc,
                                                          cudnnFilterDescriptor_t dwDesc, int requestedAlgoCount,
                                                          int *returnedAlgoCount, cudnnConvolutionAlgoPerf_t *perfResults) {
    return list("cudnnFindConvolutionBackwardFilterAlgorithm", handle, xDesc, dwDesc, convDesc, dyDesc,
                CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, requestedAlgoCount, returnedAlgoCount, perfResults);
}

cudnnStatus_t cudnnFindConvolutionBackwardFilterAlgorithmEx(cudnnHandle_t handle, cudnnTensorDescriptor_t xDesc,
                                                            const void *x, cudnnTensorDescriptor_t dyDesc, const void *y,
                                                            cudnnConvolutionDescriptor_t convDesc,
                                                            cudnnFilterDescriptor_t dwDesc, void *dw,
                                                            int requestedAlgoCount, int *returnedAlgoCount,
                                                            cudnnConvolutionAlgoPerf_t *perfResults, void *workSpace,
                                                            size_t workSpaceSizeInBytes) {
    return list("cudnnFindConvolutionBackwardFilterAlgorithmEx", handle, xDesc, dwDesc, convDesc, dyDesc,
                CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, requestedAlgoCount, returnedAlgoCount, perfResults);
}

cudnnStatus_t cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnnHandle_t handle, cudnnTensorDescriptor_t xDesc,
                                                             cudnnTensorDescriptor_t dyDesc,
                                                             cudnnConvolutionDescriptor_t convDesc,
                                                             cudnnFilterDescriptor_t gradDesc,
                                                             cudnnConvolutionBwdFilterAlgo_t algo, size_t *sizeInBytes) {
    return workspace("cudnnGetConvolutionBackwardFilterWorkspaceSize", handle, xDesc, gradDesc, convDesc, dyDesc, algo,
                     CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, sizeInBytes);
}

}  // extern "C"
