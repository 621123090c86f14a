// What CUDA's __half and __nv_bfloat16 share, written once for both (cuda/cuda_fp16.h and
// cuda/cuda_bf16.h derive their types from these): a SixteenBitFloat's storage and conversions,
// the pair SixteenBitPair, and the arithmetic CUDA gives both types under the same names (__hadd,
// hsqrt, operator+, ...). That arithmetic is declared as hidden friends: plain functions of the
// derived type, found through their arguments, so that overload resolution sees what it sees with
// CUDA's own headers (h + 1.0f is as ambiguous here as under nvcc).
//
// Arithmetic happens in float, rounded once to 16 bits, and that is exact: a float carries more
// than twice the 16-bit formats' precision plus two bits, so the rounded float sum, difference,
// product, quotient or square root rounds to the correctly rounded 16-bit result (double rounding
// is innocuous then; S. Figueroa, "When is double rounding innocuous?", 1995). Fused multiply-add
// keeps the exact result (round-to-odd, cuda_sim_fp16.h). The transcendental functions (hexp,
// hsin, ...) give float's result rounded, where the GPU's are approximations.
#pragma once

#include <cmath>
#include <limits>

#include "cuda_sim_atomics.h"
#include "cuda_sim_fp16.h"

namespace jclip_sim_detail {

struct HalfFormat {
    static constexpr uint16_t kInfinity = 0x7C00;
    static uint16_t from_float(float f) { return float_to_half_bits(f); }
    static float to_float(uint16_t bits) { return half_bits_to_float(bits); }
};

struct BFloat16Format {
    static constexpr uint16_t kInfinity = 0x7F80;
    static uint16_t from_float(float f) { return float_to_bf16_bits(f); }
    static float to_float(uint16_t bits) { return bf16_bits_to_float(bits); }
};

// A float already rounded to an integer, converted to Int as the GPU's cvt does: NaN gives 0, a
// value beyond Int's range the nearest end of it.
template <typename Int>
inline Int saturated(float integral) {
    using Limits = std::numeric_limits<Int>;
    if (std::isnan(integral)) return 0;
    if (integral <= static_cast<float>(Limits::min())) return Limits::min();
    if (integral >= static_cast<float>(Limits::max())) return Limits::max();  // max rounds up to a power of 2
    return static_cast<Int>(integral);
}

// Clamped to [0, 1], NaN to 0: the _sat forms.
inline float saturated_unit(float f) { return f > 0.0f ? (f < 1.0f ? f : 1.0f) : 0.0f; }

// The exact a * b + c by round-to-odd: the double product of two 16-bit values is exact, and
// TwoSum gives what the double sum left out.
inline float fused_multiply_add(float a, float b, float c) {
    const double product = static_cast<double>(a) * b, sum = product + c;
    const double product_part = sum - c, c_part = sum - product_part;
    const double below = (product - product_part) + (c - c_part);
    return std::isfinite(sum) ? round_to_odd_float(sum, below) : static_cast<float>(sum);
}

constexpr uint16_t kCanonicalNaN = 0x7FFF;

template <typename Self, typename Format>
struct SixteenBitFloat {
    unsigned short x;  // the bits

    SixteenBitFloat() = default;
    SixteenBitFloat(float f) : x(Format::from_float(f)) {}
    SixteenBitFloat(double d) : x(Format::from_float(round_to_odd_float(d))) {}
    SixteenBitFloat(short i) : x(from_integer(i)) {}
    SixteenBitFloat(unsigned short i) : x(from_integer(i)) {}
    SixteenBitFloat(int i) : x(from_integer(i)) {}
    SixteenBitFloat(unsigned int i) : x(from_integer(i)) {}
    SixteenBitFloat(long i) : x(from_integer(i)) {}
    SixteenBitFloat(unsigned long i) : x(from_integer(i)) {}
    SixteenBitFloat(long long i) : x(from_integer(i)) {}
    SixteenBitFloat(unsigned long long i) : x(from_integer(i)) {}

