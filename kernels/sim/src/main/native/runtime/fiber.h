// A GPU thread's execution context: the block scheduler switches between the fibers of a block at
// barriers and warp collectives, directly from one to the next (no detour through a scheduler
// context), so a hand-off costs one switch.
//
// Boost.Context (JCLIP_SIM_BOOST_CONTEXT, set by the Makefile when its headers exist) switches in a
// few nanoseconds; the ucontext fallback makes a signal-mask system call per switch (about 190 ns,
// GPU.md) but needs nothing installed.
#pragma once

#include "stack_pool.h"

#ifdef JCLIP_SIM_BOOST_CONTEXT
#include <boost/context/fiber.hpp>
#else
#include <ucontext.h>
#endif

namespace jclip::sim {

class Fiber {
public:
    // Runs a fiber's work and returns the fiber to continue with when it is done.
    using Entry = Fiber& (*)(void* arg);

    // Prepares this fiber to run entry(arg) on a stack from `pool` when first switched to. The
    // Fiber must stay at its address until it finishes.
    void start(StackPool& pool, Entry entry, void* arg);

    // Suspends the running fiber, `from` (the scheduler's own context when it has never been
    // started), and resumes `to`.
    static void switch_to(Fiber& from, Fiber& to);

    // Drops a fiber that is suspended part-way (a failed or deadlocked block) and gives its stack
    // back. With Boost its frames unwind (forced_unwind); with ucontext the stack is just reused.
    void abandon();

    // Drops a fiber that was stopped at an arbitrary instruction (a fault or the watchdog's signal),
    // where unwinding its frames is not safe: the stack goes back to the pool as it is.
    void forget();

private:
#ifdef JCLIP_SIM_BOOST_CONTEXT
    boost::context::fiber context_;
    // Resuming a boost::context::fiber hands the resumed side the suspended context of whoever
    // switched to it. The switcher names itself here, so that the resumed side can put that
    // context back into the right Fiber.
    Fiber* resumed_by_ = nullptr;
    StackPool* pool_ = nullptr;
    void* stack_top_ = nullptr;  // while Boost holds the stack
#else
    static void trampoline(unsigned self_high, unsigned self_low);
    static void release_finished();

    ucontext_t context_;
    StackPool* pool_ = nullptr;
    void* stack_top_ = nullptr;
    Entry entry_ = nullptr;
    void* arg_ = nullptr;
#endif
};

}  // namespace jclip::sim
