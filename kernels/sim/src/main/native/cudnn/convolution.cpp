// cuDNN's 2-d convolutions on the simulated GPU: forward, backward data, backward filter and
// backward bias, float only, any tensor strides, KCRS or KRSC filters, padding, stride, dilation,
// groups, and both modes (CUDNN_CONVOLUTION mirrors the filter, CUDNN_CROSS_CORRELATION does not).
// Every algorithm number runs the same code, and the workspace is never used (but must lie in
// device memory, as every operand must: descriptors.h).
//
// Method: im2col + GEMM (gemm_engine.h), over chunks of images. For images [n0, n0 + count) and
// group g, col[(c·R + r)·S + s][t] = x[n0 + i, g·Cg + c, oh·u - pad + r·dil, ow·v - pad + s·dil]
// (0 outside x) with t = (i·Ho + oh)·Wo + ow; then, per group, with Wg the group's filters [Kg, CRS]
// and yg, dyg [Kg, T] (T = count·Ho·Wo):
//   forward          yg   = Wg · col
//   backward data    dcol = Wgᵀ · dyg, then dx += col2im(dcol) (the adjoint of im2col)
//   backward filter  dWg += dyg · colᵀ, summed over all chunks
// Inputs are first packed to NCHW and results blended into the output's own layout (layout.h).
#include <algorithm>
#include <vector>

#include "../cublas/gemm_engine.h"
#include "descriptors.h"
#include "errors.h"
#include "layout.h"

using jclip_sim::ConvGeometry;
using jclip_sim::cudnn_fail;
using jclip_sim::Tensor4d;

