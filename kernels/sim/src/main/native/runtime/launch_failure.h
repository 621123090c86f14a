// How a launch ended when its blocks did not all finish: the runtime's side of what the driver turns
// into a (sticky) CUresult and a sentence.
#pragma once

#include <cstdint>
#include <string>

namespace jclip::sim {

struct LaunchFailure {
    enum class Kind {
        kNone,
        kUndefined,           // a deadlock, or a collective that is undefined on a GPU
        kIllegalAddress,      // a load or store outside every allocation, or past shared memory
        kMisalignedAddress,
        kIllegalInstruction,  // __trap(), or code the CPU cannot run
        kArithmetic,          // integer division by zero: garbage on a GPU, a fault on the CPU
        kTimeout,             // ran past the watchdog's limit
    };

    Kind kind = Kind::kNone;
    std::string message;
    // Set when the message ends with a global-memory address that the driver, which knows the
    // allocations, should go on to describe.
    bool describe_address = false;
    std::uintptr_t address = 0;
};

}  // namespace jclip::sim
