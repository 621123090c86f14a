// What the rest of the simulated driver asks of device memory (memory.cpp).
#pragma once

#include <cstdint>
#include <string>

#include "cuda_types.h"

namespace jclip::sim {

// For a launch that faulted at `address`: where it is relative to the allocations, e.g. "12 bytes
// past the end of allocation 0x7f... (4096 bytes)", "inside allocation 0x7f... (4096 bytes), which
// was freed", or the nearest live allocation.
std::string describe_device_address(std::uintptr_t address);

// After a launch that was handed `pointer`: if it points into an allocation whose canary was
// overwritten (guarded_memory.h), which bytes of which allocation; else empty.
std::string padding_damage_at(std::uintptr_t pointer);

// The context is destroyed or reset: the device memory it allocated goes with it.
void free_context_memory(CUcontext context);

}  // namespace jclip::sim
