// The launch watchdog: a kernel that never finishes (a spin on a flag that no running thread sets,
// which may even finish on a GPU, whose warps run side by side) would hang the process for ever.
// While a launch runs, one watchdog thread looks at its deadline a few times a second; past it, it
// sets the launch's flag, which stops its blocks at their next barrier or collective, and signals
// the OS threads running them, which stops a GPU thread that spins in kernel code (faults.h).
#pragma once

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <vector>

namespace jclip::sim {

class Watch {
public:
    // Watches the launch for `timeout_ms` (0: not at all) from now until destroyed.
    explicit Watch(unsigned timeout_ms);
    ~Watch();
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;

    const std::atomic<bool>& timed_out() const { return timed_out_; }

    // The calling OS thread starts or stops running blocks of the launch.
    void join();
    void leave();

private:
    friend class Watchdog;

    const bool active_;
    const std::chrono::steady_clock::time_point deadline_;
    std::atomic<bool> timed_out_{false};
    std::vector<pthread_t> threads_;  // under the watchdog's mutex
};

// The default limit, in milliseconds: JCLIP_SIM_LAUNCH_TIMEOUT (seconds, 0 for none), else 10 s.
unsigned default_launch_timeout_ms();

}  // namespace jclip::sim
