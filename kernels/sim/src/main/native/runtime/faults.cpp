#include "faults.h"

#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "block_runner.h"
#include "registry.h"

namespace jclip::sim {

namespace {

constexpr int kFaultSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
constexpr std::size_t kSignalStackBytes = 64 * 1024;

struct sigaction previous[NSIG];

// A handler that faults itself must not loop: the second fault goes to the previous handler.
__thread bool handling __attribute__((tls_model("initial-exec"))) = false;

void chain(int signal, siginfo_t* info, void* context) {
    const struct sigaction& before = previous[signal];
    if (before.sa_flags & SA_SIGINFO) {
        before.sa_sigaction(signal, info, context);
    } else if (before.sa_handler == SIG_DFL) {
        // The faulting instruction runs again on return and takes the default action (a core dump).
        ::signal(signal, SIG_DFL);
    } else if (before.sa_handler != SIG_IGN) {
        before.sa_handler(signal);
    }
}

void on_signal(int signal, siginfo_t* info, void* context) {
    BlockRunner* runner = BlockRunner::running();
    auto* machine = static_cast<ucontext_t*>(context);
    if (signal == watchdog_signal()) {
        // Only the watchdog sends it; on a thread that has left the launch already it means nothing.
        if (runner != nullptr && !handling) runner->on_watchdog(machine);
        return;
    }
    // si_code > 0: raised by the CPU for this instruction, not sent by kill().
    if (runner != nullptr && !handling && info->si_code > 0) {
        handling = true;
        runner->on_fault(signal, info, machine);  // returns only if no GPU thread was running
        handling = false;
    }
    chain(signal, info, context);
}

}  // namespace

int watchdog_signal() { return SIGRTMAX - 3; }

void install_fault_handlers() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction ours = {};
        ours.sa_sigaction = &on_signal;
        // NODEFER: the handler leaves by switching fibers, never by returning, so the kernel must
        // not have blocked the signal for its duration.
        ours.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART;
        sigemptyset(&ours.sa_mask);
        for (int signal : kFaultSignals) sigaction(signal, &ours, &previous[signal]);
        sigaction(watchdog_signal(), &ours, &previous[watchdog_signal()]);
    });
}

SignalStackScope::SignalStackScope() {
    thread_local void* stack = nullptr;  // one per OS thread, kept for its life
    if (stack == nullptr) {
        void* mapped = mmap(nullptr, kSignalStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mapped == MAP_FAILED) return;
        stack = mapped;
    }
    stack_t current;
    if (sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) return;  // the thread has one
    stack_t ours = {};
    ours.ss_sp = stack;
    ours.ss_size = kSignalStackBytes;
    installed_ = sigaltstack(&ours, nullptr) == 0;
}

SignalStackScope::~SignalStackScope() {
    if (!installed_) return;
    stack_t none = {};
    none.ss_flags = SS_DISABLE;
    sigaltstack(&none, nullptr);
}

}  // namespace jclip::sim

// ---- the block runner's side ------------------------------------------------------------------

namespace jclip::sim {

namespace {

// The kernel text the watchdog may stop a GPU thread in: stopping it inside the simulator or libc
// (which may hold a lock, such as malloc's or stdio's) could hang the process later.
bool in_kernel_code(const ucontext_t* machine) {
#if defined(__x86_64__)
    return is_kernel_code(static_cast<std::uintptr_t>(machine->uc_mcontext.gregs[REG_RIP]));
#else
    (void)machine;
    return false;  // elsewhere only the check at barriers and collectives stops a launch
#endif
}

bool is_write(const ucontext_t* machine) {
#if defined(__x86_64__)
    return (machine->uc_mcontext.gregs[REG_ERR] & 2) != 0;  // the page fault's error code: W bit
#else
    (void)machine;
    return false;
#endif
}

std::string hex(std::uintptr_t value) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
    return text;
}

}  // namespace

