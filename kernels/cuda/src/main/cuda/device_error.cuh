// The device's error record (jclip.kernels.cuda.DeviceErrors, one per device). A kernel cannot
// throw, so one that finds bad input records it here and carries on without using it; the host
// reads the record where it waits for the device anyway (each read, each synchronize) and throws.
// The first error wins until the host has reported and cleared it.
#pragma once

// Four 8-byte words, the layout DeviceErrors reads.
struct DeviceError {
    unsigned long long site;  // 0 while clear, else who recorded: the launcher's id for its op and kernel
    long long value;          // the offending index
    long long bound;          // its valid range is [0, bound)
    long long position;       // which element of the index tensor held it
};

// Only a thread that found a bad index gets here, and only the first claims the record; its plain
// writes are seen by the host, which reads after the kernel has finished. Not inlined, so that this
// cold path costs the checking kernels no registers. Static: each .cu that includes this has its own
// copy, as the simulator links them all into one library.
static __device__ __noinline__ void record_bad_index(DeviceError* error, int site, long long value, int bound, long long position) {
    if (atomicCAS(&error->site, 0ull, (unsigned long long)site) == 0ull) {
        error->value = value;
        error->bound = bound;
        error->position = position;
    }
}