    operator float() const { return Format::to_float(x); }
    // Integers truncate, as CUDA's conversion operators do (__half2int_rz and kin).
    operator signed char() const { return toward_zero<signed char>(); }
    operator unsigned char() const { return toward_zero<unsigned char>(); }
    operator char() const { return toward_zero<char>(); }
    operator short() const { return toward_zero<short>(); }
    operator unsigned short() const { return toward_zero<unsigned short>(); }
    operator int() const { return toward_zero<int>(); }
    operator unsigned int() const { return toward_zero<unsigned int>(); }
    operator long() const { return toward_zero<long>(); }
    operator unsigned long() const { return toward_zero<unsigned long>(); }
    operator long long() const { return toward_zero<long long>(); }
    operator unsigned long long() const { return toward_zero<unsigned long long>(); }
    operator bool() const { return (x & 0x7FFFu) != 0; }  // NaN is true, -0 false

    static Self from_bits(unsigned short bits) {
        Self h;
        h.x = bits;
        return h;
    }

    // ---- arithmetic (see the top of this file) ---------------------------------------------------

    friend Self __hadd(Self a, Self b) { return Self(float(a) + float(b)); }
    friend Self __hsub(Self a, Self b) { return Self(float(a) - float(b)); }
    friend Self __hmul(Self a, Self b) { return Self(float(a) * float(b)); }
    friend Self __hdiv(Self a, Self b) { return Self(float(a) / float(b)); }
    // The _rn forms only forbid the GPU compiler to contract them into fused multiply-adds.
    friend Self __hadd_rn(Self a, Self b) { return __hadd(a, b); }
    friend Self __hsub_rn(Self a, Self b) { return __hsub(a, b); }
    friend Self __hmul_rn(Self a, Self b) { return __hmul(a, b); }
    friend Self __hadd_sat(Self a, Self b) { return Self(saturated_unit(float(__hadd(a, b)))); }
    friend Self __hsub_sat(Self a, Self b) { return Self(saturated_unit(float(__hsub(a, b)))); }
    friend Self __hmul_sat(Self a, Self b) { return Self(saturated_unit(float(__hmul(a, b)))); }
    friend Self __hfma(Self a, Self b, Self c) { return Self(fused_multiply_add(float(a), float(b), float(c))); }
    friend Self __hfma_sat(Self a, Self b, Self c) { return Self(saturated_unit(float(__hfma(a, b, c)))); }
    friend Self __hneg(Self a) { return from_bits(a.x ^ 0x8000u); }
    friend Self __habs(Self a) { return from_bits(a.x & 0x7FFFu); }

    // NaN gives way to a number, and +0 counts as above -0.
    friend Self __hmax(Self a, Self b) { return extremum(a, b, true); }
    friend Self __hmin(Self a, Self b) { return extremum(a, b, false); }
    // NaN wins.
    friend Self __hmax_nan(Self a, Self b) { return __hisnan(a) || __hisnan(b) ? from_bits(kCanonicalNaN) : __hmax(a, b); }
    friend Self __hmin_nan(Self a, Self b) { return __hisnan(a) || __hisnan(b) ? from_bits(kCanonicalNaN) : __hmin(a, b); }

    // Ordered comparisons are false with a NaN; the unordered (..u) forms true.
    friend bool __heq(Self a, Self b) { return float(a) == float(b); }
    friend bool __hne(Self a, Self b) { return float(a) < float(b) || float(a) > float(b); }
    friend bool __hlt(Self a, Self b) { return float(a) < float(b); }
    friend bool __hle(Self a, Self b) { return float(a) <= float(b); }
    friend bool __hgt(Self a, Self b) { return float(a) > float(b); }
    friend bool __hge(Self a, Self b) { return float(a) >= float(b); }
    friend bool __hequ(Self a, Self b) { return !__hne(a, b); }
    friend bool __hneu(Self a, Self b) { return !__heq(a, b); }
    friend bool __hltu(Self a, Self b) { return !__hge(a, b); }
    friend bool __hleu(Self a, Self b) { return !__hgt(a, b); }
    friend bool __hgtu(Self a, Self b) { return !__hle(a, b); }
    friend bool __hgeu(Self a, Self b) { return !__hlt(a, b); }
    friend bool __hisnan(Self a) { return (a.x & 0x7FFFu) > Format::kInfinity; }
    friend int __hisinf(Self a) { return (a.x & 0x7FFFu) == Format::kInfinity ? ((a.x & 0x8000u) ? -1 : 1) : 0; }

