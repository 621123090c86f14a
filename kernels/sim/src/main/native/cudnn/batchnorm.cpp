// cuDNN's batch normalisation on the simulated GPU, float, any strides, modes SPATIAL and
// SPATIAL_PERSISTENT (statistics per channel over N, H, W; the same computation here) and
// PER_ACTIVATION (per (c, h, w) over N). With M values per statistic:
//   training    mean = Σx/M, var = Σ(x - mean)²/M, invStd = 1/sqrt(var + ε)
//               y = alpha·(scale·(x - mean)·invStd + bias) + beta·y
//               running mean/var = (1 - factor)·running + factor·(mean, var·M/(M - 1)): the running
//               variance takes the unbiased estimate, as cuDNN's does; saveMean = mean,
//               saveInvVariance = invStd
//   inference   y = alpha·(scale·(x - estimatedMean)/sqrt(estimatedVariance + ε) + bias) + beta·y
//   backward    with xhat = (x - mean)·invStd (saved, or recomputed from x when both saved pointers
//               are NULL): dx = alphaDataDiff·scale·invStd·(dy - Σdy/M - xhat·Σ(dy·xhat)/M)
//               + betaDataDiff·dx, dScale = alphaParamDiff·Σ(dy·xhat) + betaParamDiff·dScale,
//               dBias = alphaParamDiff·Σdy + betaParamDiff·dBias
// Sums accumulate in double in a fixed order. A beta of 0 leaves its output unread.
#include <cmath>
#include <vector>

#include "descriptors.h"
#include "errors.h"
#include "layout.h"

using jclip_sim::blend_one;
using jclip_sim::check_pointers;
using jclip_sim::cudnn_fail;
using jclip_sim::for_each_element;
using jclip_sim::Tensor4d;

namespace {

// Where x's elements find their statistic and their parameters.
struct Layout {
    Tensor4d x, params;
    bool spatial;

    int count() const { return spatial ? x.c : x.c * x.h * x.w; }
    long per_statistic() const { return spatial ? static_cast<long>(x.n) * x.h * x.w : x.n; }
    int statistic(int c, int h, int w) const { return spatial ? c : (c * x.h + h) * x.w + w; }
    long parameter(int c, int h, int w) const { return spatial ? params.at(0, c, 0, 0) : params.at(0, c, h, w); }

    // visit(statistic index, parameter offset) once for each statistic.
    template <class Visit>
    void for_each_statistic(Visit visit) const {
        for (int c = 0; c < x.c; ++c)
            for (int h = 0; h < (spatial ? 1 : x.h); ++h)
                for (int w = 0; w < (spatial ? 1 : x.w); ++w) visit(statistic(c, h, w), parameter(c, h, w));
    }
};

cudnnStatus_t check_mode(const char *call, cudnnBatchNormMode_t mode) {
    if (mode == CUDNN_BATCHNORM_PER_ACTIVATION || mode == CUDNN_BATCHNORM_SPATIAL || mode == CUDNN_BATCHNORM_SPATIAL_PERSISTENT)
        return CUDNN_STATUS_SUCCESS;
    return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: mode %d", call, mode);
}

bool same_sizes(const Tensor4d &a, const Tensor4d &b) { return a.n == b.n && a.c == b.c && a.h == b.h && a.w == b.w; }

// Checks the mode, x, a tensor of x's size (y, dy or dx) and the parameter tensor.
cudnnStatus_t check(const char *call, cudnnHandle_t handle, cudnnBatchNormMode_t mode, cudnnTensorDescriptor_t x_desc,
                    std::initializer_list<cudnnTensorDescriptor_t> like_x, cudnnTensorDescriptor_t param_desc,
                    double epsilon, Layout *layout) {
    if (handle == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: handle is NULL", call);
    CUDNN_CHECK(check_mode(call, mode));
    layout->spatial = mode != CUDNN_BATCHNORM_PER_ACTIVATION;
    CUDNN_CHECK(jclip_sim::float_tensor_4d(call, "xDesc", x_desc, &layout->x));
    for (cudnnTensorDescriptor_t d : like_x) {
        Tensor4d other;
        CUDNN_CHECK(jclip_sim::float_tensor_4d(call, "the tensor of x's size", d, &other));
        if (!same_sizes(layout->x, other))
            return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: a tensor is [%d, %d, %d, %d], x is [%d, %d, %d, %d]", call, other.n,
                              other.c, other.h, other.w, layout->x.n, layout->x.c, layout->x.h, layout->x.w);
    }
    CUDNN_CHECK(jclip_sim::float_tensor_4d(call, "bnScaleBiasMeanVarDesc", param_desc, &layout->params));
    const Tensor4d &x = layout->x, &p = layout->params;
    bool fits = p.n == 1 && p.c == x.c && (layout->spatial ? p.h == 1 && p.w == 1 : p.h == x.h && p.w == x.w);
    if (!fits)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: the scale/bias/mean/variance tensor is [%d, %d, %d, %d], not %s", call,
                          p.n, p.c, p.h, p.w, layout->spatial ? "[1, C, 1, 1]" : "[1, C, H, W]");
    if (!(epsilon >= 0)) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: epsilon %g < 0", call, epsilon);
    return CUDNN_STATUS_SUCCESS;
}

