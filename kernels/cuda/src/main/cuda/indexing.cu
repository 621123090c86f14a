// Index-select, gather and their scatter-add backwards over [outer, dim, inner] views, as
// jclip.kernels.cpu.Indexing defines them, with I32 or I64 indices (one kernel for each). One thread
// per element of the [outer, count, inner] side, grid-stride. The adds use atomicAdd: repeated
// indices are the normal case (a token id used twice), and float atomics make their order, and so
// the last bits of a sum, vary from run to run.
//
// The CPU backend throws for an index outside [0, dim); a kernel cannot, so here such an index is
// recorded in the device's error record (device_error.cuh) under the launcher's site id, which the
// host reports at its next read or synchronize. Until then the element selects or gathers NaN rather
// than nothing, so that an output buffer never passes on stale memory as if it were data, and adds
// nothing.
#include "jclip_cuda.cuh"
#include "device_error.cuh"
#include "elements.cuh"

// Where element p of [outer, count, inner] comes from (or goes to) in [outer, dim, inner], given
// the index k along dim, read from element `position` of the index; -1, with k recorded as an
// error, when k is out of range.
__device__ __forceinline__ long long source_of(unsigned p, long long k, unsigned position, int count, int dim, int inner,
                                               DeviceError* error, int site) {
    if (k < 0 || k >= dim) {
        record_bad_index(error, site, k, dim, position);
        return -1;
    }
    unsigned j = p % inner, oi = p / inner, o = oi / count;
    return ((long long)o * dim + k) * inner + j;
}

// out[o, i, j] = src[o, index[i], j]; src [outer, srcDim, inner], index [count], out [outer, count, inner] (n elements).
template <class I>
__device__ void index_select(const float* src, const I* index, float* out, int srcDim, int count, int inner, int n,
                             DeviceError* error, int site) {
    GRID_STRIDE(p, n) {
        unsigned i = (p / inner) % count;
        long long at = source_of(p, index[i], i, count, srcDim, inner, error, site);
        out[p] = at < 0 ? __int_as_float(0x7fc00000) : src[at];
    }
}

// dst[o, index[i], j] += g[o, i, j]; g [outer, count, inner] (n elements), dst [outer, dstDim, inner].
template <class I>
__device__ void index_add(const float* g, const I* index, float* dst, int dstDim, int count, int inner, int n,
                          DeviceError* error, int site) {
    GRID_STRIDE(p, n) {
        unsigned i = (p / inner) % count;
        long long at = source_of(p, index[i], i, count, dstDim, inner, error, site);
        if (at >= 0) atomicAdd(dst + at, g[p]);
    }
}

// out[o, i, j] = src[o, index[o, i, j], j]; index and out [outer, count, inner] (n elements).
template <class I>
__device__ void gather(const float* src, const I* index, float* out, int srcDim, int count, int inner, int n,
                       DeviceError* error, int site) {
    GRID_STRIDE(p, n) {
        long long at = source_of(p, index[p], p, count, srcDim, inner, error, site);
        out[p] = at < 0 ? __int_as_float(0x7fc00000) : src[at];
    }
}

// dst[o, index[o, i, j], j] += g[o, i, j]; index and g [outer, count, inner] (n elements).
template <class I>
__device__ void scatter_add(const float* g, const I* index, float* dst, int dstDim, int count, int inner, int n,
                            DeviceError* error, int site) {
    GRID_STRIDE(p, n) {
        long long at = source_of(p, index[p], p, count, dstDim, inner, error, site);
        if (at >= 0) atomicAdd(dst + at, g[p]);
    }
}

extern "C" __global__ void jclip_index_select_i32(const float* src, const int* index, float* out, int srcDim,
                                                  int count, int inner, int n, DeviceError* error, int site) {
    index_select(src, index, out, srcDim, count, inner, n, error, site);
}
extern "C" __global__ void jclip_index_select_i64(const float* src, const long long* index, float* out, int srcDim,
                                                  int count, int inner, int n, DeviceError* error, int site) {
    index_select(src, index, out, srcDim, count, inner, n, error, site);
}
extern "C" __global__ void jclip_index_add_i32(const float* g, const int* index, float* dst, int dstDim, int count,
                                               int inner, int n, DeviceError* error, int site) {
    index_add(g, index, dst, dstDim, count, inner, n, error, site);
}
extern "C" __global__ void jclip_index_add_i64(const float* g, const long long* index, float* dst, int dstDim,
                                               int count, int inner, int n, DeviceError* error, int site) {
    index_add(g, index, dst, dstDim, count, inner, n, error, site);
}
extern "C" __global__ void jclip_gather_i32(const float* src, const int* index, float* out, int srcDim, int count,
                                            int inner, int n, DeviceError* error, int site) {
    gather(src, index, out, srcDim, count, inner, n, error, site);
}
extern "C" __global__ void jclip_gather_i64(const float* src, const long long* index, float* out, int srcDim,
                                            int count, int inner, int n, DeviceError* error, int site) {
    gather(src, index, out, srcDim, count, inner, n, error, site);
}
extern "C" __global__ void jclip_scatter_add_i32(const float* g, const int* index, float* dst, int dstDim, int count,
                                                 int inner, int n, DeviceError* error, int site) {
    scatter_add(g, index, dst, dstDim, count, inner, n, error, site);
}
extern "C" __global__ void jclip_scatter_add_i64(const float* g, const long long* index, float* dst, int dstDim,
                                                 int count, int inner, int n, DeviceError* error, int site) {
    scatter_add(g, index, dst, dstDim, count, inner, n, error, site);
}
