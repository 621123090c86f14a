// Stand-in for CUDA's <cuda_bf16.h>, for kernels compiled by g++: __nv_bfloat16, the pair
// __nv_bfloat162, and CUDA's functions on them. Like CUDA's, it brings <cuda_fp16.h> along, for the
// explicit conversions between __half and __nv_bfloat16. What the two types share is in
// cuda_sim_sixteen_bit.h; how floats round to the 16 bits, in cuda_sim_fp16.h.
#pragma once

#include "cuda_fp16.h"
#include "cuda_sim_sixteen_bit.h"

struct __nv_bfloat16_raw {
    unsigned short x;
};

struct __nv_bfloat162_raw {
    unsigned short x, y;
};

struct __nv_bfloat16 : jclip_sim_detail::SixteenBitFloat<__nv_bfloat16, jclip_sim_detail::BFloat16Format> {
    using SixteenBitFloat::SixteenBitFloat;
    __nv_bfloat16() = default;
    __nv_bfloat16(__nv_bfloat16_raw raw) { x = raw.x; }
    operator __nv_bfloat16_raw() const { return {x}; }
    // Through float, which holds either type exactly: one rounding.
    explicit __nv_bfloat16(__half h) : SixteenBitFloat(float(h)) {}
};

inline __half::__half(__nv_bfloat16 b) : SixteenBitFloat(float(b)) {}

struct __nv_bfloat162 : jclip_sim_detail::SixteenBitPair<__nv_bfloat162, __nv_bfloat16> {
    using SixteenBitPair::SixteenBitPair;
    __nv_bfloat162() = default;
    __nv_bfloat162(__nv_bfloat162_raw raw) : SixteenBitPair(__nv_bfloat16_raw{raw.x}, __nv_bfloat16_raw{raw.y}) {}
    operator __nv_bfloat162_raw() const { return {x.x, y.x}; }
};

typedef __nv_bfloat16 nv_bfloat16;
typedef __nv_bfloat162 nv_bfloat162;

__forceinline__ __nv_bfloat16 __float2bfloat16(float f) { return __nv_bfloat16(f); }
__forceinline__ __nv_bfloat16 __float2bfloat16_rn(float f) { return __nv_bfloat16(f); }
__forceinline__ __nv_bfloat16 __double2bfloat16(double d) { return __nv_bfloat16(d); }
__forceinline__ float __bfloat162float(__nv_bfloat16 h) { return float(h); }

__forceinline__ __nv_bfloat162 make_bfloat162(__nv_bfloat16 x, __nv_bfloat16 y) { return {x, y}; }
__forceinline__ __nv_bfloat162 __halves2bfloat162(__nv_bfloat16 low, __nv_bfloat16 high) { return {low, high}; }
__forceinline__ __nv_bfloat162 __bfloat162bfloat162(__nv_bfloat16 h) { return {h, h}; }
__forceinline__ __nv_bfloat162 __float2bfloat162_rn(float f) { return {__nv_bfloat16(f), __nv_bfloat16(f)}; }
__forceinline__ __nv_bfloat162 __floats2bfloat162_rn(float low, float high) {
    return {__nv_bfloat16(low), __nv_bfloat16(high)};
}
__forceinline__ __nv_bfloat162 __float22bfloat162_rn(float2 f) { return {__nv_bfloat16(f.x), __nv_bfloat16(f.y)}; }
__forceinline__ float2 __bfloat1622float2(__nv_bfloat162 h) { return {float(h.x), float(h.y)}; }
__forceinline__ __nv_bfloat16 __low2bfloat16(__nv_bfloat162 h) { return h.x; }
__forceinline__ __nv_bfloat16 __high2bfloat16(__nv_bfloat162 h) { return h.y; }
__forceinline__ __nv_bfloat162 __low2bfloat162(__nv_bfloat162 h) { return {h.x, h.x}; }
__forceinline__ __nv_bfloat162 __high2bfloat162(__nv_bfloat162 h) { return {h.y, h.y}; }
__forceinline__ __nv_bfloat162 __lows2bfloat162(__nv_bfloat162 a, __nv_bfloat162 b) { return {a.x, b.x}; }
__forceinline__ __nv_bfloat162 __highs2bfloat162(__nv_bfloat162 a, __nv_bfloat162 b) { return {a.y, b.y}; }
__forceinline__ __nv_bfloat162 __lowhigh2highlow(__nv_bfloat162 h) { return {h.y, h.x}; }

__forceinline__ __nv_bfloat16 __ushort_as_bfloat16(unsigned short bits) { return __nv_bfloat16::from_bits(bits); }
__forceinline__ unsigned short __bfloat16_as_ushort(__nv_bfloat16 h) { return h.x; }
__forceinline__ __nv_bfloat16 __short_as_bfloat16(short bits) {
    return __nv_bfloat16::from_bits(static_cast<unsigned short>(bits));
}
__forceinline__ short __bfloat16_as_short(__nv_bfloat16 h) { return static_cast<short>(h.x); }

JCLIP_SIM_ALL_INTEGER_CONVERSIONS(__nv_bfloat16, bfloat16)
