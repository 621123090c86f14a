// CUDA's device math and bit intrinsics for kernels compiled by g++ (part of cuda_sim.h). The fast
// approximations (__expf, __fdividef, ...) are computed exactly here: tests must allow the GPU's
// error, never rely on the simulator's extra precision.
#pragma once

#include <cmath>
#include <cstdint>

#include "cuda_sim_fp16.h"  // jclip_sim_detail::bit_cast

__forceinline__ float __int_as_float(int i) { return jclip_sim_detail::bit_cast<float>(i); }
__forceinline__ int __float_as_int(float f) { return jclip_sim_detail::bit_cast<int>(f); }
__forceinline__ float __uint_as_float(unsigned u) { return jclip_sim_detail::bit_cast<float>(u); }
__forceinline__ unsigned __float_as_uint(float f) { return jclip_sim_detail::bit_cast<unsigned>(f); }
__forceinline__ double __longlong_as_double(long long i) { return jclip_sim_detail::bit_cast<double>(i); }
__forceinline__ long long __double_as_longlong(double d) { return jclip_sim_detail::bit_cast<long long>(d); }

__forceinline__ float __expf(float x) { return expf(x); }
__forceinline__ float __exp10f(float x) { return powf(10.0f, x); }
__forceinline__ float __logf(float x) { return logf(x); }
__forceinline__ float __log2f(float x) { return log2f(x); }
__forceinline__ float __powf(float x, float y) { return powf(x, y); }
__forceinline__ float __sinf(float x) { return sinf(x); }
__forceinline__ float __cosf(float x) { return cosf(x); }
__forceinline__ float __tanhf(float x) { return tanhf(x); }
__forceinline__ float __fdividef(float a, float b) { return a / b; }
__forceinline__ float __frcp_rn(float x) { return 1.0f / x; }
__forceinline__ float __fsqrt_rn(float x) { return sqrtf(x); }
__forceinline__ float rsqrtf(float x) { return 1.0f / sqrtf(x); }
__forceinline__ double rsqrt(double x) { return 1.0 / sqrt(x); }
__forceinline__ float __frsqrt_rn(float x) { return 1.0f / sqrtf(x); }
__forceinline__ float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
__forceinline__ float __fadd_rn(float a, float b) { return a + b; }
__forceinline__ float __fmul_rn(float a, float b) { return a * b; }
__forceinline__ double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
// NaN saturates to 0, as on the GPU.
__forceinline__ float __saturatef(float x) { return x > 0.0f ? (x < 1.0f ? x : 1.0f) : 0.0f; }
__forceinline__ int __float2int_rn(float x) { return static_cast<int>(nearbyintf(x)); }
__forceinline__ int __float2int_rz(float x) { return static_cast<int>(x); }
__forceinline__ float __int2float_rn(int i) { return static_cast<float>(i); }

template <typename T>
__forceinline__ T __ldg(const T* p) { return *p; }

// Averages without overflow: __hadd rounds down, __rhadd up.
__forceinline__ int __hadd(int a, int b) { return static_cast<int>((static_cast<long long>(a) + b) >> 1); }
__forceinline__ int __rhadd(int a, int b) { return static_cast<int>((static_cast<long long>(a) + b + 1) >> 1); }
__forceinline__ unsigned __uhadd(unsigned a, unsigned b) {
    return static_cast<unsigned>((static_cast<unsigned long long>(a) + b) >> 1);
}
__forceinline__ unsigned __urhadd(unsigned a, unsigned b) {
    return static_cast<unsigned>((static_cast<unsigned long long>(a) + b + 1) >> 1);
}

__forceinline__ int __popc(unsigned x) { return __builtin_popcount(x); }
__forceinline__ int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
__forceinline__ int __clz(int x) { return x == 0 ? 32 : __builtin_clz(static_cast<unsigned>(x)); }
__forceinline__ int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll(static_cast<unsigned long long>(x)); }
__forceinline__ int __ffs(int x) { return __builtin_ffs(x); }
__forceinline__ int __ffsll(long long x) { return __builtin_ffsll(x); }
__forceinline__ unsigned __brev(unsigned x) {
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0F0F0F0Fu) | ((x & 0x0F0F0F0Fu) << 4);
    return __builtin_bswap32(x);
}

// CUDA's min/max overloads; the mixed signed/unsigned ones convert to unsigned like CUDA's.
#define JCLIP_SIM_MIN_MAX(A, B, R)                                                  \
    __forceinline__ R min(A a, B b) { return static_cast<R>(a) < static_cast<R>(b) ? static_cast<R>(a) : static_cast<R>(b); } \
    __forceinline__ R max(A a, B b) { return static_cast<R>(a) > static_cast<R>(b) ? static_cast<R>(a) : static_cast<R>(b); }
JCLIP_SIM_MIN_MAX(int, int, int)
JCLIP_SIM_MIN_MAX(unsigned, unsigned, unsigned)
JCLIP_SIM_MIN_MAX(int, unsigned, unsigned)
JCLIP_SIM_MIN_MAX(unsigned, int, unsigned)
JCLIP_SIM_MIN_MAX(long long, long long, long long)
JCLIP_SIM_MIN_MAX(unsigned long long, unsigned long long, unsigned long long)
JCLIP_SIM_MIN_MAX(long long, unsigned long long, unsigned long long)
JCLIP_SIM_MIN_MAX(unsigned long long, long long, unsigned long long)
#undef JCLIP_SIM_MIN_MAX
__forceinline__ float min(float a, float b) { return fminf(a, b); }
__forceinline__ float max(float a, float b) { return fmaxf(a, b); }
__forceinline__ double min(double a, double b) { return fmin(a, b); }
__forceinline__ double max(double a, double b) { return fmax(a, b); }
