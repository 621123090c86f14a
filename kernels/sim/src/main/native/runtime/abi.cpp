// The built-ins of jclip_sim_abi.h, as kernel libraries see them: forwarded to the block runner of
// the calling OS thread.
#include "block_runner.h"
#include "jclip_sim_abi.h"

using jclip::sim::BlockRunner;

extern "C" {

__thread const jclip_sim_uint3* jclip_sim_thread_idx = nullptr;
__thread jclip_sim_block_info jclip_sim_block;

int jclip_sim_syncthreads(int op, int predicate) { return BlockRunner::running()->syncthreads(op, predicate); }

unsigned long long jclip_sim_warp_collective(int op, unsigned mask, unsigned long long value, int arg, int width) {
    return BlockRunner::running()->warp_collective(op, mask, value, arg, width);
}

unsigned jclip_sim_active_mask(void) { return BlockRunner::running()->active_mask(); }

void* jclip_sim_dynamic_shared(void) { return BlockRunner::running()->dynamic_shared(); }

}  // extern "C"