struct Operand {
    const char *name;
    cudnnTensorDescriptor_t desc;
    const void *data;
};

// Checks that each operand lies in device memory; a NULL one is an optional output left out.
cudnnStatus_t check_memory(const char *call, std::initializer_list<Operand> operands) {
    for (const Operand &o : operands)
        if (o.data != nullptr) CUDNN_CHECK(jclip_sim::check_tensor_memory(call, o.name, o.desc, o.data));
    return CUDNN_STATUS_SUCCESS;
}

// Batch mean and Σ(x - mean)² per statistic.
void moments(const Layout &l, const float *x, std::vector<double> *mean, std::vector<double> *squares) {
    mean->assign(l.count(), 0.0);
    squares->assign(l.count(), 0.0);
    for_each_element(l.x, [&](int n, int c, int h, int w) { (*mean)[l.statistic(c, h, w)] += x[l.x.at(n, c, h, w)]; });
    for (double &m : *mean) m /= l.per_statistic();
    for_each_element(l.x, [&](int n, int c, int h, int w) {
        int i = l.statistic(c, h, w);
        double d = x[l.x.at(n, c, h, w)] - (*mean)[i];
        (*squares)[i] += d * d;
    });
}

// y = alpha·(scale·(x - mean)·invStd + bias) + beta·y, y in the layout of y_view.
void normalise(const Layout &l, const float *x, const Tensor4d &y_view, float *y, const float *scale, const float *bias,
               const std::vector<double> &mean, const std::vector<double> &inv_std, float alpha, float beta) {
    for_each_element(l.x, [&](int n, int c, int h, int w) {
        int i = l.statistic(c, h, w);
        long p = l.parameter(c, h, w);
        double value = scale[p] * (x[l.x.at(n, c, h, w)] - mean[i]) * inv_std[i] + bias[p];
        blend_one(y[y_view.at(n, c, h, w)], value, alpha, beta);
    });
}

}  // namespace

