// Fiber on Boost.Context's public boost::context::fiber API.
#ifdef JCLIP_SIM_BOOST_CONTEXT

#include "fiber.h"

#include <memory>
#include <new>

namespace jclip::sim {

namespace {

// Boost allocator concept over the pool: Boost keeps the fiber's record at the top of the stack
// and gives the stack back through deallocate when the fiber finishes or unwinds.
struct PooledStack {
    StackPool* pool;
    void** top;  // where the Fiber keeps the stack's top, for forget()

    boost::context::stack_context allocate() {
        boost::context::stack_context stack;
        stack.size = StackPool::kStackBytes;
        stack.sp = pool->acquire();
        *top = stack.sp;
        return stack;
    }
    void deallocate(boost::context::stack_context& stack) noexcept {
        pool->release(stack.sp);
        *top = nullptr;
    }
};

}  // namespace

void Fiber::start(StackPool& pool, Entry entry, void* arg) {
    pool_ = &pool;
    context_ = boost::context::fiber(std::allocator_arg, PooledStack{&pool, &stack_top_},
                                     [this, entry, arg](boost::context::fiber&& caller) {
                                         if (resumed_by_ != nullptr) resumed_by_->context_ = std::move(caller);
                                         Fiber& next = entry(arg);
                                         next.resumed_by_ = nullptr;  // this one is finished: nothing to keep
                                         return std::move(next.context_);
                                     });
}

void Fiber::switch_to(Fiber& from, Fiber& to) {
    to.resumed_by_ = &from;
    boost::context::fiber caller = std::move(to.context_).resume();
    if (from.resumed_by_ != nullptr) from.resumed_by_->context_ = std::move(caller);
}

void Fiber::abandon() { context_ = boost::context::fiber(); }

// Ends the handle's life without its destructor, which would unwind the stack; Boost's record at the
// stack's top holds nothing that needs destroying (a pool pointer and three pointers of the entry).
void Fiber::forget() {
    new (&context_) boost::context::fiber();
    if (stack_top_ != nullptr) pool_->release(stack_top_);
    stack_top_ = nullptr;
}

}  // namespace jclip::sim

#endif