    friend Self hsqrt(Self a) { return Self(std::sqrt(float(a))); }
    friend Self hrsqrt(Self a) { return Self(1.0f / std::sqrt(float(a))); }
    friend Self hrcp(Self a) { return Self(1.0f / float(a)); }
    friend Self hexp(Self a) { return Self(std::exp(float(a))); }
    friend Self hexp2(Self a) { return Self(std::exp2(float(a))); }
    friend Self hexp10(Self a) { return Self(std::pow(10.0f, float(a))); }
    friend Self hlog(Self a) { return Self(std::log(float(a))); }
    friend Self hlog2(Self a) { return Self(std::log2(float(a))); }
    friend Self hlog10(Self a) { return Self(std::log10(float(a))); }
    friend Self hsin(Self a) { return Self(std::sin(float(a))); }
    friend Self hcos(Self a) { return Self(std::cos(float(a))); }
    friend Self hceil(Self a) { return Self(std::ceil(float(a))); }
    friend Self hfloor(Self a) { return Self(std::floor(float(a))); }
    friend Self htrunc(Self a) { return Self(std::trunc(float(a))); }
    friend Self hrint(Self a) { return Self(std::nearbyint(float(a))); }

    friend Self operator+(Self a, Self b) { return __hadd(a, b); }
    friend Self operator-(Self a, Self b) { return __hsub(a, b); }
    friend Self operator*(Self a, Self b) { return __hmul(a, b); }
    friend Self operator/(Self a, Self b) { return __hdiv(a, b); }
    friend Self& operator+=(Self& a, Self b) { return a = a + b; }
    friend Self& operator-=(Self& a, Self b) { return a = a - b; }
    friend Self& operator*=(Self& a, Self b) { return a = a * b; }
    friend Self& operator/=(Self& a, Self b) { return a = a / b; }
    friend Self operator+(Self a) { return a; }
    friend Self operator-(Self a) { return __hneg(a); }
    friend Self& operator++(Self& a) { return a += Self(1.0f); }
    friend Self& operator--(Self& a) { return a -= Self(1.0f); }
    friend Self operator++(Self& a, int) {
        Self old = a;
        ++a;
        return old;
    }
    friend Self operator--(Self& a, int) {
        Self old = a;
        --a;
        return old;
    }
    friend bool operator==(Self a, Self b) { return __heq(a, b); }
    friend bool operator!=(Self a, Self b) { return __hneu(a, b); }
    friend bool operator<(Self a, Self b) { return __hlt(a, b); }
    friend bool operator<=(Self a, Self b) { return __hle(a, b); }
    friend bool operator>(Self a, Self b) { return __hgt(a, b); }
    friend bool operator>=(Self a, Self b) { return __hge(a, b); }

    // Atomic in the 16 bits of the value, as on the GPU.
    friend Self atomicAdd(Self* address, Self value) {
        return atomic_update(address, [value](Self old) { return old + value; });
    }

private:
    template <typename Int>
    static unsigned short from_integer(Int i) {
        return Format::from_float(integer_round_to_odd_float(i));
    }
    template <typename Int>
    Int toward_zero() const {
        return saturated<Int>(std::trunc(Format::to_float(x)));
    }
    // The larger (`maximum`) or smaller of a and b.
    static Self extremum(Self a, Self b, bool maximum) {
        if (__hisnan(a) && __hisnan(b)) return from_bits(kCanonicalNaN);
        if (__hisnan(a)) return b;
        if (__hisnan(b)) return a;
        const float fa = float(a), fb = float(b);
        if (fa == fb) return ((a.x & 0x8000u) != 0) == maximum ? b : a;  // equal: only zeros' signs differ
        return (fa > fb) == maximum ? a : b;
    }
};

template <typename Self, typename Scalar>
struct alignas(4) SixteenBitPair {
    Scalar x, y;

    SixteenBitPair() = default;
    SixteenBitPair(Scalar x, Scalar y) : x(x), y(y) {}

    friend Self __hadd2(Self a, Self b) { return {a.x + b.x, a.y + b.y}; }
    friend Self __hsub2(Self a, Self b) { return {a.x - b.x, a.y - b.y}; }
    friend Self __hmul2(Self a, Self b) { return {a.x * b.x, a.y * b.y}; }
    friend Self __h2div(Self a, Self b) { return {a.x / b.x, a.y / b.y}; }
    friend Self __hfma2(Self a, Self b, Self c) { return {__hfma(a.x, b.x, c.x), __hfma(a.y, b.y, c.y)}; }
    friend Self __hneg2(Self a) { return {__hneg(a.x), __hneg(a.y)}; }
    friend Self __habs2(Self a) { return {__habs(a.x), __habs(a.y)}; }
    friend Self __hmax2(Self a, Self b) { return {__hmax(a.x, b.x), __hmax(a.y, b.y)}; }
    friend Self __hmin2(Self a, Self b) { return {__hmin(a.x, b.x), __hmin(a.y, b.y)}; }
    friend Self h2sqrt(Self a) { return {hsqrt(a.x), hsqrt(a.y)}; }
    friend float __low2float(Self a) { return float(a.x); }
    friend float __high2float(Self a) { return float(a.y); }

