// __half and __nv_bfloat16 for kernels compiled by g++ (part of cuda_sim.h). Storage types with
// CUDA's conversions: float -> 16 bits rounds to nearest even, as the GPU's cvt.rn does; NaN becomes
// the canonical NaN 0x7FFF like CUDA's own host conversions. Arithmetic happens in float through
// the implicit conversions, which is how our kernels use these types anyway (load, widen, compute,
// narrow on store).
#pragma once

#include <cstdint>
#include <cstring>

namespace jclip_sim_detail {

// C++20's std::bit_cast.
template <class To, class From>
inline To bit_cast(From from) {
    static_assert(sizeof(To) == sizeof(From), "bit_cast between types of different sizes");
    To to;
    std::memcpy(&to, &from, sizeof to);
    return to;
}

inline uint16_t float_to_bf16_bits(float f) {
    uint32_t u = bit_cast<uint32_t>(f);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return 0x7FFF;
    // Adding 0x7FFF plus the lowest kept bit carries into the kept bits exactly when the dropped
    // half is above the midpoint, or at it with an odd kept part: round to nearest, ties to even.
    // Overflow carries into the exponent and gives infinity, as it should.
    u += 0x7FFFu + ((u >> 16) & 1u);
    return static_cast<uint16_t>(u >> 16);
}

inline float bf16_bits_to_float(uint16_t h) { return bit_cast<float>(static_cast<uint32_t>(h) << 16); }

// Rounds `value` right by `shift` bits to nearest, ties to even.
inline uint32_t shift_right_rne(uint32_t value, int shift) {
    uint32_t kept = value >> shift;
    uint32_t rest = value & ((1u << shift) - 1u);
    uint32_t half = 1u << (shift - 1);
    return kept + (rest > half || (rest == half && (kept & 1u)));
}

inline uint16_t float_to_half_bits(float f) {
    uint32_t u = bit_cast<uint32_t>(f);
    uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
    uint32_t a = u & 0x7FFFFFFFu;
    if (a > 0x7F800000u) return 0x7FFF;
    // 65520 is the midpoint between 65504 (the largest half) and 65536; its tie goes to the even
    // neighbour, which is infinity.
    if (a >= 0x477FF000u) return sign | 0x7C00;
    // 2^-25 is the midpoint between 0 and the smallest subnormal 2^-24; its tie goes to 0.
    if (a <= 0x33000000u) return sign;
    int exponent = static_cast<int>(a >> 23);
    if (exponent < 113) {  // below 2^-14: a subnormal half, counting units of 2^-24
        uint32_t mantissa = (a & 0x7FFFFFu) | 0x800000u;
        return sign | static_cast<uint16_t>(shift_right_rne(mantissa, 126 - exponent));
    }
    // Re-bias the exponent (127 -> 15) and round away 13 mantissa bits; a carry out of the
    // mantissa correctly bumps the exponent.
    return sign | static_cast<uint16_t>(shift_right_rne(a - (112u << 23), 13));
}

inline float half_bits_to_float(uint16_t h) {
    uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1Fu;
    uint32_t mantissa = h & 0x3FFu;
    if (exponent == 0x1F) return bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
    if (exponent != 0) return bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
    // Zero or subnormal: mantissa * 2^-24 is exact in float.
    float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return sign ? -magnitude : magnitude;
}

}  // namespace jclip_sim_detail

struct __nv_bfloat16 {
    unsigned short x;
    __nv_bfloat16() = default;
    __nv_bfloat16(float f) : x(jclip_sim_detail::float_to_bf16_bits(f)) {}
    operator float() const { return jclip_sim_detail::bf16_bits_to_float(x); }
};

struct __half {
    unsigned short x;
    __half() = default;
    __half(float f) : x(jclip_sim_detail::float_to_half_bits(f)) {}
    operator float() const { return jclip_sim_detail::half_bits_to_float(x); }
};

struct alignas(4) __nv_bfloat162 {
    __nv_bfloat16 x, y;
};

struct alignas(4) __half2 {
    __half x, y;
};

typedef __nv_bfloat16 nv_bfloat16;
typedef __nv_bfloat162 nv_bfloat162;
typedef __half half;
typedef __half2 half2;

inline __nv_bfloat16 __float2bfloat16(float f) { return __nv_bfloat16(f); }
inline __nv_bfloat16 __float2bfloat16_rn(float f) { return __nv_bfloat16(f); }
inline float __bfloat162float(__nv_bfloat16 h) { return static_cast<float>(h); }
inline __nv_bfloat162 __floats2bfloat162_rn(float a, float b) { return {__nv_bfloat16(a), __nv_bfloat16(b)}; }
inline __nv_bfloat16 __ushort_as_bfloat16(unsigned short bits) {
    __nv_bfloat16 h;
    h.x = bits;
    return h;
}
inline unsigned short __bfloat16_as_ushort(__nv_bfloat16 h) { return h.x; }

inline __half __float2half(float f) { return __half(f); }
inline __half __float2half_rn(float f) { return __half(f); }
inline float __half2float(__half h) { return static_cast<float>(h); }
inline __half2 __floats2half2_rn(float a, float b) { return {__half(a), __half(b)}; }
inline __half __ushort_as_half(unsigned short bits) {
    __half h;
    h.x = bits;
    return h;
}
inline unsigned short __half_as_ushort(__half h) { return h.x; }
