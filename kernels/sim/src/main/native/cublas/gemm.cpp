// cuBLAS's matrix products on the simulated GPU: cublasSgemm, cublasSgemmEx, cublasGemmEx and their
// strided-batched and pointer-array batched forms, each also in its 64-bit-size (_64) form.
//
// Arguments are checked as cuBLAS documents it, in the same order: a NULL handle is
// NOT_INITIALIZED; a bad transpose, a negative size or batch count, or a leading dimension smaller
// than the rows of the stored matrix (at least 1) is INVALID_VALUE; a type combination, compute type
// or algorithm that cuBLAS has but the stand-in does not implement is NOT_SUPPORTED. Each refusal
// names the argument (errors.h). Then, stricter than cuBLAS, every operand the call reads or writes
// (A and B only when k > 0 and alpha != 0; alpha and beta in device pointer mode; the pointer arrays
// and each member) must lie inside one live allocation, else INVALID_VALUE: on a GPU a wrong leading
// dimension, stride or offset faults or silently reads another allocation's data.
//
// Numerics: inputs of any type are widened to float and accumulated in float (gemm_engine.h). The
// tensor cores' down-conversion of float inputs is emulated where cuBLAS allows it: TF32 rounding
// for CUBLAS_COMPUTE_32F_FAST_TF32 and for float products under CUBLAS_TF32_TENSOR_OP_MATH (not
// under CUBLAS_COMPUTE_32F_PEDANTIC), bfloat16 and half rounding for the _FAST_16BF and _FAST_16F
// compute types.
#include <climits>
#include <cstdint>
#include <cstdio>
#include <new>
#include <vector>

#include "cublas_types.h"
#include "errors.h"
#include "gemm_engine.h"
#include "jclip_sim_abi.h"

using jclip_sim::cublas_fail;
using jclip_sim::Element;
using jclip_sim::InputRounding;

namespace {

// One call's arguments, whatever entry point it came through; the matrices of batch member i are
// found by the entry point's locate function.
struct Call {
    const char *name;
    cublasHandle_t handle;
    cublasOperation_t transa, transb;
    int64_t m, n, k, lda, ldb, ldc, batch;
    cudaDataType_t atype, btype, ctype;
    cublasComputeType_t compute;
    cublasGemmAlgo_t algo;
    const void *alpha, *beta;
};

bool valid_operation(cublasOperation_t op) { return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C; }

const char *type_name(cudaDataType_t t) {
    switch (t) {
    case CUDA_R_32F: return "CUDA_R_32F";
    case CUDA_R_64F: return "CUDA_R_64F";
    case CUDA_R_16F: return "CUDA_R_16F";
    case CUDA_R_16BF: return "CUDA_R_16BF";
    }
    return "a cudaDataType the simulator does not implement";
}

bool element_of(cudaDataType_t t, Element *e) {
    switch (t) {
    case CUDA_R_32F: *e = Element::F32; return true;
    case CUDA_R_16F: *e = Element::F16; return true;
    case CUDA_R_16BF: *e = Element::BF16; return true;
    }
    return false;
}

size_t element_bytes(Element e) { return e == Element::F32 ? 4 : 2; }

bool known_algo(cublasGemmAlgo_t algo) {
    return (algo >= CUBLAS_GEMM_DEFAULT && algo <= 23) || (algo >= CUBLAS_GEMM_DEFAULT_TENSOR_OP && algo <= 115);
}

cublasStatus_t check_sizes(const Call &c) {
    if (c.handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (!valid_operation(c.transa)) return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "%s: transa = %d is not N, T or C", c.name, c.transa);
    if (!valid_operation(c.transb)) return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "%s: transb = %d is not N, T or C", c.name, c.transb);
    if (c.m < 0 || c.n < 0 || c.k < 0)
        return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "%s: negative size m = %lld, n = %lld, k = %lld", c.name,
                           (long long) c.m, (long long) c.n, (long long) c.k);
    // The stored A is m x k (k x m when transposed), B is k x n (n x k); ld counts the stored rows.
    int64_t a_rows = c.transa == CUBLAS_OP_N ? c.m : c.k, b_rows = c.transb == CUBLAS_OP_N ? c.k : c.n;
    if (c.lda < std::max<int64_t>(1, a_rows))
        return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "%s: lda = %lld < max(1, %s) = %lld", c.name, (long long) c.lda,
                           c.transa == CUBLAS_OP_N ? "m" : "k", (long long) std::max<int64_t>(1, a_rows));
    if (c.ldb < std::max<int64_t>(1, b_rows))
        return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "%s: ldb = %lld < max(1, %s) = %lld", c.name, (long long) c.ldb,
                           c.transb == CUBLAS_OP_N ? "k" : "n", (long long) std::max<int64_t>(1, b_rows));
    if (c.ldc < std::max<int64_t>(1, c.m))
        return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "%s: ldc = %lld < max(1, m) = %lld", c.name, (long long) c.ldc,
                           (long long) std::max<int64_t>(1, c.m));
    if (c.batch < 0) return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "%s: batchCount = %lld < 0", c.name, (long long) c.batch);
    if (c.alpha == nullptr || c.beta == nullptr) return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "%s: alpha or beta is NULL", c.name);
    if (c.m > INT_MAX || c.n > INT_MAX || c.k > INT_MAX)
        return cublas_fail(CUBLAS_STATUS_NOT_SUPPORTED, "%s: sizes above 2^31 - 1 (m = %lld, n = %lld, k = %lld) are not simulated",
                           c.name, (long long) c.m, (long long) c.n, (long long) c.k);
    return CUBLAS_STATUS_SUCCESS;
}

