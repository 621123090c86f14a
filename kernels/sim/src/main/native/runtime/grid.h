// Runs every block of a launch: on the calling thread alone for small grids, else on it and a few
// persistent helper threads (one per core; JCLIP_SIM_THREADS overrides) that take blocks in turn.
#pragma once

#include <string>

#include "block_runner.h"

namespace jclip::sim {

// Returns when all blocks have run. False, with `failure` set to the first failure, if a block
// failed or the launch ran past launch.timeout_ms; blocks not yet started then do not run.
bool run_grid(const KernelLaunch& launch, LaunchFailure& failure);

}  // namespace jclip::sim
