// Index-select, gather and their scatter-add backwards over [outer, dim, inner] views, as
// jclip.kernels.cpu.Indexing defines them, with I32 or I64 indices (one kernel for each). One thread
// per element of the [outer, count, inner] side, grid-stride. The adds use atomicAdd: repeated
// indices are the normal case (a token id used twice), and float atomics make their order, and so
// the last bits of a sum, vary from run to run.
//
// The CPU backend throws for an index outside [0, dim); a kernel cannot, so here such an index
// selects or gathers NaN (which shows up downstream) and adds nothing.
#include "jclip_cuda.cuh"
#include "elements.cuh"

// Where element p of [outer, count, inner] comes from (or goes to) in [outer, dim, inner], given
// the index k along dim; -1 when k is out of range.
__device__ __forceinline__ long long source_of(unsigned p, long long k, int count, int dim, int inner) {
    if (k < 0 || k >= dim) return -1;
    unsigned j = p % inner, oi = p / inner, o = oi / count;
    return ((long long)o * dim + k) * inner + j;
}

// out[o, i, j] = src[o, index[i], j]; src [outer, srcDim, inner], index [count], out [outer, count, inner] (n elements).
template <class I>
__device__ void index_select(const float* src, const I* index, float* out, int srcDim, int count, int inner, int n) {
    GRID_STRIDE(p, n) {
        long long at = source_of(p, index[(p / inner) % count], count, srcDim, inner);
        out[p] = at < 0 ? __int_as_float(0x7fc00000) : src[at];
    }
}

// dst[o, index[i], j] += g[o, i, j]; g [outer, count, inner] (n elements), dst [outer, dstDim, inner].
template <class I>
__device__ void index_add(const float* g, const I* index, float* dst, int dstDim, int count, int inner, int n) {
    GRID_STRIDE(p, n) {
        long long at = source_of(p, index[(p / inner) % count], count, dstDim, inner);
        if (at >= 0) atomicAdd(dst + at, g[p]);
    }
}

// out[o, i, j] = src[o, index[o, i, j], j]; index and out [outer, count, inner] (n elements).
template <class I>
__device__ void gather(const float* src, const I* index, float* out, int srcDim, int count, int inner, int n) {
    GRID_STRIDE(p, n) {
        long long at = source_of(p, index[p], count, srcDim, inner);
        out[p] = at < 0 ? __int_as_float(0x7fc00000) : src[at];
    }
}

// dst[o, index[o, i, j], j] += g[o, i, j]; index and g [outer, count, inner] (n elements).
template <class I>
__device__ void scatter_add(const float* g, const I* index, float* dst, int dstDim, int count, int inner, int n) {
    GRID_STRIDE(p, n) {
        long long at = source_of(p, index[p], count, dstDim, inner);
        if (at >= 0) atomicAdd(dst + at, g[p]);
    }
}

extern "C" __global__ void jclip_index_select_i32(const float* src, const int* index, float* out, int srcDim,
                                                  int count, int inner, int n) {
    index_select(src, index, out, srcDim, count, inner, n);
}
extern "C" __global__ void jclip_index_select_i64(const float* src, const long long* index, float* out, int srcDim,
                                                  int count, int inner, int n) {
    index_select(src, index, out, srcDim, count, inner, n);
}
extern "C" __global__ void jclip_index_add_i32(const float* g, const int* index, float* dst, int dstDim, int count,
                                               int inner, int n) {
    index_add(g, index, dst, dstDim, count, inner, n);
}
extern "C" __global__ void jclip_index_add_i64(const float* g, const long long* index, float* dst, int dstDim,
                                               int count, int inner, int n) {
    index_add(g, index, dst, dstDim, count, inner, n);
}
extern "C" __global__ void jclip_gather_i32(const float* src, const int* index, float* out, int srcDim, int count,
                                            int inner, int n) {
    gather(src, index, out, srcDim, count, inner, n);
}
extern "C" __global__ void jclip_gather_i64(const float* src, const long long* index, float* out, int srcDim,
                                            int count, int inner, int n) {
    gather(src, index, out, srcDim, count, inner, n);
}
extern "C" __global__ void jclip_scatter_add_i32(const float* g, const int* index, float* dst, int dstDim, int count,
                                                 int inner, int n) {
    scatter_add(g, index, dst, dstDim, count, inner, n);
}
extern "C" __global__ void jclip_scatter_add_i64(const float* g, const long long* index, float* dst, int dstDim,
                                                 int count, int inner, int n) {
    scatter_add(g, index, dst, dstDim, count, inner, n);
}
