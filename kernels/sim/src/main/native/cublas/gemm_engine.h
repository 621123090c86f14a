// The simulated GPU's matrix multiply: C = alpha·op(A)·op(B) + beta·C in cuBLAS's column-major
// convention, float accumulation, for float, bfloat16 and half inputs. The cuBLAS stand-in's GEMM
// calls and the cuDNN stand-in's convolutions (im2col) both run on it, as the real cuDNN runs on
// cuBLAS-like kernels.
//
// Structure: a plain loop (widen op(A) to float once, then one column of C at a time), not a tuned
// GEMM: the simulator's products are test-sized, and a packed, register-tiled engine measured
// only a few seconds faster over the whole simulated-GPU suite (bench/RESULTS.md, "The simulated
// GPU").
//
// Threads: products with enough work are cut into column ranges (whole NR panels) that worker
// threads (one per CPU this process may use, started per call) pull off a shared counter; a batch
// is cut the same way, so a batch of small products spreads over the batch. Below MIN_PARALLEL_WORK
// multiply-adds everything runs on the calling thread: starting a thread costs tens of µs.
#pragma once

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <system_error>
#include <thread>
#include <vector>

#include "cuda_sim_fp16.h"  // bit_cast, bf16_bits_to_float

namespace jclip_sim {

enum class Element { F32, BF16, F16 };

// The down-conversion tensor cores apply to float inputs (cuBLAS's CUBLAS_COMPUTE_32F_FAST_* compute
// types and the TF32 math mode), emulated by rounding each input to nearest-even at packing, so that
// the simulator shows the precision a GPU gives rather than better.
enum class InputRounding { NONE, TF32, BF16, F16 };

// A matrix as cuBLAS sees it: column-major with leading dimension ld, used transposed or not.
struct Operand {
    const void *data;
    Element type;
    bool transposed;
    long ld;
};

struct GemmProblem {
    int m, n, k;
    float alpha, beta;
    Operand a, b;
    void *c;
    Element c_type;
    long ldc;
};

namespace gemm_detail {

// Column ranges handed to threads are whole multiples of NR columns.
constexpr int NR = 6;
constexpr long MIN_PARALLEL_WORK = 1L << 22;
// A column range handed to a thread is at least this many panels, so that widening op(A), which
// every range repeats, stays small beside the multiply.
constexpr int MIN_PANELS_PER_TASK = 4;

using jclip_sim_detail::bit_cast;

// Rounds to nearest-even, keeping 23 - dropped mantissa bits; infinities and NaNs pass unchanged.
inline float round_mantissa(float f, int dropped) {
    uint32_t u = bit_cast<uint32_t>(f);
    if ((u & 0x7f800000u) == 0x7f800000u) return f;
    uint32_t half = (1u << (dropped - 1)) - 1 + ((u >> dropped) & 1);
    return bit_cast<float>((u + half) & ~((1u << dropped) - 1));
}

inline float to_float(float x) { return x; }
inline float to_float(_Float16 x) { return static_cast<float>(x); }
// bfloat16 is the top half of a float.
struct BFloat16 {
    uint16_t bits;
};
inline float to_float(BFloat16 x) { return jclip_sim_detail::bf16_bits_to_float(x.bits); }

inline BFloat16 to_bfloat16(float f) {
    uint32_t u = bit_cast<uint32_t>(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return {static_cast<uint16_t>((u >> 16) | 0x40)};  // quiet NaN
    return {static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1)) >> 16)};
}

inline void round_inputs(float *p, long count, InputRounding rounding) {
    switch (rounding) {
    case InputRounding::NONE: return;
    case InputRounding::TF32: for (long i = 0; i < count; ++i) p[i] = round_mantissa(p[i], 13); return;
    case InputRounding::BF16: for (long i = 0; i < count; ++i) p[i] = round_mantissa(p[i], 16); return;
    case InputRounding::F16:
        for (long i = 0; i < count; ++i) p[i] = static_cast<float>(static_cast<_Float16>(p[i]));
        return;
    }
}

// Copies rows [0, rows) x columns [col0, col0 + cols) of op(X) into dst as column-major float.
template <class T>
void widen(const Operand &x, long rows, long col0, long cols, float *__restrict dst) {
    const T *base = static_cast<const T *>(x.data);
    for (long j = 0; j < cols; ++j)
        for (long i = 0; i < rows; ++i)
            dst[i + j * rows] = to_float(x.transposed ? base[(col0 + j) + i * x.ld] : base[i + (col0 + j) * x.ld]);
}

inline void widen_any(const Operand &x, long rows, long col0, long cols, float *dst, InputRounding rounding) {
    switch (x.type) {
    case Element::F32: widen<float>(x, rows, col0, cols, dst); break;
    case Element::BF16: widen<BFloat16>(x, rows, col0, cols, dst); break;
    case Element::F16: widen<_Float16>(x, rows, col0, cols, dst); break;
    }
    round_inputs(dst, rows * cols, rounding);
}

struct AlignedFree {
    void operator()(float *p) const { std::free(p); }
};
using Buffer = std::unique_ptr<float[], AlignedFree>;

inline Buffer allocate(long floats) {
    size_t bytes = (static_cast<size_t>(floats) * sizeof(float) + 63) / 64 * 64;
    float *p = static_cast<float *>(std::aligned_alloc(64, bytes));
    if (p == nullptr) throw std::bad_alloc();
    return Buffer(p);
}

