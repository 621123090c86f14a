// __syncthreads: a counter over the block's live threads. Exited threads do not count, as on a GPU
// since Volta, so a block whose threads leave early still passes its barriers.
#include "block_runner.h"

namespace jclip::sim {

int BlockRunner::syncthreads(int op, int predicate) {
    Thread& thread = *current_;
    check_watchdog(thread);
    ++barrier_arrived_;
    barrier_true_ += predicate != 0;
    if (barrier_arrived_ == live_) {
        release_barrier();  // the last to arrive goes on without a switch
    } else {
        thread.wait = Wait::kBarrier;
        suspend(thread);
    }
    // The result stays valid until every thread has read it: the next release needs them all.
    switch (op) {
        case JCLIP_SIM_BARRIER_COUNT: return static_cast<int>(barrier_result_);
        case JCLIP_SIM_BARRIER_AND: return barrier_result_ == barrier_released_;
        case JCLIP_SIM_BARRIER_OR: return barrier_result_ != 0;
        default: return 0;
    }
}

void BlockRunner::release_barrier() {
    barrier_result_ = barrier_true_;
    barrier_released_ = barrier_arrived_;
    barrier_arrived_ = barrier_true_ = 0;
    for (unsigned i = 0; i < next_unstarted_; ++i) {
        if (threads_[i].wait == Wait::kBarrier) make_ready(threads_[i]);
    }
}

}  // namespace jclip::sim
