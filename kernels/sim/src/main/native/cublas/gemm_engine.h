// The simulated GPU's matrix multiply: C = alpha·op(A)·op(B) + beta·C in cuBLAS's column-major
// convention, float accumulation, for float, bfloat16 and half inputs. The cuBLAS stand-in's GEMM
// calls and the cuDNN stand-in's convolutions (im2col) both run on it, as the real cuDNN runs on
// cuBLAS-like kernels.
//
// Structure (GotoBLAS/BLIS): for each KC-deep slice, a KC x NC block of op(B) is packed into
// NR-wide panels and each MC x KC block of op(A) into MR-tall panels, both as float; a 16 x 6
// register tile (MR x NR) then runs over the packed panels with unit-stride loads whatever the
// transposes and leading dimensions are. MR = 16 floats is two 8-wide vectors: with NR = 6 that is
// 12 accumulators, which fits AVX2's 16 vector registers beside the A and B operands. The tile
// function is compiled twice (x86-64-v3 = AVX2 + FMA, and baseline SSE2) and chosen at load time.
// KC = 256 keeps an A panel (16 KiB) and a B panel (6 KiB) in L1/L2; MC = 128 keeps the packed A
// block (128 KiB) in L2; NC = 2048 bounds the packed B block at 2 MiB.
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
#include <cstring>
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

constexpr int MR = 16, NR = 6, KC = 256, MC = 128, NC = 2048;
constexpr long MIN_PARALLEL_WORK = 1L << 22;
// A column range handed to a thread is at least this many panels, so that packing op(A), which
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

// Packs rows [i0, i0 + mc) x columns [p0, p0 + kc) of op(A) into MR-tall panels: panel q holds
// dst[(q*kc + p)*MR + r]; rows past mc are zero. The loop order follows A's contiguous direction.
template <class T>
void pack_a(const Operand &a, int i0, int mc, int p0, int kc, float *dst) {
    const T *base = static_cast<const T *>(a.data);
    for (int q = 0; q * MR < mc; ++q) {
        int rows = std::min(MR, mc - q * MR);
        long first = i0 + q * MR;
        float *panel = dst + static_cast<long>(q) * kc * MR;
        if (rows < MR) std::fill(panel, panel + static_cast<long>(kc) * MR, 0.0f);
        if (a.transposed) {
            for (int r = 0; r < rows; ++r) {
                const T *row = base + (first + r) * a.ld + p0;
                for (int p = 0; p < kc; ++p) panel[p * MR + r] = to_float(row[p]);
            }
        } else {
            for (int p = 0; p < kc; ++p) {
                const T *col = base + (p0 + p) * a.ld + first;
                for (int r = 0; r < rows; ++r) panel[p * MR + r] = to_float(col[r]);
            }
        }
    }
}

// Packs rows [p0, p0 + kc) x columns [j0, j0 + nc) of op(B) into NR-wide panels:
// dst[(q*kc + p)*NR + c]; columns past nc are zero.
template <class T>
void pack_b(const Operand &b, int p0, int kc, int j0, int nc, float *dst) {
    const T *base = static_cast<const T *>(b.data);
    for (int q = 0; q * NR < nc; ++q) {
        int cols = std::min(NR, nc - q * NR);
        float *panel = dst + static_cast<long>(q) * kc * NR;
        if (cols < NR) std::fill(panel, panel + static_cast<long>(kc) * NR, 0.0f);
        if (b.transposed) {
            for (int p = 0; p < kc; ++p) {
                const T *row = base + (p0 + p) * b.ld + j0 + q * NR;
                for (int c = 0; c < cols; ++c) panel[p * NR + c] = to_float(row[c]);
            }
        } else {
            for (int c = 0; c < cols; ++c) {
                const T *col = base + (j0 + q * NR + c) * b.ld + p0;
                for (int p = 0; p < kc; ++p) panel[p * NR + c] = to_float(col[p]);
            }
        }
    }
}

inline void pack_a_any(const Operand &a, int i0, int mc, int p0, int kc, float *dst) {
    switch (a.type) {
    case Element::F32: pack_a<float>(a, i0, mc, p0, kc, dst); break;
    case Element::BF16: pack_a<BFloat16>(a, i0, mc, p0, kc, dst); break;
    case Element::F16: pack_a<_Float16>(a, i0, mc, p0, kc, dst); break;
    }
}

