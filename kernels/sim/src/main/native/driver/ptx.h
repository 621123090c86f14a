// What the simulated driver needs from a PTX module: its kernels (.entry), each one's parameter
// sizes (to check them against the CPU-compiled kernel's, as nothing else would), static shared
// memory (for the launch's shared-memory limit) and thread limit from __launch_bounds__.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace jclip::sim {

struct PtxEntry {
    std::string name;
    std::vector<std::size_t> param_sizes;
    std::size_t static_shared_bytes = 0;
    int max_threads_per_block = 0;  // .maxntid / .reqntid; 0 when the kernel gives none
};

struct PtxModule {
    int version = 0;  // .target sm_XY as XY
    std::vector<PtxEntry> entries;
};

// Parses NUL-terminated PTX text. False, with `error` set, if it is not PTX the parser understands.
bool parse_ptx(const char* text, PtxModule& module, std::string& error);

}  // namespace jclip::sim