extern "C" {

cudnnStatus_t cudnnDeriveBNTensorDescriptor(cudnnTensorDescriptor_t derivedBnDesc, cudnnTensorDescriptor_t xDesc,
                                            cudnnBatchNormMode_t mode) {
    const char *call = "cudnnDeriveBNTensorDescriptor";
    if (derivedBnDesc == nullptr || xDesc == nullptr || !xDesc->set)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: a descriptor is NULL or xDesc is not set", call);
    if (xDesc->nb_dims != 4)
        return cudnn_fail(CUDNN_STATUS_NOT_SUPPORTED, "%s: xDesc has %d dimensions (the simulator computes 4)", call, xDesc->nb_dims);
    CUDNN_CHECK(check_mode(call, mode));
    bool spatial = mode != CUDNN_BATCHNORM_PER_ACTIVATION;
    int h = spatial ? 1 : xDesc->dims[2], w = spatial ? 1 : xDesc->dims[3];
    // Half and bfloat16 data keep their statistics in float, as cuDNN's derived descriptor says.
    cudnnDataType_t type = xDesc->type == CUDNN_DATA_DOUBLE ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
    int dims[4] = {1, xDesc->dims[1], h, w}, strides[4] = {dims[1] * h * w, h * w, w, 1};
    return cudnnSetTensorNdDescriptor(derivedBnDesc, type, 4, dims, strides);
}

cudnnStatus_t cudnnBatchNormalizationForwardTraining(
    cudnnHandle_t handle, cudnnBatchNormMode_t mode, const void *alpha, const void *beta, cudnnTensorDescriptor_t xDesc,
    const void *x, cudnnTensorDescriptor_t yDesc, void *y, cudnnTensorDescriptor_t bnScaleBiasMeanVarDesc,
    const void *bnScale, const void *bnBias, double exponentialAverageFactor, void *resultRunningMean,
    void *resultRunningVariance, double epsilon, void *resultSaveMean, void *resultSaveInvVariance) {
    const char *call = "cudnnBatchNormalizationForwardTraining";
    Layout l;
    CUDNN_CHECK(check(call, handle, mode, xDesc, {yDesc}, bnScaleBiasMeanVarDesc, epsilon, &l));
    CUDNN_CHECK(check_pointers(call, {alpha, beta, x, y, bnScale, bnBias}));
    if ((resultRunningMean == nullptr) != (resultRunningVariance == nullptr) ||
        (resultSaveMean == nullptr) != (resultSaveInvVariance == nullptr))
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: of the running mean and variance, or of the saved mean and inverse "
                          "variance, only one is NULL (both or neither)", call);
    if (l.per_statistic() < 2)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: %ld value per statistic: the unbiased variance needs at least 2", call, l.per_statistic());
    cudnnTensorDescriptor_t p = bnScaleBiasMeanVarDesc;
    CUDNN_CHECK(check_memory(call, {{"x", xDesc, x}, {"y", yDesc, y}, {"bnScale", p, bnScale}, {"bnBias", p, bnBias},
                                    {"resultRunningMean", p, resultRunningMean}, {"resultRunningVariance", p, resultRunningVariance},
                                    {"resultSaveMean", p, resultSaveMean}, {"resultSaveInvVariance", p, resultSaveInvVariance}}));
    Tensor4d yv;
    jclip_sim::float_tensor_4d(call, "yDesc", yDesc, &yv);
    return jclip_sim::guarded(call, [&] {
        const float *xp = static_cast<const float *>(x);
        std::vector<double> mean, squares, inv_std(l.count());
        moments(l, xp, &mean, &squares);
        long m = l.per_statistic();
        for (int i = 0; i < l.count(); ++i) inv_std[i] = 1.0 / std::sqrt(squares[i] / m + epsilon);
        normalise(l, xp, yv, static_cast<float *>(y), static_cast<const float *>(bnScale), static_cast<const float *>(bnBias),
                  mean, inv_std, jclip_sim::scaling_factor(alpha), jclip_sim::scaling_factor(beta));
        l.for_each_statistic([&](int i, long p) {
            if (resultRunningMean != nullptr) {
                float &rm = static_cast<float *>(resultRunningMean)[p], &rv = static_cast<float *>(resultRunningVariance)[p];
                rm = static_cast<float>((1.0 - exponentialAverageFactor) * rm + exponentialAverageFactor * mean[i]);
                rv = static_cast<float>((1.0 - exponentialAverageFactor) * rv + exponentialAverageFactor * squares[i] / (m - 1));
            }
            if (resultSaveMean != nullptr) {
                static_cast<float *>(resultSaveMean)[p] = static_cast<float>(mean[i]);
                static_cast<float *>(resultSaveInvVariance)[p] = static_cast<float>(inv_std[i]);
            }
        });
        return CUDNN_STATUS_SUCCESS;
    });
}

cudnnStatus_t cudnnBatchNormalizationForwardInference(
    cudnnHandle_t handle, cudnnBatchNormMode_t mode, const void *alpha, const void *beta, cudnnTensorDescriptor_t xDesc,
    const void *x, cudnnTensorDescriptor_t yDesc, void *y, cudnnTensorDescriptor_t bnScaleBiasMeanVarDesc,
    const void *bnScale, const void *bnBias, const void *estimatedMean, const void *estimatedVariance, double epsilon) {
    const char *call = "cudnnBatchNormalizationForwardInference";
    Layout l;
    CUDNN_CHECK(check(call, handle, mode, xDesc, {yDesc}, bnScaleBiasMeanVarDesc, epsilon, &l));
    CUDNN_CHECK(check_pointers(call, {alpha, beta, x, y, bnScale, bnBias, estimatedMean, estimatedVariance}));
    cudnnTensorDescriptor_t p = bnScaleBiasMeanVarDesc;
    CUDNN_CHECK(check_memory(call, {{"x", xDesc, x}, {"y", yDesc, y}, {"bnScale", p, bnScale}, {"bnBias", p, bnBias},
                                    {"estimatedMean", p, estimatedMean}, {"estimatedVariance", p, estimatedVariance}}));
    Tensor4d yv;
    jclip_sim::float_tensor_4d(call, "yDesc", yDesc, &yv);
    return jclip_sim::guarded(call, [&] {
        std::vector<double> mean(l.count()), inv_std(l.count());
        l.for_each_statistic([&](int i, long p) {
            mean[i] = static_cast<const float *>(estimatedMean)[p];
            inv_std[i] = 1.0 / std::sqrt(static_cast<const float *>(estimatedVariance)[p] + epsilon);
        });
        normalise(l, static_cast<const float *>(x), yv, static_cast<float *>(y), static_cast<const float *>(bnScale),
                  static_cast<const float *>(bnBias), mean, inv_std, jclip_sim::scaling_factor(alpha),
                  jclip_sim::scaling_factor(beta));
        return CUDNN_STATUS_SUCCESS;
    });
}

