// Included by every kernel source. The same .cu files compile with nvcc (to PTX) and with g++ for
// the simulated GPU, which force-includes src/main/native/sim/include/cuda_sim.h first; that
// defines the 16-bit float types itself, so only nvcc includes CUDA's headers for them.
#pragma once

#ifdef __CUDACC__
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#endif
