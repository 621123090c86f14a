// Scheduling of a block's fibers: start, hand-over, exit, and the end of the block.
#include "block_runner.h"

#include <cstdlib>

namespace jclip::sim {

namespace {
// Initial-exec: the signal handlers read it on any thread, where a lazily allocated TLS block
// (the general-dynamic model of a dlopen-ed library) could call malloc inside the handler.
__thread BlockRunner* running_runner __attribute__((tls_model("initial-exec"))) = nullptr;

}  // namespace

BlockRunner::BlockRunner()
    : threads_(kMaxThreads), warps_(kMaxThreads / kWarpSize), ready_(kMaxThreads), carriers_(kMaxThreads) {
    for (Fiber& carrier : carriers_) free_carriers_.push_back(&carrier);
}

BlockRunner* BlockRunner::running() { return running_runner; }

bool BlockRunner::run(const KernelLaunch& launch, jclip_sim_uint3 block_idx, const std::atomic<bool>& timed_out,
                      LaunchFailure& failure) {
    const jclip_sim_uint3 dim = launch.block;
    launch_ = &launch;
    count_ = dim.x * dim.y * dim.z;
    live_ = count_;
    next_unstarted_ = 0;
    next_idx_ = {0, 0, 0};
    ready_head_ = ready_count_ = 0;
    barrier_arrived_ = barrier_true_ = 0;
    error_.clear();
    failure_ = LaunchFailure::Kind::kNone;
    fault_ = Fault{};
    timed_out_ = &timed_out;
    for (unsigned w = 0; w * kWarpSize < count_; ++w) {
        unsigned lanes = count_ - w * kWarpSize;
        warps_[w].existing = lanes >= kWarpSize ? 0xFFFFFFFFu : (1u << lanes) - 1u;
        warps_[w].exited = 0;
        warps_[w].groups.clear();
    }
    shared_.prepare(launch.dynamic_shared_bytes);
    jclip_sim_block = {block_idx, launch.block, launch.grid};
    thread_idx_slot_ = &jclip_sim_thread_idx;  // a TLS address is fixed per OS thread: look it up once
    running_runner = this;

    // Returns when no fiber can run: the block finished, failed, deadlocked or was stopped.
    Fiber::switch_to(scheduler_, next_fiber());

    running_runner = nullptr;
    if (failure_ == LaunchFailure::Kind::kNone && live_ == 0) return true;
    failure = LaunchFailure{};
    if (fault_.thread != nullptr) {
        describe_fault(failure);
    } else if (failure_ == LaunchFailure::Kind::kNone) {
        failure.kind = LaunchFailure::Kind::kUndefined;
        failure.message = "deadlock: no thread can run while " + std::to_string(live_) + " are waiting" + threads_report();
    } else {
        failure.kind = failure_;
        failure.message = error_;
    }
    for (unsigned i = 0; i < next_unstarted_; ++i) {
        if (threads_[i].exited) continue;
        if (&threads_[i] == fault_.thread) {
            threads_[i].carrier->forget();
        } else {
            threads_[i].carrier->abandon();
        }
        free_carriers_.push_back(threads_[i].carrier);
    }
    failure.message = "kernel " + std::string(launch.name) + ", block (" + std::to_string(block_idx.x) + "," +
                      std::to_string(block_idx.y) + "," + std::to_string(block_idx.z) + ") of a block of " +
                      std::to_string(dim.x) + "x" + std::to_string(dim.y) + "x" + std::to_string(dim.z) +
                      " threads: " + failure.message;
    return false;
}

Fiber& BlockRunner::carrier_main(void* first_thread) {
    BlockRunner& runner = *running_runner;
    Thread* thread = static_cast<Thread*>(first_thread);
    for (;;) {
        runner.launch_->thunk(runner.launch_->params);
        runner.finish(*thread);
        if (runner.ready_count_ > 0 || runner.next_unstarted_ == runner.count_) break;
        Thread& next = runner.begin_next_thread();
        next.carrier = thread->carrier;
        runner.enter(next);
        thread = &next;
    }
    // This carrier is done; the next start_carrier may reuse its Fiber, whose context is already
    // empty (it was moved out when this fiber was resumed).
    runner.free_carriers_.push_back(thread->carrier);
    return runner.next_fiber();
}

// Released threads go first, so that a warp that finished a collective moves on before fresh
// threads start; threads not yet started come next; the scheduler's own context last.
Fiber& BlockRunner::next_fiber() {
    if (ready_count_ > 0) {
        Thread& t = *ready_[ready_head_];
        ready_head_ = (ready_head_ + 1) % kMaxThreads;
        --ready_count_;
        enter(t);
        return *t.carrier;
    }
    if (next_unstarted_ < count_) return start_carrier();
    current_ = nullptr;
    *thread_idx_slot_ = nullptr;
    return scheduler_;
}

Fiber& BlockRunner::start_carrier() {
    Thread& thread = begin_next_thread();
    thread.carrier = free_carriers_.back();
    free_carriers_.pop_back();
    thread.carrier->start(pool_, &BlockRunner::carrier_main, &thread);
    enter(thread);
    return *thread.carrier;
}

BlockRunner::Thread& BlockRunner::begin_next_thread() {
    Thread& thread = threads_[next_unstarted_];
    thread.idx = next_idx_;
    thread.flat = next_unstarted_++;
    thread.exited = false;
    thread.wait = Wait::kNone;
    const jclip_sim_uint3 dim = launch_->block;
    if (++next_idx_.x == dim.x) {
        next_idx_.x = 0;
        if (++next_idx_.y == dim.y) {
            next_idx_.y = 0;
            ++next_idx_.z;
        }
    }
    return thread;
}

void BlockRunner::enter(Thread& thread) {
    current_ = &thread;
    *thread_idx_slot_ = &thread.idx;
}

void BlockRunner::make_ready(Thread& thread) {
    thread.wait = Wait::kNone;
    ready_[(ready_head_ + ready_count_) % kMaxThreads] = &thread;
    ++ready_count_;
}

// The thread waits (its `wait` says on what) until a barrier or collective makes it ready again.
void BlockRunner::suspend(Thread& thread) { Fiber::switch_to(*thread.carrier, next_fiber()); }

void BlockRunner::finish(Thread& thread) {
    thread.exited = true;
    --live_;
    unsigned lane = thread.flat % kWarpSize;
    Warp& warp = warps_[thread.flat / kWarpSize];
    warp.exited |= 1u << lane;
    for (const WarpGroup& group : warp.groups) {
        if (group.mask & (1u << lane)) {
            fail(thread, "thread " + std::to_string(thread.flat) + " (lane " + std::to_string(lane) +
                             ") exited while lanes of its warp wait for it in " + collective_name(group.op) +
                             " with mask " + hex_mask(group.mask) + ": undefined on a GPU");
        }
    }
    // Exited threads do not hold a barrier back.
    if (barrier_arrived_ > 0 && barrier_arrived_ == live_) release_barrier();
}

// Leaves the block at once: the scheduler's context takes over and abandons every unfinished
// fiber, this one included, so this never returns.
void BlockRunner::fail(Thread& thread, const std::string& message) {
    error_ = message;
    if (failure_ == LaunchFailure::Kind::kNone) failure_ = LaunchFailure::Kind::kUndefined;
    current_ = nullptr;
    *thread_idx_slot_ = nullptr;
    Fiber::switch_to(*thread.carrier, scheduler_);
    std::abort();  // unreachable: an abandoned fiber is never resumed
}

}  // namespace jclip::sim
