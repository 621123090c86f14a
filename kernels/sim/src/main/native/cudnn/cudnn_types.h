// The cuDNN 9 types and enum values the stand-in needs, written from the cuDNN documentation so
// that the simulator builds without cuDNN's headers, and the descriptors' contents.
//
// Statuses are cuDNN 9's (JCudnn 12.6.0's JNI library was built against cuDNN 9 headers): 0 is
// success as before, but the errors were renumbered (BAD_PARAM 3 became 2000, NOT_SUPPORTED 9 became
// 3000). JCudnn 11.7.0's Java class cudnnStatus still has cuDNN 8's numbers, so its exceptions name
// a cuDNN 9 error "INVALID cudnnStatus: 2000"; the other enums below kept their values.
#pragma once

#include <cstddef>

extern "C" {

typedef enum {
    CUDNN_STATUS_SUCCESS = 0,
    CUDNN_STATUS_NOT_INITIALIZED = 1001,
    CUDNN_STATUS_BAD_PARAM = 2000,
    CUDNN_STATUS_BAD_PARAM_NULL_POINTER = 2002,
    CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH = 2008,
    CUDNN_STATUS_NOT_SUPPORTED = 3000,
    CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE = 3003,
    CUDNN_STATUS_NOT_SUPPORTED_LAYOUT = 3004,
    CUDNN_STATUS_INTERNAL_ERROR = 4000,
    CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED = 4003,
    CUDNN_STATUS_EXECUTION_FAILED = 5000,
} cudnnStatus_t;

typedef enum {
    CUDNN_DATA_FLOAT = 0,
    CUDNN_DATA_DOUBLE = 1,
    CUDNN_DATA_HALF = 2,
    CUDNN_DATA_BFLOAT16 = 9,
} cudnnDataType_t;

typedef enum { CUDNN_TENSOR_NCHW = 0, CUDNN_TENSOR_NHWC = 1, CUDNN_TENSOR_NCHW_VECT_C = 2 } cudnnTensorFormat_t;

typedef enum { CUDNN_CONVOLUTION = 0, CUDNN_CROSS_CORRELATION = 1 } cudnnConvolutionMode_t;

typedef enum {
    CUDNN_DEFAULT_MATH = 0,
    CUDNN_TENSOR_OP_MATH = 1,
    CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION = 2,
    CUDNN_FMA_MATH = 3,
} cudnnMathType_t;

typedef enum { CUDNN_DEFAULT_REORDER = 0, CUDNN_NO_REORDER = 1 } cudnnReorderType_t;

typedef enum { CUDNN_NON_DETERMINISTIC = 0, CUDNN_DETERMINISTIC = 1 } cudnnDeterminism_t;

typedef enum {
    CUDNN_BATCHNORM_PER_ACTIVATION = 0,
    CUDNN_BATCHNORM_SPATIAL = 1,
    CUDNN_BATCHNORM_SPATIAL_PERSISTENT = 2,
} cudnnBatchNormMode_t;

// Algorithm enums: only their counts matter here (every algorithm runs the same code).
typedef int cudnnConvolutionFwdAlgo_t;
typedef int cudnnConvolutionBwdDataAlgo_t;
typedef int cudnnConvolutionBwdFilterAlgo_t;
enum {
    CUDNN_CONVOLUTION_FWD_ALGO_COUNT = 8,
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT = 6,
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT = 7,
};

// cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t share this layout (JCudnn's JNI fills it).
typedef struct {
    int algo;
    cudnnStatus_t status;
    float time;
    size_t memory;
    cudnnDeterminism_t determinism;
    cudnnMathType_t mathType;
    int reserved[3];
} cudnnConvolutionAlgoPerf_t;

// libraryPropertyType_t
enum { MAJOR_VERSION = 0, MINOR_VERSION = 1, PATCH_LEVEL = 2 };
typedef int libraryPropertyType;

typedef struct CUstream_st *cudaStream_t;
typedef struct cudnnContext *cudnnHandle_t;
typedef struct cudnnTensorStruct *cudnnTensorDescriptor_t;
typedef struct cudnnFilterStruct *cudnnFilterDescriptor_t;
typedef struct cudnnConvolutionStruct *cudnnConvolutionDescriptor_t;

}  // extern "C"

constexpr int CUDNN_DIM_MAX = 8;

// Work runs synchronously on the calling thread, as in the cuBLAS stand-in; the stream is only remembered.
struct cudnnContext {
    cudaStream_t stream = nullptr;
};

// A tensor: nb_dims sizes and strides (in elements), set or not yet.
struct cudnnTensorStruct {
    bool set = false;
    cudnnDataType_t type = CUDNN_DATA_FLOAT;
    int nb_dims = 0;
    int dims[CUDNN_DIM_MAX] = {};
    int strides[CUDNN_DIM_MAX] = {};
};

// A filter: [K, C, R, S] sizes, stored KCRS (NCHW format) or KRSC (NHWC format).
struct cudnnFilterStruct {
    bool set = false;
    cudnnDataType_t type = CUDNN_DATA_FLOAT;
    cudnnTensorFormat_t format = CUDNN_TENSOR_NCHW;
    int nb_dims = 0;
    int dims[CUDNN_DIM_MAX] = {};
};

// A convolution over spatial_dims dimensions (the stand-in computes 2).
struct cudnnConvolutionStruct {
    bool set = false;
    int spatial_dims = 0;
    int pad[CUDNN_DIM_MAX - 2] = {};
    int stride[CUDNN_DIM_MAX - 2] = {};
    int dilation[CUDNN_DIM_MAX - 2] = {};
    cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
    cudnnDataType_t compute_type = CUDNN_DATA_FLOAT;
    int groups = 1;
    cudnnMathType_t math_type = CUDNN_DEFAULT_MATH;
    cudnnReorderType_t reorder_type = CUDNN_DEFAULT_REORDER;
};
