// Runs one thread block of a launch on the calling OS thread. GPU threads run on fibers ("carriers"):
// a thread runs until it exits or waits (at __syncthreads or a warp collective), then hands over
// directly to the next runnable thread. A carrier whose thread exits takes the next thread that has
// not started yet, on the same stack, without a switch; only a thread that waits keeps its carrier.
// So a block whose threads never wait runs like a loop on one fiber, and only runnable threads are
// ever resumed.
//
// When nothing can run while threads still wait, the block is deadlocked; a collective whose mask
// names lanes that do not exist or have exited is undefined on a GPU. Both end the block with a
// message that names what each waiting thread waits on. So do a fault in a GPU thread (faults.h)
// and the watchdog's verdict that the launch ran too long.
#pragma once

#include <signal.h>
#include <ucontext.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "fiber.h"
#include "jclip_sim_abi.h"
#include "launch_failure.h"
#include "shared_memory.h"
#include "stack_pool.h"

namespace jclip::sim {

struct KernelLaunch {
    const char* name;
    jclip_sim_thunk thunk;
    void** params;
    jclip_sim_uint3 grid;
    jclip_sim_uint3 block;
    std::size_t dynamic_shared_bytes;
    unsigned timeout_ms;  // the watchdog's limit for the whole launch; 0: none
};

// For messages: the CUDA name of a JCLIP_SIM_* collective, and a lane mask as 0x%08x.
const char* collective_name(int op);
std::string hex_mask(unsigned mask);

class BlockRunner {
public:
    static constexpr unsigned kMaxThreads = 1024;
    static constexpr unsigned kWarpSize = 32;

    BlockRunner();
    BlockRunner(const BlockRunner&) = delete;
    BlockRunner& operator=(const BlockRunner&) = delete;

    // Runs block `block_idx` of `launch` to its end. False, with `failure` set, if it failed.
    // `timed_out` is the launch's watchdog flag: once set, the block stops at the next barrier or
    // collective, or wherever the watchdog's signal finds a GPU thread in kernel code.
    bool run(const KernelLaunch& launch, jclip_sim_uint3 block_idx, const std::atomic<bool>& timed_out,
             LaunchFailure& failure);

    // From the signal handlers (faults.h), on this runner's OS thread. Each stops the running GPU
    // thread and never returns if one runs (and, for the watchdog, runs kernel code); else returns.
    void on_fault(int signal, const siginfo_t* info, const ucontext_t* machine);
    void on_watchdog(const ucontext_t* machine);

    // The runner whose block this OS thread is running now (null outside a block).
    static BlockRunner* running();

    // For the running GPU thread: the built-ins of jclip_sim_abi.h.
    int syncthreads(int op, int predicate);
    unsigned long long warp_collective(int op, unsigned mask, unsigned long long value, int arg, int width);
    unsigned active_mask() const;
    void* dynamic_shared() { return shared_.base(); }
    const SharedMemory& shared_memory() const { return shared_; }

private:
    enum class Wait : std::uint8_t { kNone, kBarrier, kWarp };

    struct Thread {
        jclip_sim_uint3 idx;
        unsigned flat;  // x + y * blockDim.x + z * blockDim.x * blockDim.y: warps are cut from it
        bool exited;
        Wait wait;
        // The warp collective it is in, and what it brought and gets back.
        int op;
        unsigned mask;
        int arg;
        int width;
        unsigned long long value;
        unsigned long long result;
        Fiber* carrier;  // while started and not exited
    };
    // Threads [0, next_unstarted_) have started; a record is filled in when its thread starts.

    // Lanes of one warp gathered at one collective: the lanes in `mask` that have arrived so far.
    struct WarpGroup {
        unsigned mask;
        unsigned arrived;
        int op;
    };

    struct Warp {
        unsigned existing;  // lanes the block has: a partial last warp has fewer than 32
        unsigned exited;
        std::vector<WarpGroup> groups;  // collectives in progress, disjoint masks
    };

    static Fiber& carrier_main(void* first_thread);
    Fiber& next_fiber();
    Fiber& start_carrier();
    Thread& begin_next_thread();
    void enter(Thread& thread);
    void make_ready(Thread& thread);
    void suspend(Thread& thread);
    void finish(Thread& thread);
    [[noreturn]] void fail(Thread& thread, const std::string& message);
    [[noreturn]] void stop_from_signal(LaunchFailure::Kind kind);
    void check_watchdog(Thread& thread);
    void describe_fault(LaunchFailure& failure) const;
    std::string timeout_report(const std::string& stopped) const;

    void release_barrier();
    void complete(unsigned warp_index, const WarpGroup& group);
    unsigned long long collective_result(unsigned warp_index, const WarpGroup& group, const Thread& lane) const;
    std::string check_collective(const Thread& thread, const Warp& warp, int op, unsigned mask, int width) const;

    std::string where(const Thread& thread) const;
    std::string threads_report() const;

    StackPool pool_;
    std::vector<Thread> threads_;
    std::vector<Warp> warps_;
    std::vector<Thread*> ready_;  // ring buffer: each thread is in it at most once
    std::vector<Fiber> carriers_;
    std::vector<Fiber*> free_carriers_;
    SharedMemory shared_;
    Fiber scheduler_;  // the OS thread's own context: resumed when no fiber can run

    const KernelLaunch* launch_ = nullptr;
    unsigned count_ = 0;           // threads in the block
    unsigned live_ = 0;            // not exited (including not yet started)
    unsigned next_unstarted_ = 0;
    jclip_sim_uint3 next_idx_ = {0, 0, 0};  // threadIdx of threads_[next_unstarted_]
    const jclip_sim_uint3** thread_idx_slot_ = nullptr;  // this OS thread's jclip_sim_thread_idx
    unsigned ready_head_ = 0;
    unsigned ready_count_ = 0;
    unsigned barrier_arrived_ = 0;
    unsigned barrier_true_ = 0;        // predicates counted so far by __syncthreads_count/and/or
    unsigned barrier_result_ = 0;      // ... and their result once the barrier released
    unsigned barrier_released_ = 0;    // how many threads the last release let through
    Thread* current_ = nullptr;
    std::string error_;
    LaunchFailure::Kind failure_ = LaunchFailure::Kind::kNone;
    const std::atomic<bool>* timed_out_ = nullptr;

    // What a signal handler found: the thread it stopped (dropped with Fiber::forget) and the fault.
    struct Fault {
        Thread* thread = nullptr;
        int signal = 0;
        int code = 0;
        std::uintptr_t address = 0;
        bool write = false;
    };
    Fault fault_;
};

}  // namespace jclip::sim