namespace {

// Caps the im2col buffer of a chunk (in floats, 32 MiB) while keeping at least one image.
constexpr long COL_BUFFER_MAX = 8L << 20;

long column_rows(const ConvGeometry &g) { return static_cast<long>(g.c_group) * g.r * g.s; }
long positions(const ConvGeometry &g) { return static_cast<long>(g.h_out) * g.w_out; }
int k_group(const ConvGeometry &g) { return g.k / g.groups; }

int images_per_chunk(const ConvGeometry &g) {
    long per_image = column_rows(g) * positions(g);
    return static_cast<int>(std::max(1L, std::min<long>(g.n, COL_BUFFER_MAX / std::max(1L, per_image))));
}

// Offset of filter element (k, c, r, s) in the filter's stored format.
long filter_index(const ConvGeometry &g, int k, int c, int r, int s) {
    if (g.format == CUDNN_TENSOR_NHWC) return ((static_cast<long>(k) * g.r + r) * g.s + s) * g.c_group + c;
    return ((static_cast<long>(k) * g.c_group + c) * g.r + r) * g.s + s;
}

// visit(offset) for every filter element in packed KCRS order, where offset is the element's place in
// the filter's stored format, mirrored in r and s for CUDNN_CONVOLUTION so that every computation
// below is a cross-correlation.
template <class Visit>
void for_each_filter_element(const ConvGeometry &g, Visit visit) {
    for (int k = 0; k < g.k; ++k)
        for (int c = 0; c < g.c_group; ++c)
            for (int r = 0; r < g.r; ++r)
                for (int s = 0; s < g.s; ++s) visit(filter_index(g, k, c, g.flip ? g.r - 1 - r : r, g.flip ? g.s - 1 - s : s));
}

std::vector<float> packed_filter(const ConvGeometry &g, const float *w) {
    std::vector<float> out(static_cast<size_t>(g.k) * column_rows(g));
    float *o = out.data();
    for_each_filter_element(g, [&](long i) { *o++ = w[i]; });
    return out;
}

// Visits every (column row, column index, input offset) of images [n0, n0 + count) of group grp
// whose input position lies inside x (packed NCHW); positions in the padding are skipped.
template <class Visit>
void for_each_tap(const ConvGeometry &g, int n0, int count, int grp, Visit visit) {
    long t_count = static_cast<long>(count) * positions(g);
    for (int c = 0; c < g.c_group; ++c)
        for (int r = 0; r < g.r; ++r)
            for (int s = 0; s < g.s; ++s) {
                long row = (static_cast<long>(c) * g.r + r) * g.s + s;
                for (int i = 0; i < count; ++i) {
                    long plane = (static_cast<long>(n0 + i) * g.c + grp * g.c_group + c) * g.h * g.w;
                    for (int oh = 0; oh < g.h_out; ++oh) {
                        int ih = oh * g.stride_h - g.pad_h + r * g.dilation_h;
                        if (ih < 0 || ih >= g.h) continue;
                        long t = (static_cast<long>(i) * g.h_out + oh) * g.w_out;
                        for (int ow = 0; ow < g.w_out; ++ow) {
                            int iw = ow * g.stride_w - g.pad_w + s * g.dilation_w;
                            if (iw >= 0 && iw < g.w) visit(row * t_count + t + ow, plane + static_cast<long>(ih) * g.w + iw);
                        }
                    }
                }
            }
}

void im2col(const ConvGeometry &g, const float *x, int n0, int count, int grp, float *col) {
    std::fill(col, col + column_rows(g) * count * positions(g), 0.0f);
    for_each_tap(g, n0, count, grp, [&](long ci, long xi) { col[ci] = x[xi]; });
}

void col2im_add(const ConvGeometry &g, const float *col, int n0, int count, int grp, float *dx) {
    for_each_tap(g, n0, count, grp, [&](long ci, long xi) { dx[xi] += col[ci]; });
}

// [Kg, T] rows of group grp, images [n0, n0 + count), from or to a packed [N, K, Ho·Wo] tensor.
void gather_group(const ConvGeometry &g, const float *y, int n0, int count, int grp, float *yg) {
    long p = positions(g), t_count = count * p;
    for (int kk = 0; kk < k_group(g); ++kk)
        for (int i = 0; i < count; ++i)
            std::copy_n(y + ((static_cast<long>(n0 + i) * g.k + grp * k_group(g) + kk) * p), p, yg + kk * t_count + i * p);
}

void scatter_group(const ConvGeometry &g, const float *yg, int n0, int count, int grp, float *y) {
    long p = positions(g), t_count = count * p;
    for (int kk = 0; kk < k_group(g); ++kk)
        for (int i = 0; i < count; ++i)
            std::copy_n(yg + kk * t_count + i * p, p, y + ((static_cast<long>(n0 + i) * g.k + grp * k_group(g) + kk) * p));
}

// step(n0, count, t, grp, col, yg) for each chunk of images [n0, n0 + count) and each group, with
// T = t positions; col (CRS x T) and yg (Kg x T) are scratch sized for the largest chunk.
template <class Step>
void for_each_chunk(const ConvGeometry &g, Step step) {
    int chunk = images_per_chunk(g);
    std::vector<float> col(column_rows(g) * chunk * positions(g)), yg(static_cast<long>(k_group(g)) * chunk * positions(g));
    for (int n0 = 0; n0 < g.n; n0 += chunk) {
        int count = std::min(chunk, g.n - n0);
        int t = static_cast<int>(count * positions(g));
        for (int grp = 0; grp < g.groups; ++grp) step(n0, count, t, grp, col.data(), yg.data());
    }
}

// C (column-major m x n, ldc) = op(A)·op(B) + beta·C, all float.
void multiply(int m, int n, int k, const float *a, bool ta, long lda, const float *b, bool tb, long ldb, float beta,
              float *c, long ldc) {
    using jclip_sim::Element;
    jclip_sim::GemmProblem p{m, n, k, 1.0f, beta, {a, Element::F32, ta, lda}, {b, Element::F32, tb, ldb}, c, Element::F32, ldc};
    jclip_sim::gemm(&p, 1, jclip_sim::InputRounding::NONE);
}

// Checks what all three directions share: the shapes, the algorithm number and the data pointers.
cudnnStatus_t check(const char *call, cudnnHandle_t handle, cudnnTensorDescriptor_t x_desc,
                    cudnnFilterDescriptor_t w_desc, cudnnConvolutionDescriptor_t conv, cudnnTensorDescriptor_t y_desc,
                    int algo, int algo_count, std::initializer_list<const void *> pointers, ConvGeometry *g,
                    Tensor4d *x, Tensor4d *y) {
    CUDNN_CHECK(jclip_sim::convolution_shapes(call, handle, x_desc, w_desc, conv, y_desc, g, x, y));
    if (algo < 0 || algo >= algo_count) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: algo %d (0 to %d)", call, algo, algo_count - 1);
    return jclip_sim::check_pointers(call, pointers);
}

}  // namespace

