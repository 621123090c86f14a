#include "watchdog.h"

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "faults.h"

namespace jclip::sim {

namespace {
// How often the watchdog looks: a launch is stopped at most this much past its limit.
constexpr auto kPeriod = std::chrono::milliseconds(25);
}  // namespace

class Watchdog {
public:
    static Watchdog& instance() {
        static Watchdog* watchdog = new Watchdog;  // never destroyed: its thread runs until the process ends
        return *watchdog;
    }

    std::mutex mutex;
    std::vector<Watch*> watches;

private:
    Watchdog() { std::thread([this] { patrol(); }).detach(); }

    void patrol() {
        for (;;) {
            std::this_thread::sleep_for(kPeriod);
            const auto now = std::chrono::steady_clock::now();
            std::lock_guard<std::mutex> lock(mutex);
            for (Watch* watch : watches) {
                if (now < watch->deadline_) continue;
                watch->timed_out_.store(true, std::memory_order_relaxed);
                // Under the mutex: a thread that has left the launch is no longer in the list, so
                // no signal reaches a thread that is doing something else (it would ignore it anyway).
                for (pthread_t thread : watch->threads_) pthread_kill(thread, watchdog_signal());
            }
        }
    }
};

Watch::Watch(unsigned timeout_ms)
    : active_(timeout_ms > 0), deadline_(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms)) {
    if (!active_) return;
    Watchdog& dog = Watchdog::instance();
    std::lock_guard<std::mutex> lock(dog.mutex);
    dog.watches.push_back(this);
}

Watch::~Watch() {
    if (!active_) return;
    Watchdog& dog = Watchdog::instance();
    std::lock_guard<std::mutex> lock(dog.mutex);
    dog.watches.erase(std::find(dog.watches.begin(), dog.watches.end(), this));
}

void Watch::join() {
    if (!active_) return;
    Watchdog& dog = Watchdog::instance();
    std::lock_guard<std::mutex> lock(dog.mutex);
    threads_.push_back(pthread_self());
}

void Watch::leave() {
    if (!active_) return;
    Watchdog& dog = Watchdog::instance();
    std::lock_guard<std::mutex> lock(dog.mutex);
    threads_.erase(std::find(threads_.begin(), threads_.end(), pthread_self()));
}

unsigned default_launch_timeout_ms() {
    static const unsigned timeout = [] {
        const char* setting = std::getenv("JCLIP_SIM_LAUNCH_TIMEOUT");
        if (setting == nullptr || *setting == '\0') return 10000u;
        const double seconds = std::atof(setting);
        return seconds <= 0 ? 0u : static_cast<unsigned>(std::min(seconds * 1000.0, 4.0e9));
    }();
    return timeout;
}

}  // namespace jclip::sim