void BlockRunner::on_fault(int signal, const siginfo_t* info, const ucontext_t* machine) {
    if (current_ == nullptr) return;  // the scheduler's own context faulted: nothing to stop
    fault_.thread = current_;
    fault_.signal = signal;
    fault_.code = info->si_code;
    fault_.address = reinterpret_cast<std::uintptr_t>(info->si_addr);
    fault_.write = signal == SIGSEGV && is_write(machine);
    switch (signal) {
        case SIGSEGV: stop_from_signal(LaunchFailure::Kind::kIllegalAddress);
        case SIGBUS:
            stop_from_signal(info->si_code == BUS_ADRALN ? LaunchFailure::Kind::kMisalignedAddress
                                                          : LaunchFailure::Kind::kIllegalAddress);
        case SIGILL: stop_from_signal(LaunchFailure::Kind::kIllegalInstruction);
        default: stop_from_signal(LaunchFailure::Kind::kArithmetic);
    }
}

void BlockRunner::on_watchdog(const ucontext_t* machine) {
    if (current_ == nullptr || timed_out_ == nullptr || !timed_out_->load(std::memory_order_relaxed)) return;
    if (!in_kernel_code(machine)) return;  // the watchdog signals again shortly
    fault_.thread = current_;
    fault_.signal = watchdog_signal();
    stop_from_signal(LaunchFailure::Kind::kTimeout);
}

// Nothing here may allocate: the thread stopped at an arbitrary instruction. The scheduler's
// context builds the report (describe_fault).
void BlockRunner::stop_from_signal(LaunchFailure::Kind kind) {
    handling = false;
    failure_ = kind;
    Thread& thread = *current_;
    current_ = nullptr;
    *thread_idx_slot_ = nullptr;
    Fiber::switch_to(*thread.carrier, scheduler_);
    std::abort();  // unreachable: a stopped fiber is never resumed
}

void BlockRunner::check_watchdog(Thread& thread) {
    if (!timed_out_->load(std::memory_order_relaxed)) return;
    failure_ = LaunchFailure::Kind::kTimeout;
    fail(thread, timeout_report("at a barrier or collective"));
}

std::string BlockRunner::timeout_report(const std::string& stopped) const {
    return "the launch ran past the watchdog's limit of " + std::to_string(launch_->timeout_ms) + " ms (stopped " +
           stopped + ")" + threads_report();
}

void BlockRunner::describe_fault(LaunchFailure& failure) const {
    const Thread& thread = *fault_.thread;
    failure.kind = failure_;
    const std::string who = "thread (" + std::to_string(thread.idx.x) + "," + std::to_string(thread.idx.y) + "," +
                            std::to_string(thread.idx.z) + ")";
    if (failure_ == LaunchFailure::Kind::kTimeout) {
        failure.message = timeout_report("in " + who);
        return;
    }
    if (failure_ == LaunchFailure::Kind::kArithmetic) {
        failure.message = who + ": integer division by zero (or of the smallest integer by -1): a GPU returns an "
                                "undefined value, the CPU faults";
        return;
    }
    if (failure_ == LaunchFailure::Kind::kIllegalInstruction) {
        failure.message = who + ": illegal instruction (__trap(), or code the CPU cannot run)";
        return;
    }
    const std::uintptr_t address = fault_.address;
    std::string access = fault_.signal == SIGSEGV ? (fault_.write ? "write to " : "read of ") : "access to ";
    failure.message = who + ": illegal address: " + access + hex(address);
    if (shared_.holds(address)) {
        const auto base = reinterpret_cast<std::uintptr_t>(shared_.base());
        failure.message += address < base
                               ? ", " + std::to_string(base - address) + " bytes before the block's dynamic shared memory"
                               : ", byte " + std::to_string(address - base) + " of dynamic shared memory, past the launch's " +
                                     std::to_string(shared_.bytes()) + " bytes";
    } else if (pool_.guards(address)) {
        failure.message += ": the GPU thread overflowed its stack (the simulator gives each " +
                           std::to_string(StackPool::kStackBytes / 1024) +
                           " KiB; large local arrays belong in shared memory)";
    } else {
        failure.describe_address = true;
        failure.address = address;
    }
}

}  // namespace jclip::sim
