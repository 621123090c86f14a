// The C interface between the simulated driver, libcuda.so.1, and the libraries that link against
// it: kernels compiled for the CPU (through cuda_sim.h), which reach the block scheduler only
// through these names, and the cuBLAS and cuDNN stand-ins, which ask it where device memory is.
// Nothing else of the simulator is visible to them.
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jclip_sim_uint3 {
    unsigned x, y, z;
} jclip_sim_uint3;

// The running GPU thread's threadIdx. Points into the scheduler's record of the fiber that runs
// now: the scheduler sets it before every switch into a fiber (a block's fibers never move between
// OS threads, so a thread-local pointer is enough).
extern __thread const jclip_sim_uint3* jclip_sim_thread_idx;

// blockIdx, blockDim and gridDim of the block this OS thread runs now (one block at a time).
typedef struct jclip_sim_block_info {
    jclip_sim_uint3 block_idx, block_dim, grid_dim;
} jclip_sim_block_info;
extern __thread jclip_sim_block_info jclip_sim_block;

// __syncthreads and its reducing forms; returns how many threads passed a non-zero predicate
// (JCLIP_SIM_BARRIER_COUNT) or 0/1 for AND and OR.
enum {
    JCLIP_SIM_BARRIER = 0,
    JCLIP_SIM_BARRIER_COUNT = 1,
    JCLIP_SIM_BARRIER_AND = 2,
    JCLIP_SIM_BARRIER_OR = 3,
};
int jclip_sim_syncthreads(int op, int predicate);

// Warp collectives. Every lane named in mask must call the same collective with the same mask;
// the call returns once all of them have.
enum {
    JCLIP_SIM_SHFL_IDX = 0,   // arg: source lane
    JCLIP_SIM_SHFL_UP = 1,    // arg: delta
    JCLIP_SIM_SHFL_DOWN = 2,  // arg: delta
    JCLIP_SIM_SHFL_XOR = 3,   // arg: lane mask
    JCLIP_SIM_BALLOT = 4,     // value: predicate; returns the ballot of the lanes in mask
    JCLIP_SIM_SYNCWARP = 5,
};
unsigned long long jclip_sim_warp_collective(int op, unsigned mask, unsigned long long value, int arg, int width);

// The lanes of the calling thread's warp that exist and have not exited.
unsigned jclip_sim_active_mask(void);

// The launch's dynamic shared memory (sharedMemBytes), page-aligned, private to the block. Its
// address is the same for every block one OS thread runs, for the life of that thread, so that
// `extern __shared__` arrays are bound once per thread (cuda_sim.h).
void* jclip_sim_dynamic_shared(void);

// Called by every CPU-compiled kernel library when it loads (JCLIP_SIM_REGISTER): `thunk` unpacks
// cuLaunchKernel's kernelParams by the kernel's parameter types and calls it.
typedef void (*jclip_sim_thunk)(void** kernel_params);
void jclip_sim_register_kernel(const char* name, jclip_sim_thunk thunk, int param_count, const size_t* param_sizes);

// Whether [ptr, ptr + bytes) lies inside one live allocation the kernels of a real GPU could reach:
// device memory (cuMemAlloc) or page-locked host memory (cuMemAllocHost, cuMemHostAlloc), which is
// mapped into the device's address space under unified addressing. Returns 1 if so (always for
// bytes 0); else 0, with why (truncated to why_size bytes, NUL-terminated) saying how the range
// misses, phrased to follow "<operand> spans <bytes> bytes from <ptr>: ". The cuBLAS and cuDNN
// stand-ins check every operand with it before computing, where a real GPU would fault or read
// another allocation's data. Safe to call while other threads allocate and free.
int jclip_sim_device_range(const void* ptr, size_t bytes, char* why, size_t why_size);

#ifdef __cplusplus
}
#endif
