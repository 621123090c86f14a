// Strided copies that convert between any two dtypes, and fill. The conversions are those of
// jclip.kernels.cpu.Copy / CpuKernels.copy: floats go through float (F16 and BF16 round to nearest
// even), integers through a 64-bit integer, float to integer truncates toward zero (saturating,
// NaN to 0, as Java casts do), narrower integers wrap (U8 and BOOL alike), and an integer becomes a
// float through double.
#include "jclip_cuda.cuh"
#include "elements.cuh"

// The order of jclip.kernels.DType: the launchers pass dtype.ordinal().
enum DType { F32, F16, BF16, I32, I64, U8, BOOL };

// One element on its way between dtypes: a float or an integer, as the source type says.
struct Value {
    bool isFloat;
    float f;
    long long i;
};

// The dtype codes are uniform over a launch, so these switches never diverge.
__device__ __forceinline__ Value load(int dtype, const void* base, int at) {
    switch (dtype) {
        case F32: return {true, static_cast<const float*>(base)[at], 0};
        case F16: return {true, __half2float(static_cast<const __half*>(base)[at]), 0};
        case BF16: return {true, __bfloat162float(static_cast<const __nv_bfloat16*>(base)[at]), 0};
        case I32: return {false, 0.f, static_cast<const int*>(base)[at]};
        case I64: return {false, 0.f, static_cast<const long long*>(base)[at]};
        default: return {false, 0.f, static_cast<const unsigned char*>(base)[at]};  // U8, BOOL
    }
}

// Java's (long) f, which the CPU backend uses: NaN gives 0 and values beyond the range saturate.
// The GPU's conversion does the same by itself; C++ leaves those cases undefined, so the simulator
// needs them spelled out.
__device__ __forceinline__ long long truncate_to_int64(float f) {
    if (f != f) return 0;
    if (f >= 0x1p63f) return 9223372036854775807LL;
    if (f <= -0x1p63f) return -9223372036854775807LL - 1;
    return (long long)f;
}

__device__ __forceinline__ void store(int dtype, void* base, int at, Value v) {
    float f = v.isFloat ? v.f : (float)(double)v.i;
    long long i = v.isFloat ? truncate_to_int64(v.f) : v.i;
    switch (dtype) {
        case F32: static_cast<float*>(base)[at] = f; break;
        case F16: static_cast<__half*>(base)[at] = __float2half_rn(f); break;
        case BF16: static_cast<__nv_bfloat16*>(base)[at] = __float2bfloat16_rn(f); break;
        case I32: static_cast<int*>(base)[at] = (int)i; break;
        case I64: static_cast<long long*>(base)[at] = i; break;
        default: static_cast<unsigned char*>(base)[at] = (unsigned char)i; break;  // U8, BOOL
    }
}

__device__ __forceinline__ int bytes_of(int dtype) {
    switch (dtype) {
        case F32: case I32: return 4;
        case F16: case BF16: return 2;
        case I64: return 8;
        default: return 1;
    }
}

// A copy within one dtype moves bits: exact for every value, NaN payloads included, as on the CPU.
template <class Bits>
__device__ __forceinline__ void copy_bits(int ndim, const Dims& shape, const Dims& srcStrides, const Dims& dstStrides,
                                          const void* src, void* dst, int n) {
    GRID_STRIDE(i, n) {
        Coords k = coords_of(i, ndim, shape);
        static_cast<Bits*>(dst)[offset_of(k, ndim, dstStrides)] = static_cast<const Bits*>(src)[offset_of(k, ndim, srcStrides)];
    }
}

// dst[k·dstStrides] = convert(src[k·srcStrides]) for every index k of `shape` (n elements, ndim <= 8);
// src and dst point at element 0 of each view.
extern "C" __global__ void jclip_copy(int srcType, int dstType, int ndim, Dims shape, Dims srcStrides,
                                      Dims dstStrides, const void* src, void* dst, int n) {
    if (srcType == dstType) {
        switch (bytes_of(srcType)) {
            case 1: copy_bits<unsigned char>(ndim, shape, srcStrides, dstStrides, src, dst, n); return;
            case 2: copy_bits<unsigned short>(ndim, shape, srcStrides, dstStrides, src, dst, n); return;
            case 4: copy_bits<unsigned>(ndim, shape, srcStrides, dstStrides, src, dst, n); return;
            default: copy_bits<unsigned long long>(ndim, shape, srcStrides, dstStrides, src, dst, n); return;
        }
    }
    GRID_STRIDE(i, n) {
        Coords k = coords_of(i, ndim, shape);
        store(dstType, dst, offset_of(k, ndim, dstStrides), load(srcType, src, offset_of(k, ndim, srcStrides)));
    }
}

// out [n] of elementBytes-byte elements, each set to `bits` (the launcher converts the value to the
// dtype on the host, with the CPU backend's rounding, and passes its bit pattern).
extern "C" __global__ void jclip_fill(void* out, int elementBytes, long long bits, int n) {
    switch (elementBytes) {
        case 1: GRID_STRIDE(i, n) static_cast<unsigned char*>(out)[i] = (unsigned char)bits; break;
        case 2: GRID_STRIDE(i, n) static_cast<unsigned short*>(out)[i] = (unsigned short)bits; break;
        case 4: GRID_STRIDE(i, n) static_cast<unsigned*>(out)[i] = (unsigned)bits; break;
        default: GRID_STRIDE(i, n) static_cast<unsigned long long*>(out)[i] = (unsigned long long)bits; break;
    }
}