inline void pack_b_any(const Operand &b, int p0, int kc, int j0, int nc, float *dst) {
    switch (b.type) {
    case Element::F32: pack_b<float>(b, p0, kc, j0, nc, dst); break;
    case Element::BF16: pack_b<BFloat16>(b, p0, kc, j0, nc, dst); break;
    case Element::F16: pack_b<_Float16>(b, p0, kc, j0, nc, dst); break;
    }
}

typedef float Vec8 __attribute__((vector_size(32)));

// tile[c*MR + r] = sum over p of a[p*MR + r] * b[p*NR + c]. fp-contract lets the compiler fuse the
// multiply-add into an FMA where the target has one (-std=c++17 turns contraction off otherwise).
__attribute__((target_clones("arch=x86-64-v3", "default"), optimize("fp-contract=fast")))
static void multiply_panels(int kc, const float *__restrict a, const float *__restrict b,
                            float *__restrict tile) {
    Vec8 acc[NR][2] = {};
    for (int p = 0; p < kc; ++p) {
        Vec8 a0, a1;
        std::memcpy(&a0, a + p * MR, sizeof a0);
        std::memcpy(&a1, a + p * MR + 8, sizeof a1);
        const float *bp = b + p * NR;
#pragma GCC unroll 6  // fully: only then do the accumulators stay in registers
        for (int c = 0; c < NR; ++c) {
            acc[c][0] += a0 * bp[c];
            acc[c][1] += a1 * bp[c];
        }
    }
    std::memcpy(tile, acc, sizeof acc);
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

// Columns [j_begin, j_end) of one product whose C is float.
inline void multiply_columns(const GemmProblem &g, int j_begin, int j_end, InputRounding rounding) {
    float *c = static_cast<float *>(g.c);
    if (g.k == 0 || g.alpha == 0.0f) {
        // cuBLAS reads neither A nor B then; beta == 0 overwrites C without reading it.
        for (long j = j_begin; j < j_end; ++j)
            for (long i = 0; i < g.m; ++i) c[i + j * g.ldc] = g.beta == 0.0f ? 0.0f : g.beta * c[i + j * g.ldc];
        return;
    }
    int kc_max = std::min(KC, g.k);
    int nc_max = std::min(NC, (j_end - j_begin + NR - 1) / NR * NR);
    Buffer packed_a = allocate(static_cast<long>(std::min(MC, (g.m + MR - 1) / MR * MR)) * kc_max);
    Buffer packed_b = allocate(static_cast<long>(nc_max) * kc_max);
    alignas(64) float tile[MR * NR];
    for (int jc = j_begin; jc < j_end; jc += NC) {
        int nc = std::min(NC, j_end - jc);
        for (int pc = 0; pc < g.k; pc += KC) {
            int kc = std::min(KC, g.k - pc);
            pack_b_any(g.b, pc, kc, jc, nc, packed_b.get());
            round_inputs(packed_b.get(), static_cast<long>((nc + NR - 1) / NR * NR) * kc, rounding);
            for (int ic = 0; ic < g.m; ic += MC) {
                int mc = std::min(MC, g.m - ic);
                pack_a_any(g.a, ic, mc, pc, kc, packed_a.get());
                round_inputs(packed_a.get(), static_cast<long>((mc + MR - 1) / MR * MR) * kc, rounding);
                for (int jr = 0; jr < nc; jr += NR) {
                    int cols = std::min(NR, nc - jr);
                    for (int ir = 0; ir < mc; ir += MR) {
                        int rows = std::min(MR, mc - ir);
                        multiply_panels(kc, packed_a.get() + static_cast<long>(ir) * kc,
                                        packed_b.get() + static_cast<long>(jr) * kc, tile);
                        for (int cc = 0; cc < cols; ++cc) {
                            float *dst = c + (ic + ir) + static_cast<long>(jc + jr + cc) * g.ldc;
                            const float *t = tile + cc * MR;
                            if (pc > 0) {
                                for (int r = 0; r < rows; ++r) dst[r] += g.alpha * t[r];
                            } else if (g.beta == 0.0f) {
                                for (int r = 0; r < rows; ++r) dst[r] = g.alpha * t[r];
                            } else {
                                for (int r = 0; r < rows; ++r) dst[r] = g.alpha * t[r] + g.beta * dst[r];
                            }
                        }
                    }
                }
            }
        }
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
    // so that KC slices add up in float as they would in a GPU's registers.
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
