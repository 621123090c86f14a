// How CUDA's 16-bit floats round, on their bits: the rules behind the kernels' __half and
// __nv_bfloat16 (cuda/cuda_fp16.h, cuda/cuda_bf16.h) and the cuBLAS stand-in. Float -> 16 bits
// rounds to nearest even, as the GPU's cvt.rn does; NaN becomes the canonical NaN 0x7FFF like CUDA's
// own host conversions. Wider values (double, 64-bit integers, the exact result of a fused
// multiply-add) first become a float by round-to-odd, which then rounds to 16 bits exactly as the
// value itself would.
#pragma once

#include <cfloat>
#include <cmath>
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

// ---- values wider than a float ------------------------------------------------------------------
//
// Round-to-odd keeps a float's 24 bits, truncated, and sets the last one when anything was cut
// off. Rounding that float to 16 bits (at most 11 significant, 13 fewer than a float) then gives
// what rounding the exact value would: the sticky last bit still tells a tie from a value just
// beside it. Rounding to the nearest float first could not; it would make ties of non-ties.

// The exact value `value + below` by round-to-odd, where `below` is what double arithmetic could
// not hold of it (TwoSum's error term; 0 for a plain double), smaller than half of value's ulp.
inline float round_to_odd_float(double value, double below = 0.0) {
    // Past the largest float lies infinity in both 16-bit formats too.
    if (std::fabs(value) > static_cast<double>(FLT_MAX)) return value > 0 ? INFINITY : -INFINITY;
    float f = static_cast<float>(value);
    if (std::isnan(f)) return f;
    // The sign of f - exact: value - f is exact (the two lie within an ulp of f), so rounding the
    // second difference keeps its sign, and zero only for zero.
    const double overshoot = (static_cast<double>(f) - value) - below;
    if (overshoot == 0) return f;
    if ((overshoot > 0) == (value > 0)) f = std::nextafter(f, 0.0f);  // rounded away from zero: truncate
    return bit_cast<float>(bit_cast<uint32_t>(f) | 1u);
}

// An integer's magnitude by round-to-odd: its top 24 bits, the last made odd if any bit below them
// is set, scaled back by the bits dropped (exact: powers of two).
inline float round_to_odd_float(unsigned long long magnitude) {
    const int dropped = 64 - __builtin_clzll(magnitude | 1u) - 24;
    if (dropped <= 0) return static_cast<float>(magnitude);
    unsigned long long kept = magnitude >> dropped;
    if (magnitude & ((1ull << dropped) - 1u)) kept |= 1u;
    return std::ldexp(static_cast<float>(kept), dropped);
}

// Any integer's value by round-to-odd.
template <typename Int>
inline float integer_round_to_odd_float(Int i) {
    if (i >= 0) return round_to_odd_float(static_cast<unsigned long long>(i));
    // 0 - (unsigned)i is the magnitude even for the most negative value.
    return -round_to_odd_float(0ull - static_cast<unsigned long long>(i));
}

}  // namespace jclip_sim_detail