struct Types {
    Element a, b, c;
    InputRounding rounding;
};

// Which input types, output type and compute type the stand-in implements (a subset of cuBLAS's
// table for cublasGemmEx), and the input rounding the compute type implies.
cublasStatus_t check_types(const Call &c, Types *types) {
    Element a = Element::F32, b = Element::F32, out = Element::F32;
    InputRounding *rounding = &types->rounding;
    if (!element_of(c.atype, &a)) return cublas_fail(CUBLAS_STATUS_NOT_SUPPORTED, "%s: Atype %d (%s)", c.name, c.atype, type_name(c.atype));
    if (!element_of(c.btype, &b)) return cublas_fail(CUBLAS_STATUS_NOT_SUPPORTED, "%s: Btype %d (%s)", c.name, c.btype, type_name(c.btype));
    if (!element_of(c.ctype, &out)) return cublas_fail(CUBLAS_STATUS_NOT_SUPPORTED, "%s: Ctype %d (%s)", c.name, c.ctype, type_name(c.ctype));
    if (a != b)
        return cublas_fail(CUBLAS_STATUS_NOT_SUPPORTED, "%s: Atype %s with Btype %s: A and B must have the same type",
                           c.name, type_name(c.atype), type_name(c.btype));
    if (out != Element::F32 && out != a)
        return cublas_fail(CUBLAS_STATUS_NOT_SUPPORTED, "%s: Ctype %s with inputs of %s: C must be CUDA_R_32F or the inputs' type",
                           c.name, type_name(c.ctype), type_name(c.atype));
    bool all_float = a == Element::F32 && out == Element::F32;
    switch (c.compute) {
    case CUBLAS_COMPUTE_32F_PEDANTIC:
        *rounding = InputRounding::NONE;
        break;
    case CUBLAS_COMPUTE_32F: {
        int base_math = c.handle->math_mode & ~CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION;
        *rounding = a == Element::F32 && base_math == CUBLAS_TF32_TENSOR_OP_MATH ? InputRounding::TF32 : InputRounding::NONE;
        break;
    }
    case CUBLAS_COMPUTE_32F_FAST_TF32:
    case CUBLAS_COMPUTE_32F_FAST_16BF:
    case CUBLAS_COMPUTE_32F_FAST_16F:
        if (!all_float)
            return cublas_fail(CUBLAS_STATUS_NOT_SUPPORTED, "%s: computeType %d needs CUDA_R_32F A, B and C, not %s, %s and %s",
                               c.name, c.compute, type_name(c.atype), type_name(c.btype), type_name(c.ctype));
        *rounding = c.compute == CUBLAS_COMPUTE_32F_FAST_TF32   ? InputRounding::TF32
                    : c.compute == CUBLAS_COMPUTE_32F_FAST_16BF ? InputRounding::BF16
                                                                : InputRounding::F16;
        break;
    default:
        return cublas_fail(CUBLAS_STATUS_NOT_SUPPORTED,
                           "%s: computeType %d (the simulator implements CUBLAS_COMPUTE_32F (68), _PEDANTIC (69), "
                           "_FAST_16F (74), _FAST_16BF (75) and _FAST_TF32 (77))", c.name, c.compute);
    }
    if (!known_algo(c.algo)) return cublas_fail(CUBLAS_STATUS_NOT_SUPPORTED, "%s: algo %d", c.name, c.algo);
    types->a = a;
    types->b = b;
    types->c = out;
    return CUBLAS_STATUS_SUCCESS;
}

