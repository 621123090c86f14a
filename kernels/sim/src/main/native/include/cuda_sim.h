// CUDA's built-ins for g++: force-included (g++ -include cuda_sim.h) before every .cu file that is
// compiled for the simulated GPU, so that the kernel source stays exactly what nvcc compiles.
//
// Each GPU thread runs as a fiber of the block scheduler in libcuda.so.1 (runtime/); the
// built-ins here read its indices and call into it through jclip_sim_abi.h. One OS thread runs
// one block at a time, from start to end, so:
//   __shared__   becomes `static thread_local`: private to the block while it runs, shared by its
//                threads (fibers), and correct while blocks of one launch run on several OS threads;
//                `extern __shared__ T name[]` names the launch's dynamic shared memory. Both are
//                rewritten between preprocessing and compiling (shared-memory.pl, run by the
//                Makefile), since no macro can turn an extern declaration into a definition.
//   threadIdx    follows a thread-local pointer that the scheduler sets at every fiber switch.
// CUDA's own headers (cuda_runtime.h, cuda_fp16.h, cooperative_groups.h, ...) have stand-ins in
// include/cuda. Limit: a GPU thread has a 64 KiB stack (large local arrays belong in shared
// memory on a GPU too).
#pragma once

#define JCLIP_SIM 1

#define __global__
#define __device__
#define __host__
#define __constant__
#define __managed__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
#define __grid_constant__
// A marker for shared-memory.pl; a source compiled without that step fails to compile.
#define __shared__ __jclip_sim_shared__
// g++ knows __restrict__ itself.

#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>
#include <utility>

#include "jclip_sim_abi.h"

// ---- vector types ------------------------------------------------------------------------------

typedef jclip_sim_uint3 uint3;

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x = 1, unsigned y = 1, unsigned z = 1) : x(x), y(y), z(z) {}
    constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
};

#define JCLIP_SIM_VECTOR2(T, name, align)                                                       \
    struct __attribute__((aligned(align))) name {                                                \
        T x, y;                                                                                  \
    };                                                                                           \
    __forceinline__ name make_##name(T x, T y) { return {x, y}; }
#define JCLIP_SIM_VECTOR3(T, name)                                                              \
    struct name {                                                                                \
        T x, y, z;                                                                               \
    };                                                                                           \
    __forceinline__ name make_##name(T x, T y, T z) { return {x, y, z}; }
#define JCLIP_SIM_VECTOR4(T, name, align)                                                       \
    struct __attribute__((aligned(align))) name {                                                \
        T x, y, z, w;                                                                            \
    };                                                                                           \
    __forceinline__ name make_##name(T x, T y, T z, T w) { return {x, y, z, w}; }
JCLIP_SIM_VECTOR2(float, float2, 8)
JCLIP_SIM_VECTOR3(float, float3)
JCLIP_SIM_VECTOR4(float, float4, 16)
JCLIP_SIM_VECTOR2(int, int2, 8)
JCLIP_SIM_VECTOR3(int, int3)
JCLIP_SIM_VECTOR4(int, int4, 16)
JCLIP_SIM_VECTOR2(unsigned, uint2, 8)
JCLIP_SIM_VECTOR4(unsigned, uint4, 16)
JCLIP_SIM_VECTOR2(signed char, char2, 2)
JCLIP_SIM_VECTOR4(signed char, char4, 4)
JCLIP_SIM_VECTOR2(unsigned char, uchar2, 2)
JCLIP_SIM_VECTOR4(unsigned char, uchar4, 4)
JCLIP_SIM_VECTOR2(short, short2, 4)
JCLIP_SIM_VECTOR4(short, short4, 8)
JCLIP_SIM_VECTOR2(unsigned short, ushort2, 4)
JCLIP_SIM_VECTOR4(unsigned short, ushort4, 8)
JCLIP_SIM_VECTOR2(long long, longlong2, 16)
JCLIP_SIM_VECTOR2(unsigned long long, ulonglong2, 16)
JCLIP_SIM_VECTOR2(double, double2, 16)
#undef JCLIP_SIM_VECTOR2
#undef JCLIP_SIM_VECTOR3
#undef JCLIP_SIM_VECTOR4
__forceinline__ uint3 make_uint3(unsigned x, unsigned y, unsigned z) { return {x, y, z}; }

// ---- indices -----------------------------------------------------------------------------------

#define threadIdx (*jclip_sim_thread_idx)
#define blockIdx (jclip_sim_block.block_idx)
#define blockDim (jclip_sim_block.block_dim)
#define gridDim (jclip_sim_block.grid_dim)
constexpr int warpSize = 32;