cudnnStatus_t cudnnBatchNormalizationBackward(
    cudnnHandle_t handle, cudnnBatchNormMode_t mode, const void *alphaDataDiff, const void *betaDataDiff,
    const void *alphaParamDiff, const void *betaParamDiff, cudnnTensorDescriptor_t xDesc, const void *x,
    cudnnTensorDescriptor_t dyDesc, const void *dy, cudnnTensorDescriptor_t dxDesc, void *dx,
    cudnnTensorDescriptor_t dBnScaleBiasDesc, const void *bnScale, void *dBnScaleResult, void *dBnBiasResult,
    double epsilon, const void *savedMean, const void *savedInvVariance) {
    const char *call = "cudnnBatchNormalizationBackward";
    Layout l;
    CUDNN_CHECK(check(call, handle, mode, xDesc, {dyDesc, dxDesc}, dBnScaleBiasDesc, epsilon, &l));
    CUDNN_CHECK(check_pointers(call, {alphaDataDiff, betaDataDiff, alphaParamDiff, betaParamDiff, x, dy, dx, bnScale,
                                      dBnScaleResult, dBnBiasResult}));
    if ((savedMean == nullptr) != (savedInvVariance == nullptr))
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: only one of savedMean and savedInvVariance is NULL (both or neither)", call);
    cudnnTensorDescriptor_t p = dBnScaleBiasDesc;
    CUDNN_CHECK(check_memory(call, {{"x", xDesc, x}, {"dy", dyDesc, dy}, {"dx", dxDesc, dx}, {"bnScale", p, bnScale},
                                    {"dBnScaleResult", p, dBnScaleResult}, {"dBnBiasResult", p, dBnBiasResult},
                                    {"savedMean", p, savedMean}, {"savedInvVariance", p, savedInvVariance}}));
    Tensor4d dyv, dxv;
    jclip_sim::float_tensor_4d(call, "dyDesc", dyDesc, &dyv);
    jclip_sim::float_tensor_4d(call, "dxDesc", dxDesc, &dxv);
    return jclip_sim::guarded(call, [&] {
        const float *xp = static_cast<const float *>(x), *dyp = static_cast<const float *>(dy);
        const float *scale = static_cast<const float *>(bnScale);
        long m = l.per_statistic();
        std::vector<double> mean, inv_std(l.count());
        if (savedMean != nullptr) {
            mean.resize(l.count());
            l.for_each_statistic([&](int i, long p) {
                mean[i] = static_cast<const float *>(savedMean)[p];
                inv_std[i] = static_cast<const float *>(savedInvVariance)[p];
            });
        } else {
            std::vector<double> squares;
            moments(l, xp, &mean, &squares);
            for (int i = 0; i < l.count(); ++i) inv_std[i] = 1.0 / std::sqrt(squares[i] / m + epsilon);
        }
        std::vector<double> sum_dy(l.count(), 0.0), sum_dy_xhat(l.count(), 0.0);
        for_each_element(l.x, [&](int n, int c, int h, int w) {
            int i = l.statistic(c, h, w);
            double g = dyp[dyv.at(n, c, h, w)];
            sum_dy[i] += g;
            sum_dy_xhat[i] += g * (xp[l.x.at(n, c, h, w)] - mean[i]) * inv_std[i];
        });
        float alpha_data = jclip_sim::scaling_factor(alphaDataDiff), beta_data = jclip_sim::scaling_factor(betaDataDiff);
        float *dxp = static_cast<float *>(dx);
        for_each_element(l.x, [&](int n, int c, int h, int w) {
            int i = l.statistic(c, h, w);
            double xhat = (xp[l.x.at(n, c, h, w)] - mean[i]) * inv_std[i];
            double g = scale[l.parameter(c, h, w)] * inv_std[i] *
                       (dyp[dyv.at(n, c, h, w)] - sum_dy[i] / m - xhat * sum_dy_xhat[i] / m);
            blend_one(dxp[dxv.at(n, c, h, w)], g, alpha_data, beta_data);
        });
        float alpha_param = jclip_sim::scaling_factor(alphaParamDiff), beta_param = jclip_sim::scaling_factor(betaParamDiff);
        l.for_each_statistic([&](int i, long p) {
            blend_one(static_cast<float *>(dBnScaleResult)[p], sum_dy_xhat[i], alpha_param, beta_param);
            blend_one(static_cast<float *>(dBnBiasResult)[p], sum_dy[i], alpha_param, beta_param);
        });
        return CUDNN_STATUS_SUCCESS;
    });
}

}  // extern "C"
