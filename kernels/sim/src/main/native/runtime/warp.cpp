// Warp collectives (shuffles, votes, __syncwarp): the lanes named in the mask meet; the last to
// arrive computes every lane's result into that lane's record and releases the others. Results are
// delivered, not read later from shared slots, so lanes that move on to the next collective early
// (or a subset that meets again with a smaller mask) cannot overwrite what a slower lane has yet to
// read.
#include "block_runner.h"

namespace jclip::sim {

namespace {

// What a lane reads from a lane that is not taking part: undefined on a GPU, NaN here (as float
// in the low half, as double in all 64 bits) so that a kernel that uses it shows it.
constexpr unsigned long long kUndefined = 0x7FF800017FC00001ull;

}  // namespace

unsigned long long BlockRunner::warp_collective(int op, unsigned mask, unsigned long long value, int arg, int width) {
    Thread& thread = *current_;
    check_watchdog(thread);
    const unsigned warp_index = thread.flat / kWarpSize;
    Warp& warp = warps_[warp_index];
    std::string problem = check_collective(thread, warp, op, mask, width);
    if (!problem.empty()) fail(thread, problem);
    thread.op = op;
    thread.mask = mask;
    thread.arg = arg;
    thread.width = width;
    thread.value = value;

    WarpGroup* group = nullptr;
    for (WarpGroup& g : warp.groups) {
        if (g.mask == mask) group = &g;
    }
    if (group == nullptr) {
        warp.groups.push_back({mask, 0, op});
        group = &warp.groups.back();
    }
    group->arrived |= 1u << (thread.flat % kWarpSize);
    if (group->arrived == mask) {
        WarpGroup done = *group;
        warp.groups.erase(warp.groups.begin() + (group - warp.groups.data()));
        complete(warp_index, done);
    } else {
        thread.wait = Wait::kWarp;
        suspend(thread);
    }
    return thread.result;
}

// Empty when the call is well defined; built only on failure, since this runs on every collective.
std::string BlockRunner::check_collective(const Thread& thread, const Warp& warp, int op, unsigned mask, int width) const {
    const unsigned lane = thread.flat % kWarpSize;
    auto call = [&] {
        return std::string(collective_name(op)) + " with mask " + hex_mask(mask) + " in thread " +
               std::to_string(thread.flat) + " (warp " + std::to_string(thread.flat / kWarpSize) + ", lane " +
               std::to_string(lane) + ")";
    };
    if (!(mask & (1u << lane))) return call() + ": the mask must name the calling lane";
    if (mask & ~warp.existing) {
        return call() + ": the mask names lanes " + hex_mask(mask & ~warp.existing) +
               " that do not exist (the block has " + std::to_string(count_) +
               " threads, not a multiple of 32): undefined on a GPU";
    }
    if (mask & warp.exited) {
        return call() + ": the mask names lanes " + hex_mask(mask & warp.exited) + " that have exited: undefined on a GPU";
    }
    if (op <= JCLIP_SIM_SHFL_XOR && (width < 1 || width > 32 || (width & (width - 1)) != 0)) {
        return call() + ": width " + std::to_string(width) + " is not a power of 2 from 1 to 32";
    }
    // Collectives with other, even overlapping, masks may be pending meanwhile: lanes of a tile that
    // finished its own shuffles wait in a full-warp one while the next tile still shuffles, as
    // independent thread scheduling allows. Lanes that never come show up as a deadlock.
    for (const WarpGroup& g : warp.groups) {
        if (g.mask == mask && g.op != op) {
            return call() + ": other lanes of the mask wait in " + collective_name(g.op) + ": undefined on a GPU";
        }
    }
    return {};
}

void BlockRunner::complete(unsigned warp_index, const WarpGroup& group) {
    Thread* lanes = &threads_[warp_index * kWarpSize];
    for (unsigned lane = 0; lane < kWarpSize; ++lane) {
        if (!(group.mask & (1u << lane))) continue;
        lanes[lane].result = collective_result(warp_index, group, lanes[lane]);
        if (&lanes[lane] != current_) make_ready(lanes[lane]);
    }
}

unsigned long long BlockRunner::collective_result(unsigned warp_index, const WarpGroup& group, const Thread& lane) const {
    const Thread* lanes = &threads_[warp_index * kWarpSize];
    if (group.op == JCLIP_SIM_SYNCWARP) return 0;
    if (group.op == JCLIP_SIM_BALLOT) {
        unsigned ballot = 0;
        for (unsigned l = 0; l < kWarpSize; ++l) {
            if ((group.mask & (1u << l)) && lanes[l].value != 0) ballot |= 1u << l;
        }
        return ballot;
    }
    // Shuffles: lanes form segments of `width`; a source outside the segment yields the lane's own
    // value (CUDA's rule for up, down and xor), and an index wraps within it.
    const int self = static_cast<int>(lane.flat % kWarpSize);
    const int first = self & ~(lane.width - 1);
    int source;
    switch (group.op) {
        case JCLIP_SIM_SHFL_IDX: source = first + (lane.arg & (lane.width - 1)); break;
        case JCLIP_SIM_SHFL_UP: source = self - lane.arg < first ? self : self - lane.arg; break;
        case JCLIP_SIM_SHFL_DOWN: source = self + lane.arg >= first + lane.width ? self : self + lane.arg; break;
        default: source = (self ^ lane.arg) >= first + lane.width ? self : self ^ lane.arg; break;
    }
    if (source < 0 || source >= static_cast<int>(kWarpSize) || !(group.mask & (1u << source))) return kUndefined;
    return lanes[source].value;
}

unsigned BlockRunner::active_mask() const {
    const Warp& warp = warps_[current_->flat / kWarpSize];
    return warp.existing & ~warp.exited;
}

}  // namespace jclip::sim
