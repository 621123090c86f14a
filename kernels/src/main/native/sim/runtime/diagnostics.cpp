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
    if (thread.wait == Wait::kBarrier) {
        return "wait at __syncthreads (" + std::to_string(barrier_arrived_) + " of " + std::to_string(live_) +
               " live threads arrived)";
    }
    const Warp& warp = warps_[thread.flat / kWarpSize];
    for (const WarpGroup& group : warp.groups) {
        if (group.mask == thread.mask) {
            return "wait in " + std::string(collective_name(thread.op)) + " with mask " + hex_mask(thread.mask) +
                   " of warp " + std::to_string(thread.flat / kWarpSize) + " for lanes " +
                   hex_mask(thread.mask & ~group.arrived);
        }
    }
    return "wait in " + std::string(collective_name(thread.op));
}

std::string BlockRunner::deadlock_report() const {
    std::string report = "deadlock: no thread can run while " + std::to_string(live_) + " wait";
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
                  " " + what;
        i = last + 1;
    }
    return report;
}

}  // namespace jclip::sim
