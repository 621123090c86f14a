// Atomics under real contention: SimulatedAtomicsTest launches enough blocks that the simulator
// runs them on several OS threads at once, and each block records which one ran it.
#ifdef JCLIP_SIM
#include <unistd.h>
#endif

// Per element i of in[] (small integers, so float and double sums are exact in any order):
//   sums[0] += in[i] (int), sums[1] = max, sums[2] = min, sums[3] counts by an atomicCAS loop;
//   wide[0] += in[i] (unsigned long long), real[0] += in[i] (float), exact[0] += in[i] (double);
//   runner[blockIdx.x] = the OS thread that ran the block (the simulator only; 0 on a GPU).
extern "C" __global__ void simthreads_atomics(int* sums, unsigned long long* wide, float* real, double* exact,
                                              long long* runner, const int* in, int n) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (threadIdx.x == 0) {
#ifdef JCLIP_SIM
        runner[blockIdx.x] = static_cast<long long>(gettid());
#else
        runner[blockIdx.x] = 0;
#endif
    }
    if (i >= n) return;
    const int v = in[i];
    atomicAdd(&sums[0], v);
    atomicMax(&sums[1], v);
    atomicMin(&sums[2], v);
    int seen = sums[3];
    for (;;) {
        const int before = atomicCAS(&sums[3], seen, seen + 1);
        if (before == seen) break;
        seen = before;
    }
    atomicAdd(&wide[0], static_cast<unsigned long long>(v));
    atomicAdd(&real[0], static_cast<float>(v));
    atomicAdd(&exact[0], static_cast<double>(v));
}
