// CUDA's atomic functions for kernels compiled by g++ (part of cuda_sim.h). Blocks of one launch
// run on several OS threads, so these are real CPU atomics on the (host) device memory; relaxed
// ordering like CUDA's atomics, __threadfence() for ordering.
#pragma once

#include <cstring>
#include <type_traits>

namespace jclip_sim_detail {

template <typename T>
__forceinline__ T atomic_fetch_add(T* address, T value) {
    return __atomic_fetch_add(address, value, __ATOMIC_RELAXED);
}

// Read-modify-write of any 2-, 4- or 8-byte type through compare-and-swap on its bits: float and
// double addition, the min/max that GCC has no fetch-operation for, and 16-bit float addition.
template <typename T, typename Op>
__forceinline__ T atomic_update(T* address, Op op) {
    using Bits = std::conditional_t<sizeof(T) == 2, unsigned short,
                                    std::conditional_t<sizeof(T) == 4, unsigned, unsigned long long>>;
    static_assert(sizeof(T) == sizeof(Bits), "2-, 4- or 8-byte types only");
    Bits* word = reinterpret_cast<Bits*>(address);
    Bits expected = __atomic_load_n(word, __ATOMIC_RELAXED);
    for (;;) {
        T old;
        std::memcpy(&old, &expected, sizeof old);
        T updated = op(old);
        Bits desired;
        std::memcpy(&desired, &updated, sizeof desired);
        if (__atomic_compare_exchange_n(word, &expected, desired, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) return old;
    }
}

template <typename T>
__forceinline__ T atomic_cas(T* address, T compare, T value) {
    __atomic_compare_exchange_n(address, &compare, value, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    return compare;  // the old value, whether or not it was replaced
}

}  // namespace jclip_sim_detail

__forceinline__ int atomicAdd(int* a, int v) { return jclip_sim_detail::atomic_fetch_add(a, v); }
__forceinline__ unsigned atomicAdd(unsigned* a, unsigned v) { return jclip_sim_detail::atomic_fetch_add(a, v); }
__forceinline__ unsigned long long atomicAdd(unsigned long long* a, unsigned long long v) {
    return jclip_sim_detail::atomic_fetch_add(a, v);
}
__forceinline__ float atomicAdd(float* a, float v) {
    return jclip_sim_detail::atomic_update(a, [v](float old) { return old + v; });
}
__forceinline__ double atomicAdd(double* a, double v) {
    return jclip_sim_detail::atomic_update(a, [v](double old) { return old + v; });
}

__forceinline__ int atomicSub(int* a, int v) { return __atomic_fetch_sub(a, v, __ATOMIC_RELAXED); }
__forceinline__ unsigned atomicSub(unsigned* a, unsigned v) { return __atomic_fetch_sub(a, v, __ATOMIC_RELAXED); }

__forceinline__ int atomicMax(int* a, int v) {
    return jclip_sim_detail::atomic_update(a, [v](int old) { return old > v ? old : v; });
}
__forceinline__ unsigned atomicMax(unsigned* a, unsigned v) {
    return jclip_sim_detail::atomic_update(a, [v](unsigned old) { return old > v ? old : v; });
}
__forceinline__ int atomicMin(int* a, int v) {
    return jclip_sim_detail::atomic_update(a, [v](int old) { return old < v ? old : v; });
}
__forceinline__ unsigned atomicMin(unsigned* a, unsigned v) {
    return jclip_sim_detail::atomic_update(a, [v](unsigned old) { return old < v ? old : v; });
}

__forceinline__ int atomicCAS(int* a, int compare, int v) { return jclip_sim_detail::atomic_cas(a, compare, v); }
__forceinline__ unsigned atomicCAS(unsigned* a, unsigned compare, unsigned v) {
    return jclip_sim_detail::atomic_cas(a, compare, v);
}
__forceinline__ unsigned long long atomicCAS(unsigned long long* a, unsigned long long compare, unsigned long long v) {
    return jclip_sim_detail::atomic_cas(a, compare, v);
}

__forceinline__ int atomicExch(int* a, int v) { return __atomic_exchange_n(a, v, __ATOMIC_RELAXED); }
__forceinline__ unsigned atomicExch(unsigned* a, unsigned v) { return __atomic_exchange_n(a, v, __ATOMIC_RELAXED); }
__forceinline__ unsigned long long atomicExch(unsigned long long* a, unsigned long long v) {
    return __atomic_exchange_n(a, v, __ATOMIC_RELAXED);
}
__forceinline__ float atomicExch(float* a, float v) {
    return jclip_sim_detail::atomic_update(a, [v](float) { return v; });
}

__forceinline__ int atomicAnd(int* a, int v) { return __atomic_fetch_and(a, v, __ATOMIC_RELAXED); }
__forceinline__ unsigned atomicAnd(unsigned* a, unsigned v) { return __atomic_fetch_and(a, v, __ATOMIC_RELAXED); }
__forceinline__ int atomicOr(int* a, int v) { return __atomic_fetch_or(a, v, __ATOMIC_RELAXED); }
__forceinline__ unsigned atomicOr(unsigned* a, unsigned v) { return __atomic_fetch_or(a, v, __ATOMIC_RELAXED); }
__forceinline__ int atomicXor(int* a, int v) { return __atomic_fetch_xor(a, v, __ATOMIC_RELAXED); }
__forceinline__ unsigned atomicXor(unsigned* a, unsigned v) { return __atomic_fetch_xor(a, v, __ATOMIC_RELAXED); }

__forceinline__ void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
__forceinline__ void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