size_t bytes_of(cudaDataType_t t) {
    Element e;
    return element_of(t, &e) ? element_bytes(e) : 0;
}

// What a checked call computes with.
struct Plan {
    Types types;
    float alpha, beta;
    bool reads_ab;  // k > 0 and alpha != 0; otherwise A and B are not read
};

// Refuses an operand whose bytes do not all lie inside one live allocation: on a GPU it would fault
// or silently read and write whatever lies beyond. `what` names the operand and its sizes.
cublasStatus_t check_memory(const Call &c, const char *what, const void *p, size_t bytes) {
    char why[256];
    if (jclip_sim_device_range(p, bytes, why, sizeof why)) return CUBLAS_STATUS_SUCCESS;
    return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "%s: %s spans %zu bytes from %p: %s", c.name, what, bytes, p, why);
}

// Checks the call as cuBLAS does and reads alpha and beta. *has_work is false for an empty product
// (m, n or batchCount 0), which returns without reading anything.
cublasStatus_t prepare(const Call &c, Plan *plan, bool *has_work) {
    cublasStatus_t status = check_sizes(c);
    if (status != CUBLAS_STATUS_SUCCESS) return status;
    status = check_types(c, &plan->types);
    if (status != CUBLAS_STATUS_SUCCESS) return status;
    *has_work = c.m > 0 && c.n > 0 && c.batch > 0;
    if (!*has_work) return CUBLAS_STATUS_SUCCESS;
    // With compute type 32F, alpha and beta are floats: in device memory in device pointer mode,
    // checked like the operands, else in the caller's host memory, which the simulator cannot check.
    if (c.handle->pointer_mode == CUBLAS_POINTER_MODE_DEVICE) {
        status = check_memory(c, "alpha", c.alpha, sizeof(float));
        if (status != CUBLAS_STATUS_SUCCESS) return status;
        status = check_memory(c, "beta", c.beta, sizeof(float));
        if (status != CUBLAS_STATUS_SUCCESS) return status;
    }
    plan->alpha = *static_cast<const float *>(c.alpha);
    plan->beta = *static_cast<const float *>(c.beta);
    plan->reads_ab = c.k > 0 && plan->alpha != 0.0f;
    return CUBLAS_STATUS_SUCCESS;
}

// A matrix as stored: column-major, rows x cols (named `shape` as the call names them, e.g. "k x m"
// for a transposed A) with leading dimension ld.
struct Stored {
    const char *shape, *ld_name;
    int64_t rows, cols, ld;
    size_t element_bytes;
};

Stored stored_a(const Call &c) {
    bool t = c.transa != CUBLAS_OP_N;
    return {t ? "k x m" : "m x k", "lda", t ? c.k : c.m, t ? c.m : c.k, c.lda, bytes_of(c.atype)};
}

