// Faulty kernels for SimulatedFaultsTest: each makes one kind of mistake that a GPU reports (or
// hangs on), and the simulated GPU must turn into a failed launch with a clear report, leaving the
// JVM alive. One correct kernel shows that a fresh context works afterwards.

// out[i] = in[i] for i < n: the correct one.
extern "C" __global__ void simfault_copy(float* out, const float* in, int n) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = in[i];
}

// Thread 3 of block 1 stores `offset` elements past the end of out[n].
extern "C" __global__ void simfault_store_past_end(float* out, int n, int offset) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = 1.0f;
    if (blockIdx.x == 1 && threadIdx.x == 3) out[n - 1 + offset] = 2.0f;
}

// Thread 0 reads `offset` elements before in[0].
extern "C" __global__ void simfault_load_before_start(float* out, const float* in, int offset) {
    out[threadIdx.x] = threadIdx.x == 0 ? in[-offset] : in[threadIdx.x];
}

// Every thread reads in[threadIdx.x]; the test hands it freed memory.
extern "C" __global__ void simfault_load(float* out, const float* in) { out[threadIdx.x] = in[threadIdx.x]; }

// Integer division by a zero in the input.
extern "C" __global__ void simfault_divide(int* out, const int* in) { out[threadIdx.x] = 1000 / in[threadIdx.x]; }

// A local array far larger than a simulated GPU thread's stack.
extern "C" __global__ void simfault_big_locals(float* out, int index) {
    volatile float locals[64 * 1024];
    locals[index] = 1.0f;
    out[threadIdx.x] = locals[index];
}

// Thread 0 waits for a flag that thread 1 sets: fine on a GPU, whose warps' threads run side by
// side, but in the simulator thread 0 runs first and spins in kernel code for ever.
extern "C" __global__ void simfault_spin(volatile int* flag) {
    if (threadIdx.x == 1) *flag = 1;
    if (threadIdx.x == 0) {
        while (*flag == 0) {
        }
    }
}

// Every thread goes round a barrier until a flag that nobody sets is set.
extern "C" __global__ void simfault_spin_at_barrier(volatile int* flag) {
    while (*flag == 0) __syncthreads();
}

// Thread 5 stores `offset` floats into the launch's dynamic shared memory, which may be past its end.
extern __shared__ float simfault_dynamic[];
extern "C" __global__ void simfault_shared_store(float* out, int offset) {
    simfault_dynamic[threadIdx.x] = 1.0f;
    if (threadIdx.x == 5) simfault_dynamic[offset] = 2.0f;
    __syncthreads();
    out[threadIdx.x] = simfault_dynamic[threadIdx.x];
}
