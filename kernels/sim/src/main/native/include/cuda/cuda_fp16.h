// Stand-in for CUDA's <cuda_fp16.h>, for kernels compiled by g++: __half, the pair __half2, and
// CUDA's functions on them. What __nv_bfloat16 shares with __half (storage, conversions, the
// arithmetic and its exactness) is in cuda_sim_sixteen_bit.h; how floats round to the 16 bits, in
// cuda_sim_fp16.h.
#pragma once

#include "cuda_sim_sixteen_bit.h"

struct __nv_bfloat16;  // cuda_bf16.h, which defines the explicit conversion between the two

struct __half_raw {
    unsigned short x;
};

struct __half2_raw {
    unsigned short x, y;
};

struct __half : jclip_sim_detail::SixteenBitFloat<__half, jclip_sim_detail::HalfFormat> {
    using SixteenBitFloat::SixteenBitFloat;
    __half() = default;
    __half(__half_raw raw) { x = raw.x; }
    operator __half_raw() const { return {x}; }
    explicit __half(__nv_bfloat16 b);
};

struct __half2 : jclip_sim_detail::SixteenBitPair<__half2, __half> {
    using SixteenBitPair::SixteenBitPair;
    __half2() = default;
    __half2(__half2_raw raw) : SixteenBitPair(__half_raw{raw.x}, __half_raw{raw.y}) {}
    operator __half2_raw() const { return {x.x, y.x}; }
};

typedef __half half;
typedef __half2 half2;

__forceinline__ __half __float2half(float f) { return __half(f); }
__forceinline__ __half __float2half_rn(float f) { return __half(f); }
__forceinline__ __half __double2half(double d) { return __half(d); }
__forceinline__ float __half2float(__half h) { return float(h); }

__forceinline__ __half2 make_half2(__half x, __half y) { return {x, y}; }
__forceinline__ __half2 __halves2half2(__half low, __half high) { return {low, high}; }
__forceinline__ __half2 __half2half2(__half h) { return {h, h}; }
__forceinline__ __half2 __float2half2_rn(float f) { return {__half(f), __half(f)}; }
__forceinline__ __half2 __floats2half2_rn(float low, float high) { return {__half(low), __half(high)}; }
__forceinline__ __half2 __float22half2_rn(float2 f) { return {__half(f.x), __half(f.y)}; }
__forceinline__ float2 __half22float2(__half2 h) { return {float(h.x), float(h.y)}; }
__forceinline__ __half __low2half(__half2 h) { return h.x; }
__forceinline__ __half __high2half(__half2 h) { return h.y; }
__forceinline__ __half2 __low2half2(__half2 h) { return {h.x, h.x}; }
__forceinline__ __half2 __high2half2(__half2 h) { return {h.y, h.y}; }
__forceinline__ __half2 __lows2half2(__half2 a, __half2 b) { return {a.x, b.x}; }
__forceinline__ __half2 __highs2half2(__half2 a, __half2 b) { return {a.y, b.y}; }
__forceinline__ __half2 __lowhigh2highlow(__half2 h) { return {h.y, h.x}; }

__forceinline__ __half __ushort_as_half(unsigned short bits) { return __half::from_bits(bits); }
__forceinline__ unsigned short __half_as_ushort(__half h) { return h.x; }
__forceinline__ __half __short_as_half(short bits) { return __half::from_bits(static_cast<unsigned short>(bits)); }
__forceinline__ short __half_as_short(__half h) { return static_cast<short>(h.x); }

JCLIP_SIM_ALL_INTEGER_CONVERSIONS(__half, half)
