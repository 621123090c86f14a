// How the simulated driver reports an error: the CUDA status it returns, plus a sentence that says
// what went wrong, printed to stderr and kept for cuGetErrorString (the one text JCuda's Java API
// can fetch).
#pragma once

#include <string>

#include "cuda_types.h"

namespace jclip::sim {

// Records `message` for `code` and returns `code`.
CUresult report(CUresult code, const std::string& message);

}  // namespace jclip::sim