Stored stored_b(const Call &c) {
    bool t = c.transb != CUBLAS_OP_N;
    return {t ? "n x k" : "k x n", "ldb", t ? c.n : c.k, t ? c.k : c.n, c.ldb, bytes_of(c.btype)};
}

Stored stored_c(const Call &c) { return {"m x n", "ldc", c.m, c.n, c.ldc, bytes_of(c.ctype)}; }

// A size or address computed in 128 bits, clamped to [0, max]: an absurd leading dimension, stride
// or batch count then fails the range check instead of wrapping around to a range that passes.
uint64_t clamped(__int128 value, uint64_t max) { return value < 0 ? 0 : value > max ? max : static_cast<uint64_t>(value); }

// Checks `count` matrices `stride` elements apart from `base` as one range, which must lie in one
// allocation: the last column of each reaches (cols - 1)·ld + rows elements from its start.
// `label` names the operand ("A", or "Aarray[2]" for a member of a pointer array).
cublasStatus_t check_matrices(const Call &c, const char *label, const Stored &s, const void *base, int64_t count,
                              int64_t stride) {
    char what[192];
    if (count == 1)
        snprintf(what, sizeof what, "%s (%s = %lld x %lld, %s %lld)", label, s.shape, (long long) s.rows,
                 (long long) s.cols, s.ld_name, (long long) s.ld);
    else
        snprintf(what, sizeof what, "%s (%lld matrices of %s = %lld x %lld, %s %lld, stride%s %lld)", label,
                 (long long) count, s.shape, (long long) s.rows, (long long) s.cols, s.ld_name, (long long) s.ld,
                 label, (long long) stride);
    if (base == nullptr) return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "%s: %s is NULL", c.name, what);
    __int128 spread = static_cast<__int128>(count - 1) * stride;
    __int128 first = std::min<__int128>(0, spread), last = std::max<__int128>(0, spread) + static_cast<__int128>(s.cols - 1) * s.ld + s.rows;
    __int128 start = static_cast<__int128>(reinterpret_cast<uintptr_t>(base)) + first * static_cast<__int128>(s.element_bytes);
    uint64_t bytes = clamped((last - first) * static_cast<__int128>(s.element_bytes), SIZE_MAX);
    return check_memory(c, what, reinterpret_cast<const void *>(clamped(start, UINTPTR_MAX)), bytes);
}

// Runs the checked call's batch; locate(i, &a, &b, &c) gives batch member i's matrices.
template <class Locate>
cublasStatus_t execute(const Call &c, const Plan &plan, Locate locate) {
    std::vector<jclip_sim::GemmProblem> problems;
    try {
        problems.reserve(c.batch);
        for (int64_t i = 0; i < c.batch; ++i) {
            const void *a, *b;
            void *out;
            locate(i, &a, &b, &out);
            problems.push_back({static_cast<int>(c.m), static_cast<int>(c.n), static_cast<int>(c.k), plan.alpha, plan.beta,
                                {a, plan.types.a, c.transa != CUBLAS_OP_N, c.lda},
                                {b, plan.types.b, c.transb != CUBLAS_OP_N, c.ldb},
                                out, plan.types.c, c.ldc});
        }
        jclip_sim::gemm(problems.data(), static_cast<long>(problems.size()), plan.types.rounding);
    } catch (const std::bad_alloc &) {
        return cublas_fail(CUBLAS_STATUS_ALLOC_FAILED, "%s: out of host memory for scratch buffers", c.name);
    }
    return CUBLAS_STATUS_SUCCESS;
}