    // Comparisons of pairs hold when they hold in both halves (__hbeq2 and kin).
    friend bool __hbeq2(Self a, Self b) { return __heq(a.x, b.x) && __heq(a.y, b.y); }
    friend bool __hbneu2(Self a, Self b) { return __hneu(a.x, b.x) && __hneu(a.y, b.y); }
    friend bool __hblt2(Self a, Self b) { return __hlt(a.x, b.x) && __hlt(a.y, b.y); }
    friend bool __hble2(Self a, Self b) { return __hle(a.x, b.x) && __hle(a.y, b.y); }
    friend bool __hbgt2(Self a, Self b) { return __hgt(a.x, b.x) && __hgt(a.y, b.y); }
    friend bool __hbge2(Self a, Self b) { return __hge(a.x, b.x) && __hge(a.y, b.y); }

    friend Self operator+(Self a, Self b) { return __hadd2(a, b); }
    friend Self operator-(Self a, Self b) { return __hsub2(a, b); }
    friend Self operator*(Self a, Self b) { return __hmul2(a, b); }
    friend Self operator/(Self a, Self b) { return __h2div(a, b); }
    friend Self& operator+=(Self& a, Self b) { return a = a + b; }
    friend Self& operator-=(Self& a, Self b) { return a = a - b; }
    friend Self& operator*=(Self& a, Self b) { return a = a * b; }
    friend Self& operator/=(Self& a, Self b) { return a = a / b; }
    friend Self operator+(Self a) { return a; }
    friend Self operator-(Self a) { return __hneg2(a); }
    friend bool operator==(Self a, Self b) { return __hbeq2(a, b); }
    friend bool operator!=(Self a, Self b) { return __hbneu2(a, b); }
    friend bool operator<(Self a, Self b) { return __hblt2(a, b); }
    friend bool operator<=(Self a, Self b) { return __hble2(a, b); }
    friend bool operator>(Self a, Self b) { return __hbgt2(a, b); }
    friend bool operator>=(Self a, Self b) { return __hbge2(a, b); }

    // Each half added atomically; the pair as one 32-bit word, as on the GPU.
    friend Self atomicAdd(Self* address, Self value) {
        return atomic_update(address, [value](Self old) { return old + value; });
    }
};

}  // namespace jclip_sim_detail

// CUDA's conversions between a 16-bit type T (named `kind`: half, bfloat16) and one integer type
// Int (named `name`: int, ll, ...): __int2half_rn, and __half2int_rn, _rz, _rd and _ru.
#define JCLIP_SIM_INTEGER_CONVERSIONS(T, kind, Int, name)                                                    \
    __forceinline__ T __##name##2##kind##_rn(Int i) { return T(i); }                                         \
    __forceinline__ Int __##kind##2##name##_rn(T h) { return jclip_sim_detail::saturated<Int>(std::nearbyint(float(h))); } \
    __forceinline__ Int __##kind##2##name##_rz(T h) { return jclip_sim_detail::saturated<Int>(std::trunc(float(h))); } \
    __forceinline__ Int __##kind##2##name##_rd(T h) { return jclip_sim_detail::saturated<Int>(std::floor(float(h))); } \
    __forceinline__ Int __##kind##2##name##_ru(T h) { return jclip_sim_detail::saturated<Int>(std::ceil(float(h))); }
#define JCLIP_SIM_ALL_INTEGER_CONVERSIONS(T, kind)                               \
    JCLIP_SIM_INTEGER_CONVERSIONS(T, kind, int, int)                             \
    JCLIP_SIM_INTEGER_CONVERSIONS(T, kind, unsigned int, uint)                   \
    JCLIP_SIM_INTEGER_CONVERSIONS(T, kind, short, short)                         \
    JCLIP_SIM_INTEGER_CONVERSIONS(T, kind, unsigned short, ushort)               \
    JCLIP_SIM_INTEGER_CONVERSIONS(T, kind, long long, ll)                        \
    JCLIP_SIM_INTEGER_CONVERSIONS(T, kind, unsigned long long, ull)
