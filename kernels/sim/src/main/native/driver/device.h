// The one simulated device, and the checks every driver call begins with.
#pragma once

#include <cstddef>

#include "cuda_types.h"

namespace jclip::sim {

// An H100 SXM's limits, which the simulator enforces as the real driver does.
constexpr std::size_t kDeviceMemoryBytes = 80ull << 30;
constexpr int kMaxThreadsPerBlock = 1024;
constexpr int kMaxBlockDimX = 1024, kMaxBlockDimY = 1024, kMaxBlockDimZ = 64;
constexpr unsigned kMaxGridDimX = 2147483647u, kMaxGridDimY = 65535u, kMaxGridDimZ = 65535u;
constexpr int kSharedBytesPerBlock = 48 * 1024;        // without opting in
constexpr int kSharedBytesPerBlockOptIn = 227 * 1024;  // cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)

// CUDA_ERROR_NOT_INITIALIZED before cuInit, else CUDA_SUCCESS.
CUresult check_initialized();
// ... and CUDA_ERROR_INVALID_DEVICE unless `device` is 0.
CUresult check_device(CUdevice device);

}  // namespace jclip::sim