// Single products (stride 0, batch 1) and strided batches.
cublasStatus_t strided(const Call &c, const void *a, int64_t stride_a, const void *b, int64_t stride_b, void *out,
                       int64_t stride_c) {
    Plan plan;
    bool has_work;
    cublasStatus_t status = prepare(c, &plan, &has_work);
    if (status != CUBLAS_STATUS_SUCCESS || !has_work) return status;
    if (plan.reads_ab) {
        status = check_matrices(c, "A", stored_a(c), a, c.batch, stride_a);
        if (status != CUBLAS_STATUS_SUCCESS) return status;
        status = check_matrices(c, "B", stored_b(c), b, c.batch, stride_b);
        if (status != CUBLAS_STATUS_SUCCESS) return status;
    }
    status = check_matrices(c, "C", stored_c(c), out, c.batch, stride_c);
    if (status != CUBLAS_STATUS_SUCCESS) return status;
    size_t sa = bytes_of(c.atype), sb = bytes_of(c.btype), sc = bytes_of(c.ctype);
    return execute(c, plan, [&](int64_t i, const void **ai, const void **bi, void **ci) {
        *ai = static_cast<const char *>(a) + i * stride_a * static_cast<int64_t>(sa);
        *bi = static_cast<const char *>(b) + i * stride_b * static_cast<int64_t>(sb);
        *ci = static_cast<char *>(out) + i * stride_c * static_cast<int64_t>(sc);
    });
}

// Checks a pointer array (in device memory, like the matrices it points to) and then each member.
cublasStatus_t check_pointer_array(const Call &c, const char *name, const Stored &s, const void *const *array) {
    char label[64];
    snprintf(label, sizeof label, "%s (%lld pointers)", name, (long long) c.batch);
    cublasStatus_t status = check_memory(c, label, array, clamped(static_cast<__int128>(c.batch) * sizeof(void *), SIZE_MAX));
    for (int64_t i = 0; i < c.batch && status == CUBLAS_STATUS_SUCCESS; ++i) {
        snprintf(label, sizeof label, "%s[%lld]", name, (long long) i);
        status = check_matrices(c, label, s, array[i], 1, 0);
    }
    return status;
}

// Pointer-array batches.
cublasStatus_t arrays(const Call &c, const void *const *a, const void *const *b, void *const *out) {
    if (c.batch > 0 && (a == nullptr || b == nullptr || out == nullptr))
        return cublas_fail(CUBLAS_STATUS_INVALID_VALUE, "%s: Aarray, Barray or Carray is NULL", c.name);
    Plan plan;
    bool has_work;
    cublasStatus_t status = prepare(c, &plan, &has_work);
    if (status != CUBLAS_STATUS_SUCCESS || !has_work) return status;
    if (plan.reads_ab) {
        status = check_pointer_array(c, "Aarray", stored_a(c), a);
        if (status != CUBLAS_STATUS_SUCCESS) return status;
        status = check_pointer_array(c, "Barray", stored_b(c), b);
        if (status != CUBLAS_STATUS_SUCCESS) return status;
    }
    status = check_pointer_array(c, "Carray", stored_c(c), out);
    if (status != CUBLAS_STATUS_SUCCESS) return status;
    return execute(c, plan, [&](int64_t i, const void **ai, const void **bi, void **ci) {
        *ai = plan.reads_ab ? a[i] : nullptr;
        *bi = plan.reads_ab ? b[i] : nullptr;
        *ci = out[i];
    });
}

Call sgemm_call(const char *name, cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int64_t m, int64_t n,
                int64_t k, const float *alpha, int64_t lda, int64_t ldb, const float *beta, int64_t ldc, int64_t batch) {
    return {name, h, ta, tb, m, n, k, lda, ldb, ldc, batch, CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F,
            CUBLAS_GEMM_DEFAULT, alpha, beta};
}

}  // namespace

extern "C" {

cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
                              int k, const float *alpha, const float *A, int lda, const float *B, int ldb,
                              const float *beta, float *C, int ldc) {
    return strided(sgemm_call("cublasSgemm", handle, transa, transb, m, n, k, alpha, lda, ldb, beta, ldc, 1), A, 0, B, 0, C, 0);
}

cublasStatus_t cublasSgemm_v2_64(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int64_t m,
                                 int64_t n, int64_t k, const float *alpha, const float *A, int64_t lda, const float *B,
                                 int64_t ldb, const float *beta, float *C, int64_t ldc) {
    return strided(sgemm_call("cublasSgemm_64", handle, transa, transb, m, n, k, alpha, lda, ldb, beta, ldc, 1), A, 0, B, 0, C, 0);
}

cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                         int m, int n, int k, const float *alpha, const float *A, int lda,
                                         long long strideA, const float *B, int ldb, long long strideB,
                                         const float *beta, float *C, int ldc, long long strideC, int batchCount) {
    return strided(sgemm_call("cublasSgemmStridedBatched", handle, transa, transb, m, n, k, alpha, lda, ldb, beta, ldc, batchCount),
                   A, strideA, B, strideB, C, strideC);
}

cublasStatus_t cublasSgemmStridedBatched_64(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                            int64_t m, int64_t n, int64_t k, const float *alpha, const float *A,
                                            int64_t lda, long long strideA, const float *B, int64_t ldb,
                                            long long strideB, const float *beta, float *C, int64_t ldc,
                                            long long strideC, int64_t batchCount) {
    return strided(sgemm_call("cublasSgemmStridedBatched_64", handle, transa, transb, m, n, k, alpha, lda, ldb, beta, ldc, batchCount),
                   A, strideA, B, strideB, C, strideC);
}

cublasStatus_t cublasSgemmBatched(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m,
                                  int n, int k, const float *alpha, const float *const Aarray[], int lda,
                                  const float *const Barray[], int ldb, const float *beta, float *const Carray[],
                                  int ldc, int batchCount) {
    return arrays(sgemm_call("cublasSgemmBatched", handle, transa, transb, m, n, k, alpha, lda, ldb, beta, ldc, batchCount),
                  reinterpret_cast<const void *const *>(Aarray), reinterpret_cast<const void *const *>(Barray),
                  reinterpret_cast<void *const *>(Carray));
}

cublasStatus_t cublasSgemmBatched_64(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                     int64_t m, int64_t n, int64_t k, const float *alpha, const float *const Aarray[],
                                     int64_t lda, const float *const Barray[], int64_t ldb, const float *beta,
                                     float *const Carray[], int64_t ldc, int64_t batchCount) {
    return arrays(sgemm_call("cublasSgemmBatched_64", handle, transa, transb, m, n, k, alpha, lda, ldb, beta, ldc, batchCount),
                  reinterpret_cast<const void *const *>(Aarray), reinterpret_cast<const void *const *>(Barray),
                  reinterpret_cast<void *const *>(Carray));
}

// cublasSgemmEx: mixed input types with float scaling factors and float compute (the handle's
// math mode decides TF32, as for cublasSgemm).
cublasStatus_t cublasSgemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
                             int k, const float *alpha, const void *A, cudaDataType_t Atype, int lda, const void *B,
                             cudaDataType_t Btype, int ldb, const float *beta, void *C, cudaDataType_t Ctype, int ldc) {
    Call c{"cublasSgemmEx", handle, transa, transb, m, n, k, lda, ldb, ldc, 1, Atype, Btype, Ctype,
           CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT, alpha, beta};
    return strided(c, A, 0, B, 0, C, 0);
}

cublasStatus_t cublasSgemmEx_64(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int64_t m,
                                int64_t n, int64_t k, const float *alpha, const void *A, cudaDataType_t Atype,
                                int64_t lda, const void *B, cudaDataType_t Btype, int64_t ldb, const float *beta,
                                void *C, cudaDataType_t Ctype, int64_t ldc) {
    Call c{"cublasSgemmEx_64", handle, transa, transb, m, n, k, lda, ldb, ldc, 1, Atype, Btype, Ctype,
           CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT, alpha, beta};
    return strided(c, A, 0, B, 0, C, 0);
}

cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
                            int k, const void *alpha, const void *A, cudaDataType_t Atype, int lda, const void *B,
                            cudaDataType_t Btype, int ldb, const void *beta, void *C, cudaDataType_t Ctype, int ldc,
                            cublasComputeType_t computeType, cublasGemmAlgo_t algo) {
    Call c{"cublasGemmEx", handle, transa, transb, m, n, k, lda, ldb, ldc, 1, Atype, Btype, Ctype, computeType, algo, alpha, beta};
    return strided(c, A, 0, B, 0, C, 0);
}

