// Included by every kernel source: the CUDA headers they share. The same .cu files compile with
// nvcc (to PTX) and with g++ for the simulated GPU, which force-includes
// kernels/sim/src/main/native/include/cuda_sim.h first and has stand-ins for CUDA's headers in
// kernels/sim/src/main/native/include/cuda; no spelling differs between the two.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