// ---- dynamic shared memory ---------------------------------------------------------------------

namespace jclip_sim_detail {

// What `extern __shared__ T name[];` binds name to (shared-memory.pl): the running block's dynamic
// shared memory, as the declared reference-to-array type.
template <typename ArrayReference>
__forceinline__ ArrayReference dynamic_shared() {
    return *reinterpret_cast<std::remove_reference_t<ArrayReference>*>(jclip_sim_dynamic_shared());
}

}  // namespace jclip_sim_detail

// ---- barriers and warp collectives -------------------------------------------------------------

__forceinline__ void __syncthreads() { jclip_sim_syncthreads(JCLIP_SIM_BARRIER, 0); }
__forceinline__ int __syncthreads_count(int p) { return jclip_sim_syncthreads(JCLIP_SIM_BARRIER_COUNT, p != 0); }
__forceinline__ int __syncthreads_and(int p) { return jclip_sim_syncthreads(JCLIP_SIM_BARRIER_AND, p != 0); }
__forceinline__ int __syncthreads_or(int p) { return jclip_sim_syncthreads(JCLIP_SIM_BARRIER_OR, p != 0); }

__forceinline__ void __syncwarp(unsigned mask = 0xFFFFFFFFu) {
    jclip_sim_warp_collective(JCLIP_SIM_SYNCWARP, mask, 0, 0, warpSize);
}
__forceinline__ unsigned __ballot_sync(unsigned mask, int p) {
    return static_cast<unsigned>(jclip_sim_warp_collective(JCLIP_SIM_BALLOT, mask, p != 0, 0, warpSize));
}
__forceinline__ int __any_sync(unsigned mask, int p) { return __ballot_sync(mask, p) != 0; }
__forceinline__ int __all_sync(unsigned mask, int p) { return __ballot_sync(mask, p) == mask; }
__forceinline__ unsigned __activemask() { return jclip_sim_active_mask(); }

namespace jclip_sim_detail {

// Shuffles move any value of at most 8 bytes (int, float, double, __half, ...) by its bits, as the
// GPU does.
template <typename T>
__forceinline__ T shuffle(int op, unsigned mask, T value, int arg, int width) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "shuffles move values of at most 8 bytes");
    unsigned long long bits = 0;
    std::memcpy(&bits, &value, sizeof value);
    bits = jclip_sim_warp_collective(op, mask, bits, arg, width);
    T result;
    std::memcpy(&result, &bits, sizeof result);
    return result;
}

}  // namespace jclip_sim_detail

template <typename T>
__forceinline__ T __shfl_sync(unsigned mask, T var, int src_lane, int width = warpSize) {
    return jclip_sim_detail::shuffle(JCLIP_SIM_SHFL_IDX, mask, var, src_lane, width);
}
template <typename T>
__forceinline__ T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
    return jclip_sim_detail::shuffle(JCLIP_SIM_SHFL_UP, mask, var, static_cast<int>(delta), width);
}
template <typename T>
__forceinline__ T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
    return jclip_sim_detail::shuffle(JCLIP_SIM_SHFL_DOWN, mask, var, static_cast<int>(delta), width);
}
template <typename T>
__forceinline__ T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = warpSize) {
    return jclip_sim_detail::shuffle(JCLIP_SIM_SHFL_XOR, mask, var, lane_mask, width);
}

#include "cuda_sim_atomics.h"
#include "cuda_sim_math.h"

// ---- kernel registration -----------------------------------------------------------------------

namespace jclip_sim_detail {

template <auto Kernel>
struct Registration;

// Deduces the kernel's parameter types from its type: the thunk reads each kernelParams[i] as a
// pointer to the i-th parameter's type, exactly what cuLaunchKernel passes on a GPU.
template <typename... Args, void (*Kernel)(Args...)>
struct Registration<Kernel> {
    template <std::size_t... I>
    static void call(void** params, std::index_sequence<I...>) {
        Kernel(*static_cast<Args*>(params[I])...);
    }
    static void thunk(void** params) { call(params, std::index_sequence_for<Args...>{}); }
    static int add(const char* name) {
        static const std::size_t sizes[sizeof...(Args) + 1] = {sizeof(Args)..., 0};
        jclip_sim_register_kernel(name, &thunk, static_cast<int>(sizeof...(Args)), sizes);
        return 0;
    }
};

}  // namespace jclip_sim_detail

// Registers extern "C" __global__ kernel `name` with the simulated driver when the library loads
// (register.sh writes one per kernel).
#define JCLIP_SIM_REGISTER(name) \
    static const int jclip_sim_registered_##name = ::jclip_sim_detail::Registration<&name>::add(#name);