extern "C" {

// y = alpha·conv(x, w) + beta·y
cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t handle, const void *alpha, cudnnTensorDescriptor_t xDesc,
                                      const void *x, cudnnFilterDescriptor_t wDesc, const void *w,
                                      cudnnConvolutionDescriptor_t convDesc, cudnnConvolutionFwdAlgo_t algo,
                                      void *workSpace, size_t workSpaceSizeInBytes, const void *beta,
                                      cudnnTensorDescriptor_t yDesc, void *y) {
    const char *call = "cudnnConvolutionForward";
    ConvGeometry g;
    Tensor4d xv, yv;
    CUDNN_CHECK(check(call, handle, xDesc, wDesc, convDesc, yDesc, algo, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                      {alpha, beta, x, w, y}, &g, &xv, &yv));
    CUDNN_CHECK(jclip_sim::check_tensor_memory(call, "x", xDesc, x));
    CUDNN_CHECK(jclip_sim::check_filter_memory(call, "w", wDesc, w));
    CUDNN_CHECK(jclip_sim::check_tensor_memory(call, "y", yDesc, y));
    CUDNN_CHECK(jclip_sim::check_workspace_memory(call, workSpace, workSpaceSizeInBytes));
    return jclip_sim::guarded(call, [&] {
        std::vector<float> xp = jclip_sim::gather(xv, static_cast<const float *>(x));
        std::vector<float> wp = packed_filter(g, static_cast<const float *>(w));
        std::vector<float> out(yv.size());
        long crs = column_rows(g);
        for_each_chunk(g, [&](int n0, int count, int t, int grp, float *col, float *yg) {
            im2col(g, xp.data(), n0, count, grp, col);
            // yg [Kg, T] row-major is column-major T x Kg: colᵀ (T x CRS) · Wgᵀ (CRS x Kg).
            multiply(t, k_group(g), static_cast<int>(crs), col, false, t, wp.data() + grp * k_group(g) * crs, false, crs,
                     0.0f, yg, t);
            scatter_group(g, yg, n0, count, grp, out.data());
        });
        jclip_sim::blend(yv, static_cast<float *>(y), out.data(), jclip_sim::scaling_factor(alpha), jclip_sim::scaling_factor(beta));
        return CUDNN_STATUS_SUCCESS;
    });
}

// dx = alpha·(gradient of the convolution with respect to its input, given dy) + beta·dx
cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t handle, const void *alpha, cudnnFilterDescriptor_t wDesc,
                                           const void *w, cudnnTensorDescriptor_t dyDesc, const void *dy,
                                           cudnnConvolutionDescriptor_t convDesc, cudnnConvolutionBwdDataAlgo_t algo,
                                           void *workSpace, size_t workSpaceSizeInBytes, const void *beta,
                                           cudnnTensorDescriptor_t dxDesc, void *dx) {
    const char *call = "cudnnConvolutionBackwardData";
    ConvGeometry g;
    Tensor4d dxv, dyv;
    CUDNN_CHECK(check(call, handle, dxDesc, wDesc, convDesc, dyDesc, algo, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT,
                      {alpha, beta, w, dy, dx}, &g, &dxv, &dyv));
    CUDNN_CHECK(jclip_sim::check_filter_memory(call, "w", wDesc, w));
    CUDNN_CHECK(jclip_sim::check_tensor_memory(call, "dy", dyDesc, dy));
    CUDNN_CHECK(jclip_sim::check_tensor_memory(call, "dx", dxDesc, dx));
    CUDNN_CHECK(jclip_sim::check_workspace_memory(call, workSpace, workSpaceSizeInBytes));
    return jclip_sim::guarded(call, [&] {
        std::vector<float> dyp = jclip_sim::gather(dyv, static_cast<const float *>(dy));
        std::vector<float> wp = packed_filter(g, static_cast<const float *>(w));
        std::vector<float> out(dxv.size(), 0.0f);
        long crs = column_rows(g);
        for_each_chunk(g, [&](int n0, int count, int t, int grp, float *col, float *dyg) {
            gather_group(g, dyp.data(), n0, count, grp, dyg);
            // dcol [CRS, T] row-major is column-major T x CRS: dygᵀ (T x Kg) · Wg (Kg x CRS).
            multiply(t, static_cast<int>(crs), k_group(g), dyg, false, t, wp.data() + grp * k_group(g) * crs, true, crs,
                     0.0f, col, t);
            col2im_add(g, col, n0, count, grp, out.data());
        });
        jclip_sim::blend(dxv, static_cast<float *>(dx), out.data(), jclip_sim::scaling_factor(alpha), jclip_sim::scaling_factor(beta));
        return CUDNN_STATUS_SUCCESS;
    });
}

