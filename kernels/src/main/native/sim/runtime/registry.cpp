#include "registry.h"

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>

namespace jclip::sim {

namespace {

struct Registry {
    std::mutex mutex;
    std::map<std::string, std::unique_ptr<RegisteredKernel>> kernels;
};

// Reached from kernel libraries' static initializers: constructed on first use, never destroyed,
// so that no initialization or exit order matters.
Registry& registry() {
    static Registry* instance = new Registry;
    return *instance;
}

}  // namespace

const RegisteredKernel* find_kernel(const std::string& name) {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto found = r.kernels.find(name);
    return found == r.kernels.end() ? nullptr : found->second.get();
}

}  // namespace jclip::sim

extern "C" void jclip_sim_register_kernel(const char* name, jclip_sim_thunk thunk, int param_count,
                                          const size_t* param_sizes) {
    using jclip::sim::RegisteredKernel;
    auto& r = jclip::sim::registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto& slot = r.kernels[name];
    if (slot) {
        // Two libraries define the same extern "C" kernel: the first one loaded keeps the name.
        if (slot->thunk != thunk) std::fprintf(stderr, "jclip sim: kernel %s registered twice; keeping the first\n", name);
        return;
    }
    slot.reset(new RegisteredKernel{name, thunk, std::vector<size_t>(param_sizes, param_sizes + param_count)});
}
