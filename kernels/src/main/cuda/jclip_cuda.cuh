// Included by every kernel source. The same .cu files compile with nvcc (to PTX) and with g++ for
// the simulated GPU, which force-includes src/main/native/sim/include/cuda_sim.h first; this header
// holds the few spellings that must differ between the two.
#pragma once

#ifdef __CUDACC__
#include <cuda_bf16.h>
#include <cuda_fp16.h>
// Dynamic shared memory (the launch's sharedMemBytes), typed: JCLIP_DYNAMIC_SHARED(float, tile);
#define JCLIP_DYNAMIC_SHARED(T, name) \
    extern __shared__ __align__(16) unsigned char jclip_dynamic_shared_[]; \
    T* name = reinterpret_cast<T*>(jclip_dynamic_shared_)
#else
#define JCLIP_DYNAMIC_SHARED(T, name) T* name = reinterpret_cast<T*>(jclip_sim_dynamic_shared())
#endif
