#include "grid.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "faults.h"
#include "watchdog.h"

namespace jclip::sim {

namespace {

// Below this many GPU threads a launch runs on the calling thread alone: waking a helper costs
// tens of microseconds, about what a few thousand barrier-free GPU threads take to run.
constexpr unsigned long long kThreadsWorthHelpers = 4096;

// Each OS thread keeps its own runner (fiber stacks, thread records) for all the blocks it runs.
BlockRunner& runner_of_this_thread() {
    thread_local BlockRunner runner;
    return runner;
}

struct Job {
    explicit Job(const KernelLaunch& launch)
        : launch(&launch),
          blocks(static_cast<unsigned long long>(launch.grid.x) * launch.grid.y * launch.grid.z),
          watch(launch.timeout_ms) {}

    const KernelLaunch* launch;
    const unsigned long long blocks;
    Watch watch;
    std::atomic<unsigned long long> next{0};
    std::atomic<bool> failed{false};
    std::mutex failure_mutex;
    LaunchFailure failure;

    void work() {
        BlockRunner& runner = runner_of_this_thread();
        SignalStackScope signal_stack;
        watch.join();
        const jclip_sim_uint3 grid = launch->grid;
        LaunchFailure block_failure;
        while (!failed.load(std::memory_order_relaxed)) {
            unsigned long long b = next.fetch_add(1, std::memory_order_relaxed);
            if (b >= blocks) break;
            jclip_sim_uint3 index = {static_cast<unsigned>(b % grid.x), static_cast<unsigned>((b / grid.x) % grid.y),
                                     static_cast<unsigned>(b / (static_cast<unsigned long long>(grid.x) * grid.y))};
            if (!runner.run(*launch, index, watch.timed_out(), block_failure)) {
                std::lock_guard<std::mutex> lock(failure_mutex);
                if (!failed.exchange(true)) failure = block_failure;
                break;
            }
        }
        watch.leave();
    }
};

unsigned helper_count() {
    if (const char* setting = std::getenv("JCLIP_SIM_THREADS")) {
        int threads = std::atoi(setting);
        if (threads >= 1) return static_cast<unsigned>(threads - 1);
    }
    return std::max(1u, std::thread::hardware_concurrency()) - 1;
}

class HelperPool {
public:
    explicit HelperPool(unsigned helpers) : helpers_(helpers) {
        for (unsigned i = 0; i < helpers; ++i) std::thread([this] { serve(); }).detach();
    }

    unsigned size() const { return helpers_; }

    // The caller works on the job too; returns when every helper has left it.
    void run(Job& job) {
        std::lock_guard<std::mutex> one_job_at_a_time(launch_mutex_);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            job_ = &job;
            busy_ = helpers_;
            ++generation_;
        }
        wake_.notify_all();
        job.work();
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [this] { return busy_ == 0; });
        job_ = nullptr;
    }

private:
    void serve() {
        SignalStackScope signal_stack;  // for the helper's life
        unsigned long long seen = 0;
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
            wake_.wait(lock, [&] { return generation_ != seen; });
            seen = generation_;
            Job* job = job_;
            lock.unlock();
            job->work();
            lock.lock();
            if (--busy_ == 0) done_.notify_one();
        }
    }

    const unsigned helpers_;
    std::mutex launch_mutex_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable done_;
    Job* job_ = nullptr;
    unsigned busy_ = 0;
    unsigned long long generation_ = 0;
};

// Created on the first launch that needs it and never destroyed: its detached helpers sleep until
// the process ends.
HelperPool& helpers() {
    static HelperPool* pool = new HelperPool(helper_count());
    return *pool;
}

}  // namespace

bool run_grid(const KernelLaunch& launch, LaunchFailure& failure) {
    Job job(launch);
    const unsigned long long threads = job.blocks * launch.block.x * launch.block.y * launch.block.z;
    if (job.blocks > 1 && threads >= kThreadsWorthHelpers && helpers().size() > 0) {
        helpers().run(job);
    } else {
        job.work();
    }
    if (!job.failed) return true;
    failure = job.failure;
    return false;
}

}  // namespace jclip::sim