// Columns [j_begin, j_end) of one product whose C is float. op(A) is widened to float once; each
// column of C is then a sum of op(A)'s columns scaled by one column of op(B) (the axpy form, which
// the compiler vectorises without reordering any sum).
__attribute__((optimize("tree-vectorize")))
inline void multiply_columns(const GemmProblem &g, int j_begin, int j_end, InputRounding rounding) {
    float *c = static_cast<float *>(g.c);
    if (g.k == 0 || g.alpha == 0.0f) {
        // cuBLAS reads neither A nor B then; beta == 0 overwrites C without reading it.
        for (long j = j_begin; j < j_end; ++j)
            for (long i = 0; i < g.m; ++i) c[i + j * g.ldc] = g.beta == 0.0f ? 0.0f : g.beta * c[i + j * g.ldc];
        return;
    }
    Buffer a = allocate(static_cast<long>(g.m) * g.k), b = allocate(g.k), sum = allocate(g.m);
    widen_any(g.a, g.m, 0, g.k, a.get(), rounding);
    for (long j = j_begin; j < j_end; ++j) {
        widen_any(g.b, g.k, j, 1, b.get(), rounding);
        float *__restrict s = sum.get();
        std::fill(s, s + g.m, 0.0f);
        for (long p = 0; p < g.k; ++p) {
            const float *__restrict column = a.get() + p * g.m;
            float bp = b[p];
            for (long i = 0; i < g.m; ++i) s[i] += column[i] * bp;
        }
        float *dst = c + j * g.ldc;
        for (long i = 0; i < g.m; ++i) dst[i] = g.beta == 0.0f ? g.alpha * s[i] : g.alpha * s[i] + g.beta * dst[i];
    }
}

inline int usable_cpus() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
    return std::max(1u, std::thread::hardware_concurrency());
}

struct Task {
    const GemmProblem *problem;
    int j_begin, j_end;
};

// Runs the tasks on up to `threads` threads (the caller among them).
inline void run_tasks(const std::vector<Task> &tasks, int threads, InputRounding rounding) {
    std::atomic<size_t> next{0};
    std::atomic<bool> out_of_memory{false};
    auto work = [&] {
        try {
            for (size_t t; (t = next.fetch_add(1)) < tasks.size();)
                multiply_columns(*tasks[t].problem, tasks[t].j_begin, tasks[t].j_end, rounding);
        } catch (const std::bad_alloc &) {
            out_of_memory = true;
        }
    };
    std::vector<std::thread> helpers;
    for (int t = 1; t < threads; ++t) {
        try {
            helpers.emplace_back(work);
        } catch (const std::system_error &) {
            break;  // fewer threads, same result
        }
    }
    work();
    for (auto &h : helpers) h.join();
    if (out_of_memory) throw std::bad_alloc();
}

}  // namespace gemm_detail

// Runs count independent products (a batch). Throws std::bad_alloc when scratch memory runs out;
// the arguments are assumed valid (the callers validate them as the real libraries do).
inline void gemm(const GemmProblem *problems, long count, InputRounding rounding) {
    using namespace gemm_detail;
    // A product with a half-precision C accumulates into a float scratch C, converted at the end,
    // as a GPU accumulates in float registers.
    std::vector<GemmProblem> work(problems, problems + count);
    std::vector<Buffer> scratch(count);
    double total = 0;
    for (long i = 0; i < count; ++i) {
        GemmProblem &g = work[i];
        total += static_cast<double>(g.m) * g.n * std::max(g.k, 1);
        if (g.c_type != Element::F32 && g.m > 0 && g.n > 0) {
            scratch[i] = allocate(static_cast<long>(g.m) * g.n);
            g.c = scratch[i].get();
            g.c_type = Element::F32;
            g.ldc = g.m;
            g.beta = 0.0f;
        }
    }
    int threads = static_cast<int>(std::min<double>(usable_cpus(), std::max(1.0, total / MIN_PARALLEL_WORK)));
    // Cut each product into column ranges: about 4 ranges a thread over the whole batch, for balance.
    std::vector<Task> tasks;
    long wanted = threads == 1 ? 1 : (4L * threads + count - 1) / count;
    for (const GemmProblem &g : work) {
        if (g.m == 0 || g.n == 0) continue;
        long panels = (g.n + NR - 1) / NR;
        long pieces = std::max(1L, std::min(wanted, panels / MIN_PANELS_PER_TASK));
        for (long s = 0; s < pieces; ++s) {
            int begin = static_cast<int>(panels * s / pieces * NR);
            int end = static_cast<int>(std::min<long>(g.n, panels * (s + 1) / pieces * NR));
            tasks.push_back({&g, begin, end});
        }
    }
    run_tasks(tasks, threads, rounding);
    for (long i = 0; i < count; ++i) {
        if (!scratch[i]) continue;
        const GemmProblem &g = problems[i];
        const float *s = scratch[i].get();
        for (long j = 0; j < g.n; ++j) {
            for (long r = 0; r < g.m; ++r) {
                float v = s[r + j * g.m];
                if (g.c_type == Element::BF16) {
                    BFloat16 *c = static_cast<BFloat16 *>(g.c) + r + j * g.ldc;
                    *c = to_bfloat16(g.beta == 0.0f ? v : v + g.beta * to_float(*c));
                } else {
                    _Float16 *c = static_cast<_Float16 *>(g.c) + r + j * g.ldc;
                    *c = static_cast<_Float16>(g.beta == 0.0f ? v : v + g.beta * to_float(*c));
                }
            }
        }
    }
}

}  // namespace jclip_sim
