#include "registry.h"

#include <link.h>

#include <atomic>
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

// The executable segments of the kernel libraries, appended as libraries register (under the
// registry's mutex) and read without a lock: a slot is written before the count that publishes it.
struct CodeRange {
    std::uintptr_t begin, end;
};
constexpr int kMaxCodeRanges = 64;
CodeRange code_ranges[kMaxCodeRanges];
std::atomic<int> code_range_count{0};

void add_code_range_of(std::uintptr_t function) {
    CodeRange found{0, 0};
    auto search = [&](dl_phdr_info* info) {
        for (int i = 0; i < info->dlpi_phnum; ++i) {
            const ElfW(Phdr)& segment = info->dlpi_phdr[i];
            if (segment.p_type != PT_LOAD || !(segment.p_flags & PF_X)) continue;
            const std::uintptr_t begin = info->dlpi_addr + segment.p_vaddr;
            if (function >= begin && function < begin + segment.p_memsz) found = {begin, begin + segment.p_memsz};
        }
    };
    dl_iterate_phdr([](dl_phdr_info* info, std::size_t, void* data) {
        (*static_cast<decltype(search)*>(data))(info);
        return 0;
    }, &search);
    if (found.end == 0) return;
    const int count = code_range_count.load(std::memory_order_relaxed);
    for (int i = 0; i < count; ++i) {
        if (code_ranges[i].begin == found.begin) return;
    }
    if (count == kMaxCodeRanges) return;
    code_ranges[count] = found;
    code_range_count.store(count + 1, std::memory_order_release);
}

}  // namespace

bool is_kernel_code(std::uintptr_t pc) {
    const int count = code_range_count.load(std::memory_order_acquire);
    for (int i = 0; i < count; ++i) {
        if (pc >= code_ranges[i].begin && pc < code_ranges[i].end) return true;
    }
    return false;
}

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
    jclip::sim::add_code_range_of(reinterpret_cast<std::uintptr_t>(thunk));
}