cublasStatus_t cublasGemmEx_64(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int64_t m,
                               int64_t n, int64_t k, const void *alpha, const void *A, cudaDataType_t Atype,
                               int64_t lda, const void *B, cudaDataType_t Btype, int64_t ldb, const void *beta,
                               void *C, cudaDataType_t Ctype, int64_t ldc, cublasComputeType_t computeType,
                               cublasGemmAlgo_t algo) {
    Call c{"cublasGemmEx_64", handle, transa, transb, m, n, k, lda, ldb, ldc, 1, Atype, Btype, Ctype, computeType, algo, alpha, beta};
    return strided(c, A, 0, B, 0, C, 0);
}

cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                          int m, int n, int k, const void *alpha, const void *A, cudaDataType_t Atype,
                                          int lda, long long strideA, const void *B, cudaDataType_t Btype, int ldb,
                                          long long strideB, const void *beta, void *C, cudaDataType_t Ctype, int ldc,
                                          long long strideC, int batchCount, cublasComputeType_t computeType,
                                          cublasGemmAlgo_t algo) {
    Call c{"cublasGemmStridedBatchedEx", handle, transa, transb, m, n, k, lda, ldb, ldc, batchCount, Atype, Btype, Ctype,
           computeType, algo, alpha, beta};
    return strided(c, A, strideA, B, strideB, C, strideC);
}

cublasStatus_t cublasGemmStridedBatchedEx_64(cublasHandle_t handle, cublasOperation_t transa,
                                             cublasOperation_t transb, int64_t m, int64_t n, int64_t k,
                                             const void *alpha, const void *A, cudaDataType_t Atype, int64_t lda,
                                             long long strideA, const void *B, cudaDataType_t Btype, int64_t ldb,
                                             long long strideB, const void *beta, void *C, cudaDataType_t Ctype,
                                             int64_t ldc, long long strideC, int64_t batchCount,
                                             cublasComputeType_t computeType, cublasGemmAlgo_t algo) {
    Call c{"cublasGemmStridedBatchedEx_64", handle, transa, transb, m, n, k, lda, ldb, ldc, batchCount, Atype, Btype, Ctype,
           computeType, algo, alpha, beta};
    return strided(c, A, strideA, B, strideB, C, strideC);
}

cublasStatus_t cublasGemmBatchedEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m,
                                   int n, int k, const void *alpha, const void *const Aarray[], cudaDataType_t Atype,
                                   int lda, const void *const Barray[], cudaDataType_t Btype, int ldb,
                                   const void *beta, void *const Carray[], cudaDataType_t Ctype, int ldc,
                                   int batchCount, cublasComputeType_t computeType, cublasGemmAlgo_t algo) {
    Call c{"cublasGemmBatchedEx", handle, transa, transb, m, n, k, lda, ldb, ldc, batchCount, Atype, Btype, Ctype,
           computeType, algo, alpha, beta};
    return arrays(c, Aarray, Barray, Carray);
}

cublasStatus_t cublasGemmBatchedEx_64(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                      int64_t m, int64_t n, int64_t k, const void *alpha, const void *const Aarray[],
                                      cudaDataType_t Atype, int64_t lda, const void *const Barray[],
                                      cudaDataType_t Btype, int64_t ldb, const void *beta, void *const Carray[],
                                      cudaDataType_t Ctype, int64_t ldc, int64_t batchCount,
                                      cublasComputeType_t computeType, cublasGemmAlgo_t algo) {
    Call c{"cublasGemmBatchedEx_64", handle, transa, transb, m, n, k, lda, ldb, ldc, batchCount, Atype, Btype, Ctype,
           computeType, algo, alpha, beta};
    return arrays(c, Aarray, Barray, Carray);
}

}  // extern "C"
