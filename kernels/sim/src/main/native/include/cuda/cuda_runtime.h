// Stand-in for CUDA's <cuda_runtime.h>, for kernels compiled by g++. What kernels use of it (the
// built-in variables, vector types, barriers, warp collectives, atomics, device math) cuda_sim.h
// provides, force-included before every source; this header only makes the include work. The host
// API (cudaMalloc, <<<...>>> launches) has no stand-in: only kernels are compiled for the simulated
// GPU, and Java launches them through the driver API.
#pragma once

#include "cuda_sim.h"
