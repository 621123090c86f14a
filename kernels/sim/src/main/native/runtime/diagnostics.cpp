// What a failed block reports: which thread waits on what, grouped into ranges of consecutive
// threads, so that a deadlock of 1,024 threads reads in a few lines.
#include <cstdio>

#include "block_runner.h"

namespace jclip::sim {

const char* collective_name(int op) {
    switch (op) {
        case JCLIP_SIM_SHFL_IDX: return "__shfl_sync";
        case JCLIP_SIM_SHFL_UP: return "__shfl_up_sync";
        case JCLIP_SIM_SHFL_DOWN: return "__shfl_down_sync";
        case JCLIP_SIM_SHFL_XOR: return "__shfl_xor_sync";
        case JCLIP_SIM_BALLOT: return "__ballot_sync/__any_sync/__all_sync";
        default: return "__syncwarp";
    }
}

std::string hex_mask(unsigned mask) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", mask);
    return text;
}

std::string BlockRunner::where(const Thread& thread) const {
    if (thread.wait == Wait::kNone) {
        return &thread == current_ || &thread == fault_.thread ? "running (not at a barrier or collective)"
                                                               : "ready to run";
    }
    if (thread.wait == Wait::kBarrier) {
        return "waiting at __syncthreads (" + std::to_string(barrier_arrived_) + " of " + std::to_string(live_) +
               " live threads arrived)";
    }
    const Warp& warp = warps_[thread.flat / kWarpSize];
    for (const WarpGroup& group : warp.groups) {
        if (group.mask == thread.mask) {
            return "waiting in " + std::string(collective_name(thread.op)) + " with mask " + hex_mask(thread.mask) +
                   " of warp " + std::to_string(thread.flat / kWarpSize) + " for lanes " +
                   hex_mask(thread.mask & ~group.arrived);
        }
    }
    return "waiting in " + std::string(collective_name(thread.op));
}

// "; thread 3: running (...); threads 4-31: waiting at __syncthreads (...); threads 32-255: not started (...)"
std::string BlockRunner::threads_report() const {
    std::string report;
    unsigned i = 0;
    while (i < next_unstarted_) {
        if (threads_[i].exited) {
            ++i;
            continue;
        }
        const std::string what = where(threads_[i]);
        unsigned last = i;
        while (last + 1 < next_unstarted_ && !threads_[last + 1].exited && where(threads_[last + 1]) == what) ++last;
        report += "; thread" + (last == i ? " " + std::to_string(i) : "s " + std::to_string(i) + "-" + std::to_string(last)) +
                  ": " + what;
        i = last + 1;
    }
    if (next_unstarted_ < count_) {
        report += "; thread" + (next_unstarted_ + 1 == count_ ? " " + std::to_string(next_unstarted_)
                                                               : "s " + std::to_string(next_unstarted_) + "-" +
                                                                     std::to_string(count_ - 1)) +
                  ": not started (the simulator runs a block's threads one at a time, each until it waits at a "
                  "barrier or collective or exits)";
    }
    return report;
}

}  // namespace jclip::sim