// dw = alpha·(gradient of the convolution with respect to its filter, given x and dy) + beta·dw
cudnnStatus_t cudnnConvolutionBackwardFilter(cudnnHandle_t handle, const void *alpha, cudnnTensorDescriptor_t xDesc,
                                             const void *x, cudnnTensorDescriptor_t dyDesc, const void *dy,
                                             cudnnConvolutionDescriptor_t convDesc,
                                             cudnnConvolutionBwdFilterAlgo_t algo, void *workSpace,
                                             size_t workSpaceSizeInBytes, const void *beta,
                                             cudnnFilterDescriptor_t dwDesc, void *dw) {
    const char *call = "cudnnConvolutionBackwardFilter";
    ConvGeometry g;
    Tensor4d xv, dyv;
    CUDNN_CHECK(check(call, handle, xDesc, dwDesc, convDesc, dyDesc, algo, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
                      {alpha, beta, x, dy, dw}, &g, &xv, &dyv));
    CUDNN_CHECK(jclip_sim::check_tensor_memory(call, "x", xDesc, x));
    CUDNN_CHECK(jclip_sim::check_tensor_memory(call, "dy", dyDesc, dy));
    CUDNN_CHECK(jclip_sim::check_filter_memory(call, "dw", dwDesc, dw));
    CUDNN_CHECK(jclip_sim::check_workspace_memory(call, workSpace, workSpaceSizeInBytes));
    return jclip_sim::guarded(call, [&] {
        std::vector<float> xp = jclip_sim::gather(xv, static_cast<const float *>(x));
        std::vector<float> dyp = jclip_sim::gather(dyv, static_cast<const float *>(dy));
        long crs = column_rows(g);
        std::vector<float> grad(static_cast<size_t>(g.k) * crs, 0.0f);  // packed KCRS, cross-correlation form
        for_each_chunk(g, [&](int n0, int count, int t, int grp, float *col, float *dyg) {
            im2col(g, xp.data(), n0, count, grp, col);
            gather_group(g, dyp.data(), n0, count, grp, dyg);
            // dWgᵀ (CRS x Kg, column-major = dWg [Kg, CRS] row-major) += col (CRS x T) · dygᵀ (T x Kg).
            multiply(static_cast<int>(crs), k_group(g), t, col, true, t, dyg, false, t, 1.0f,
                     grad.data() + grp * k_group(g) * crs, crs);
        });
        float a = jclip_sim::scaling_factor(alpha), b = jclip_sim::scaling_factor(beta);
        const float *gp = grad.data();
        for_each_filter_element(g, [&](long i) { jclip_sim::blend_one(static_cast<float *>(dw)[i], *gp++, a, b); });
        return CUDNN_STATUS_SUCCESS;
    });
}

// db[k] = alpha·sum over n, h, w of dy[n, k, h, w] + beta·db[k], db described as [1, K, 1, 1]
cudnnStatus_t cudnnConvolutionBackwardBias(cudnnHandle_t handle, const void *alpha, cudnnTensorDescriptor_t dyDesc,
                                           const void *dy, const void *beta, cudnnTensorDescriptor_t dbDesc, void *db) {
    const char *call = "cudnnConvolutionBackwardBias";
    if (handle == nullptr) return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: handle is NULL", call);
    Tensor4d dyv, dbv;
    CUDNN_CHECK(jclip_sim::float_tensor_4d(call, "dyDesc", dyDesc, &dyv));
    CUDNN_CHECK(jclip_sim::float_tensor_4d(call, "dbDesc", dbDesc, &dbv));
    if (dbv.n != 1 || dbv.c != dyv.c || dbv.h != 1 || dbv.w != 1)
        return cudnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: dbDesc is [%d, %d, %d, %d], not [1, %d, 1, 1]", call, dbv.n, dbv.c, dbv.h, dbv.w, dyv.c);
    CUDNN_CHECK(jclip_sim::check_pointers(call, {alpha, beta, dy, db}));
    CUDNN_CHECK(jclip_sim::check_tensor_memory(call, "dy", dyDesc, dy));
    CUDNN_CHECK(jclip_sim::check_tensor_memory(call, "db", dbDesc, db));
    const float *in = static_cast<const float *>(dy);
    float *out = static_cast<float *>(db);
    float a = jclip_sim::scaling_factor(alpha), b = jclip_sim::scaling_factor(beta);
    for (int k = 0; k < dyv.c; ++k) {
        double sum = 0;
        for (int n = 0; n < dyv.n; ++n)
            for (int h = 0; h < dyv.h; ++h)
                for (int w = 0; w < dyv.w; ++w) sum += in[dyv.at(n, k, h, w)];
        jclip_sim::blend_one(out[dbv.at(0, k, 0, 0)], static_cast<float>(sum), a, b);
    }
    return CUDNN_STATUS_SUCCESS;
}

}  // extern "C"
