// Fiber on ucontext, for builds without Boost.Context.
#ifndef JCLIP_SIM_BOOST_CONTEXT

#include "fiber.h"

#include <cstdint>

namespace jclip::sim {

namespace {
// A finished fiber cannot give back the stack it still runs on; whoever runs next does.
thread_local Fiber* finished = nullptr;
}  // namespace

void Fiber::release_finished() {
    if (finished == nullptr) return;
    finished->pool_->release(finished->stack_top_);
    finished->stack_top_ = nullptr;
    finished = nullptr;
}

void Fiber::start(StackPool& pool, Entry entry, void* arg) {
    pool_ = &pool;
    stack_top_ = pool.acquire();
    entry_ = entry;
    arg_ = arg;
    getcontext(&context_);
    context_.uc_stack.ss_sp = static_cast<char*>(stack_top_) - StackPool::kStackBytes;
    context_.uc_stack.ss_size = StackPool::kStackBytes;
    context_.uc_link = nullptr;
    // makecontext passes int arguments only: the Fiber's address travels in two halves.
    auto self = reinterpret_cast<std::uintptr_t>(this);
    makecontext(&context_, reinterpret_cast<void (*)()>(&Fiber::trampoline), 2,
                static_cast<unsigned>(self >> 32), static_cast<unsigned>(self));
}

void Fiber::trampoline(unsigned self_high, unsigned self_low) {
    release_finished();
    auto* self = reinterpret_cast<Fiber*>((static_cast<std::uintptr_t>(self_high) << 32) | self_low);
    Fiber& next = self->entry_(self->arg_);
    finished = self;
    setcontext(&next.context_);
}

void Fiber::switch_to(Fiber& from, Fiber& to) {
    swapcontext(&from.context_, &to.context_);
    release_finished();
}

void Fiber::forget() { abandon(); }

void Fiber::abandon() {
    if (stack_top_ == nullptr) return;
    pool_->release(stack_top_);
    stack_top_ = nullptr;
}

}  // namespace jclip::sim

#endif
