// Stand-in for CUDA's <device_launch_parameters.h> (threadIdx, blockIdx, blockDim, gridDim,
// warpSize): cuda_sim.h defines them; see cuda_runtime.h.
#pragma once

#include "cuda_runtime.h"
