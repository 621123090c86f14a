// Stand-in for CUDA's <cuda.h>, the driver API, for kernels that include it: they get the device
// side of cuda_runtime.h. The driver API itself is the simulated libcuda.so.1 (driver/), which
// host code reaches through JCuda, not through this header.
#pragma once

#include "cuda_runtime.h"
