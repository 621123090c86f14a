// The kernels that CPU-compiled kernel libraries registered when they loaded (JCLIP_SIM_REGISTER),
// by name: what cuModuleGetFunction pairs with a PTX .entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "jclip_sim_abi.h"

namespace jclip::sim {

struct RegisteredKernel {
    std::string name;
    jclip_sim_thunk thunk;
    std::vector<std::size_t> param_sizes;
};

// Null when no loaded library registered `name`. The entry stays valid for the life of the process.
const RegisteredKernel* find_kernel(const std::string& name);

// Whether `pc` lies in the executable code of a library that registered kernels. Lock-free and
// allocation-free: the watchdog's signal handler asks it.
bool is_kernel_code(std::uintptr_t pc);

}  // namespace jclip::sim
