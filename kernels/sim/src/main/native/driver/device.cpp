// cuInit, the driver version and the device queries: one device that reports an H100 SXM 80GB
// (compute capability 9.0), so that code sizing its launches by the device's attributes sizes them
// as it would on the real GPU.
#include "device.h"

#include <atomic>
#include <cstring>

#include "../runtime/faults.h"

namespace jclip::sim {

namespace {

std::atomic<bool> initialized{false};

struct Attribute {
    int id;  // CUdevice_attribute
    int value;
};

// CUdevice_attribute values and what an H100 SXM 80GB reports for them; attributes not listed
// (textures, surfaces, interop) read as 0.
constexpr Attribute kAttributes[] = {
    {1, kMaxThreadsPerBlock},
    {2, kMaxBlockDimX},
    {3, kMaxBlockDimY},
    {4, kMaxBlockDimZ},
    {5, static_cast<int>(kMaxGridDimX)},
    {6, static_cast<int>(kMaxGridDimY)},
    {7, static_cast<int>(kMaxGridDimZ)},
    {8, kSharedBytesPerBlock},  // MAX_SHARED_MEMORY_PER_BLOCK
    {9, 65536},                 // TOTAL_CONSTANT_MEMORY
    {10, 32},                   // WARP_SIZE
    {11, 2147483647},           // MAX_PITCH
    {12, 65536},                // MAX_REGISTERS_PER_BLOCK
    {13, 1980000},              // CLOCK_RATE, kHz
    {14, 512},                  // TEXTURE_ALIGNMENT
    {15, 1},                    // GPU_OVERLAP
    {16, 132},                  // MULTIPROCESSOR_COUNT
    {19, 1},                    // CAN_MAP_HOST_MEMORY
    {30, 512},                  // SURFACE_ALIGNMENT
    {31, 1},                    // CONCURRENT_KERNELS
    {32, 1},                    // ECC_ENABLED
    {36, 2619000},              // MEMORY_CLOCK_RATE, kHz
    {37, 5120},                 // GLOBAL_MEMORY_BUS_WIDTH, bits
    {38, 50 * 1024 * 1024},     // L2_CACHE_SIZE
    {39, 2048},                 // MAX_THREADS_PER_MULTIPROCESSOR
    {40, 3},                    // ASYNC_ENGINE_COUNT
    {41, 1},                    // UNIFIED_ADDRESSING
    {75, 9},                    // COMPUTE_CAPABILITY_MAJOR
    {76, 0},                    // COMPUTE_CAPABILITY_MINOR
    {78, 1},                    // STREAM_PRIORITIES_SUPPORTED
    {79, 1},                    // GLOBAL_L1_CACHE_SUPPORTED
    {80, 1},                    // LOCAL_L1_CACHE_SUPPORTED
    {81, 228 * 1024},           // MAX_SHARED_MEMORY_PER_MULTIPROCESSOR
    {82, 65536},                // MAX_REGISTERS_PER_MULTIPROCESSOR
    {83, 1},                    // MANAGED_MEMORY
    {87, 2},                    // SINGLE_TO_DOUBLE_PRECISION_PERF_RATIO
    {89, 1},                    // CONCURRENT_MANAGED_ACCESS
    {90, 1},                    // COMPUTE_PREEMPTION_SUPPORTED
    {95, 1},                    // COOPERATIVE_LAUNCH
    {97, kSharedBytesPerBlockOptIn},  // MAX_SHARED_MEMORY_PER_BLOCK_OPTIN
    {99, 1},                    // HOST_REGISTER_SUPPORTED
    {102, 1},                   // VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED
    {106, 32},                  // MAX_BLOCKS_PER_MULTIPROCESSOR
    {111, 1024},                // RESERVED_SHARED_MEMORY_PER_BLOCK
    {115, 1},                   // MEMORY_POOLS_SUPPORTED
    {120, 1},                   // CLUSTER_LAUNCH
};
constexpr int kLastAttribute = 145;  // CU_DEVICE_ATTRIBUTE_MAX - 1 in CUDA 13.0

}  // namespace

CUresult check_initialized() { return initialized ? CUDA_SUCCESS : CUDA_ERROR_NOT_INITIALIZED; }

CUresult check_device(CUdevice device) {
    if (!initialized) return CUDA_ERROR_NOT_INITIALIZED;
    return device == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_DEVICE;
}

}  // namespace jclip::sim

using namespace jclip::sim;

extern "C" {

CUresult cuInit(unsigned flags) {
    if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
    install_fault_handlers();
    initialized = true;
    return CUDA_SUCCESS;
}

// CUDA 13.0, what the real host in GPU.md runs.
CUresult cuDriverGetVersion(int* version) {
    if (version == nullptr) return CUDA_ERROR_INVALID_VALUE;
    *version = 13000;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetCount(int* count) {
    if (count == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_initialized()) return status;
    *count = 1;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGet(CUdevice* device, int ordinal) {
    if (device == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_device(ordinal)) return status;
    *device = 0;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetName(char* name, int length, CUdevice device) {
    if (name == nullptr || length <= 0) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_device(device)) return status;
    std::strncpy(name, "jclip simulated GPU (H100 limits)", static_cast<std::size_t>(length) - 1);
    name[length - 1] = '\0';
    return CUDA_SUCCESS;
}

CUresult cuDeviceTotalMem_v2(std::size_t* bytes, CUdevice device) {
    if (bytes == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_device(device)) return status;
    *bytes = kDeviceMemoryBytes;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetAttribute(int* value, int attribute, CUdevice device) {
    if (value == nullptr || attribute < 1 || attribute > kLastAttribute) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_device(device)) return status;
    *value = 0;
    for (const Attribute& a : kAttributes) {
        if (a.id == attribute) *value = a.value;
    }
    return CUDA_SUCCESS;
}

CUresult cuDeviceComputeCapability(int* major, int* minor, CUdevice device) {
    if (major == nullptr || minor == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_device(device)) return status;
    *major = 9;
    *minor = 0;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetUuid(CUuuid* uuid, CUdevice device) {
    if (uuid == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_device(device)) return status;
    std::memcpy(uuid->bytes, "jclip-sim-gpu-00", sizeof uuid->bytes);
    return CUDA_SUCCESS;
}

}  // extern "C"
