// Kernel faults as errors, not a dead JVM. A kernel's bad load or store (SIGSEGV, SIGBUS), illegal
// instruction (SIGILL) or integer division by zero (SIGFPE) happens on a fiber of the block runner;
// the handler installed here stops that block at once and the launch fails with a report, while the
// process lives on. The faulting fiber is dropped, not unwound: it stopped at an arbitrary
// instruction, where no C++ cleanup can run.
//
// Every signal that does not come from a GPU thread of the simulator goes to the handler that was
// installed before (the JVM's: it takes SIGSEGV for its own null checks and safepoints), exactly as
// if ours were not there.
#pragma once

namespace jclip::sim {

// Installs the handlers, once per process (cuInit).
void install_fault_handlers();

// The signal the watchdog sends to the OS threads of a launch that ran past its time.
int watchdog_signal();

// An alternate signal stack for the calling OS thread while it runs blocks: a GPU thread that
// overflows its fiber stack faults with no stack left for the handler. Restores the thread's own
// setting (the JVM's threads have none) when it goes.
class SignalStackScope {
public:
    SignalStackScope();
    ~SignalStackScope();
    SignalStackScope(const SignalStackScope&) = delete;
    SignalStackScope& operator=(const SignalStackScope&) = delete;

private:
    bool installed_ = false;
};

}  // namespace jclip::sim
