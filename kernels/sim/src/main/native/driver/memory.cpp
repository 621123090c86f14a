// Device memory is host memory. Every allocation is tracked in an address-ordered map, so that
// any device pointer resolves to its allocation and every copy or memset whose device range is not
// entirely inside one live allocation fails as on the real driver (CUDA_ERROR_INVALID_VALUE), where
// a plain memcpy would silently corrupt the heap. Page-locked host allocations are tracked too, for
// jclip_sim_device_range: the cuBLAS and cuDNN stand-ins may be handed them as operands. Both are
// placed between inaccessible pages (guarded_memory.h), which is what catches a kernel's own stray
// loads and stores; device memory belongs to the context that allocated it and goes with it.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "context.h"
#include "device.h"
#include "errors.h"
#include "guarded_memory.h"
#include "jclip_sim_abi.h"
#include "memory.h"

namespace jclip::sim {

namespace {

// The freed allocations remembered for reports ("inside allocation ..., which was freed"), and
// kept mapped if they have a mapping of their own (the arena never reuses an address anyway).
constexpr std::size_t kQuarantine = 4096;

struct Block {
    Placement placement;
    CUcontext context;  // null for page-locked host memory, which belongs to no context here
};

using AllocationMap = std::map<CUdeviceptr, std::size_t>;  // base -> bytes

// The allocation of `map` holding `address`, or map.end().
AllocationMap::iterator find_in(AllocationMap& map, CUdeviceptr address) {
    auto after = map.upper_bound(address);
    if (after == map.begin()) return map.end();
    auto holder = std::prev(after);
    return address < holder->first + holder->second ? holder : map.end();
}

struct Allocations {
    std::mutex mutex;
    AllocationMap sizes;   // device memory
    AllocationMap pinned;  // page-locked host memory
    std::map<CUdeviceptr, Block> blocks;  // both, by base
    std::deque<Placement> freed;          // oldest first
    std::size_t allocated = 0;

    // The device allocation holding `address`, or sizes.end().
    AllocationMap::iterator find(CUdeviceptr address) { return find_in(sizes, address); }
};

Allocations& allocations() {
    static Allocations* instance = new Allocations;  // never destroyed: usable until the process ends
    return *instance;
}

std::string hex(CUdeviceptr address) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%llx", address);
    return text;
}

// Whether [address, address + bytes) lies inside one live allocation; `what` names the operand.
CUresult check_range(const char* call, const char* what, CUdeviceptr address, std::size_t bytes) {
    Allocations& all = allocations();
    std::lock_guard<std::mutex> lock(all.mutex);
    auto holder = all.find(address);
    if (holder == all.sizes.end()) {
        return report(CUDA_ERROR_INVALID_VALUE, std::string(call) + ": " + what + " " + hex(address) +
                                                    " is not in any live device allocation");
    }
    if (bytes > holder->first + holder->second - address) {
        return report(CUDA_ERROR_INVALID_VALUE,
                      std::string(call) + ": " + what + " range " + hex(address) + " + " + std::to_string(bytes) +
                          " bytes runs past the end of its allocation (" + hex(holder->first) + ", " +
                          std::to_string(holder->second) + " bytes)");
    }
    return CUDA_SUCCESS;
}

std::string describe_block(const Placement& p) {
    return "allocation " + hex(p.base) + " (" + std::to_string(p.bytes) + " bytes)";
}

// Takes the allocation at `base` out of the maps and into the quarantine. Returns what the canary
// says about writes around it (empty if nothing). Under the mutex.
std::string release(Allocations& all, CUdeviceptr base) {
    auto block = all.blocks.find(base);
    const Placement placement = block->second.placement;
    if (all.sizes.erase(base) > 0) all.allocated -= placement.rounded;
    all.pinned.erase(base);
    all.blocks.erase(block);
    std::string damage = padding_damage(placement);
    if (!damage.empty()) damage = "a kernel wrote " + damage + " of " + describe_block(placement);
    retire(placement);
    all.freed.push_back(placement);
    if (all.freed.size() > kQuarantine) {
        unmap(all.freed.front());
        all.freed.pop_front();
    }
    return damage;
}

bool is_device(CUdeviceptr address) {
    Allocations& all = allocations();
    std::lock_guard<std::mutex> lock(all.mutex);
    return all.find(address) != all.sizes.end();
}

CUresult copy(const char* call, CUdeviceptr dst, bool dst_device, CUdeviceptr src, bool src_device, std::size_t bytes) {
    if (CUresult status = check_context()) return status;
    if (bytes == 0) return CUDA_SUCCESS;
    if (dst_device) {
        if (CUresult status = check_range(call, "destination", dst, bytes)) return status;
    }
    if (src_device) {
        if (CUresult status = check_range(call, "source", src, bytes)) return status;
    }
    std::memmove(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), bytes);
    return CUDA_SUCCESS;
}

template <typename T>
CUresult fill(const char* call, CUdeviceptr dst, T value, std::size_t count) {
    if (CUresult status = check_context()) return status;
    if (count == 0) return CUDA_SUCCESS;
    if (dst % sizeof(T) != 0) {
        return report(CUDA_ERROR_INVALID_VALUE, std::string(call) + ": " + hex(dst) + " is not aligned to " +
                                                    std::to_string(sizeof(T)) + " bytes");
    }
    if (CUresult status = check_range(call, "destination", dst, count * sizeof(T))) return status;
    std::fill_n(reinterpret_cast<T*>(dst), count, value);
    return CUDA_SUCCESS;
}

CUdeviceptr address(const void* pointer) { return reinterpret_cast<CUdeviceptr>(pointer); }

}  // namespace

std::string describe_device_address(std::uintptr_t address) {
    Allocations& all = allocations();
    std::lock_guard<std::mutex> lock(all.mutex);
    for (auto freed = all.freed.rbegin(); freed != all.freed.rend(); ++freed) {
        if (address >= freed->base && address < freed->base + freed->rounded) {
            return "inside " + describe_block(*freed) + ", which was freed";
        }
    }
    const Block* below = nullptr;
    const Block* above = nullptr;
    auto after = all.blocks.upper_bound(address);
    if (after != all.blocks.end()) above = &after->second;
    if (after != all.blocks.begin()) below = &std::prev(after)->second;
    if (below == nullptr && above == nullptr) return "there is no live allocation";
    // The allocation below, unless the address is nearer the start of the one above.
    const Block* block = below != nullptr ? below : above;
    if (below != nullptr && above != nullptr && address >= below->placement.base + below->placement.bytes &&
        above->placement.base - address < address - (below->placement.base + below->placement.bytes)) {
        block = above;
    }
    const Placement* nearest = &block->placement;
    const std::string what = std::string(block->context == nullptr ? "page-locked host " : "") + describe_block(*nearest);
    if (address < nearest->base) return std::to_string(nearest->base - address) + " bytes before the start of " + what;
    if (address >= nearest->base + nearest->bytes) {
        return std::to_string(address - (nearest->base + nearest->bytes)) + " bytes past the end of " + what +
               " (0 is the byte just after it)";
    }
    return "inside " + what;
}

std::string padding_damage_at(std::uintptr_t pointer) {
    Allocations& all = allocations();
    std::lock_guard<std::mutex> lock(all.mutex);
    auto after = all.blocks.upper_bound(pointer);
    if (after == all.blocks.begin()) return {};
    const Placement& p = std::prev(after)->second.placement;
    if (pointer >= p.base + p.rounded) return {};
    std::string damage = padding_damage(p);
    return damage.empty() ? damage : "it wrote " + damage + " of " + describe_block(p);
}

void free_context_memory(CUcontext context) {
    Allocations& all = allocations();
    std::lock_guard<std::mutex> lock(all.mutex);
    for (auto block = all.blocks.begin(); block != all.blocks.end();) {
        const CUdeviceptr base = block->first;
        const bool ours = block->second.context == context;
        ++block;
        if (ours) release(all, base);
    }
}

}  // namespace jclip::sim

using namespace jclip::sim;

extern "C" {

CUresult cuMemAlloc_v2(CUdeviceptr* pointer, std::size_t bytes) {
    if (pointer == nullptr || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_context()) return status;
    const std::size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
    Allocations& all = allocations();
    {
        std::lock_guard<std::mutex> lock(all.mutex);
        if (rounded > kDeviceMemoryBytes - all.allocated) {
            return report(CUDA_ERROR_OUT_OF_MEMORY, "cuMemAlloc of " + std::to_string(bytes) + " bytes: " +
                                                        std::to_string(all.allocated) + " of " +
                                                        std::to_string(kDeviceMemoryBytes) + " bytes in use");
        }
    }
    const Placement placement = place(bytes);
    if (placement.pages == nullptr) {
        return report(CUDA_ERROR_OUT_OF_MEMORY, "cuMemAlloc of " + std::to_string(bytes) + " bytes: host memory exhausted");
    }
    std::lock_guard<std::mutex> lock(all.mutex);
    all.sizes[placement.base] = bytes;
    all.blocks[placement.base] = Block{placement, current_context()};
    all.allocated += rounded;
    *pointer = placement.base;
    return CUDA_SUCCESS;
}

CUresult cuMemFree_v2(CUdeviceptr pointer) {
    if (CUresult status = check_context()) return status;
    if (pointer == 0) return CUDA_SUCCESS;
    Allocations& all = allocations();
    std::string damage;
    {
        std::lock_guard<std::mutex> lock(all.mutex);
        auto found = all.sizes.find(pointer);
        if (found == all.sizes.end()) {
            return report(CUDA_ERROR_INVALID_VALUE, "cuMemFree: " + hex(pointer) + " is not the start of a live allocation");
        }
        damage = release(all, pointer);
    }
    if (!damage.empty()) return fail_context(CUDA_ERROR_ILLEGAL_ADDRESS, "cuMemFree: " + damage);
    return CUDA_SUCCESS;
}

// Stream-ordered allocation: every stream is synchronous here.
CUresult cuMemAllocAsync(CUdeviceptr* pointer, std::size_t bytes, CUstream) { return cuMemAlloc_v2(pointer, bytes); }
CUresult cuMemFreeAsync(CUdeviceptr pointer, CUstream) { return cuMemFree_v2(pointer); }

CUresult cuMemGetInfo_v2(std::size_t* free, std::size_t* total) {
    if (free == nullptr || total == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_context()) return status;
    Allocations& all = allocations();
    std::lock_guard<std::mutex> lock(all.mutex);
    *total = kDeviceMemoryBytes;
    *free = kDeviceMemoryBytes - all.allocated;
    return CUDA_SUCCESS;
}

CUresult cuMemGetAddressRange_v2(CUdeviceptr* base, std::size_t* size, CUdeviceptr pointer) {
    if (CUresult status = check_context()) return status;
    Allocations& all = allocations();
    std::lock_guard<std::mutex> lock(all.mutex);
    auto holder = all.find(pointer);
    if (holder == all.sizes.end()) return CUDA_ERROR_NOT_FOUND;
    if (base != nullptr) *base = holder->first;
    if (size != nullptr) *size = holder->second;
    return CUDA_SUCCESS;
}

// Page-locked host memory is ordinary host memory here.
CUresult cuMemHostAlloc(void** pointer, std::size_t bytes, unsigned) {
    if (pointer == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_context()) return status;
    const Placement placement = place(bytes);
    if (placement.pages == nullptr) return CUDA_ERROR_OUT_OF_MEMORY;
    *pointer = reinterpret_cast<void*>(placement.base);
    Allocations& all = allocations();
    std::lock_guard<std::mutex> lock(all.mutex);
    all.pinned[placement.base] = bytes;
    all.blocks[placement.base] = Block{placement, nullptr};
    return CUDA_SUCCESS;
}

CUresult cuMemAllocHost_v2(void** pointer, std::size_t bytes) { return cuMemHostAlloc(pointer, bytes, 0); }

CUresult cuMemFreeHost(void* pointer) {
    if (CUresult status = check_context()) return status;
    Allocations& all = allocations();
    std::lock_guard<std::mutex> lock(all.mutex);
    if (all.pinned.count(address(pointer)) == 0) {
        return report(CUDA_ERROR_INVALID_VALUE, "cuMemFreeHost: " + hex(address(pointer)) +
                                                    " is not the start of a live page-locked allocation");
    }
    release(all, address(pointer));
    return CUDA_SUCCESS;
}

CUresult cuMemHostGetDevicePointer_v2(CUdeviceptr* device, void* host, unsigned flags) {
    if (device == nullptr || flags != 0) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_context()) return status;
    *device = address(host);
    return CUDA_SUCCESS;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, std::size_t bytes) {
    return copy("cuMemcpyHtoD", dst, true, address(src), false, bytes);
}
CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, std::size_t bytes) {
    return copy("cuMemcpyDtoH", address(dst), false, src, true, bytes);
}
CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, std::size_t bytes) {
    return copy("cuMemcpyDtoD", dst, true, src, true, bytes);
}
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, std::size_t bytes, CUstream) {
    return copy("cuMemcpyHtoDAsync", dst, true, address(src), false, bytes);
}
CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, std::size_t bytes, CUstream) {
    return copy("cuMemcpyDtoHAsync", address(dst), false, src, true, bytes);
}
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, std::size_t bytes, CUstream) {
    return copy("cuMemcpyDtoDAsync", dst, true, src, true, bytes);
}

// Unified addressing: a pointer inside a device allocation is checked as device memory, any other
// is host memory.
CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, std::size_t bytes) {
    return copy("cuMemcpy", dst, is_device(dst), src, is_device(src), bytes);
}
CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, std::size_t bytes, CUstream) {
    return copy("cuMemcpyAsync", dst, is_device(dst), src, is_device(src), bytes);
}

CUresult cuMemsetD8_v2(CUdeviceptr dst, unsigned char value, std::size_t count) {
    return fill("cuMemsetD8", dst, value, count);
}
CUresult cuMemsetD16_v2(CUdeviceptr dst, unsigned short value, std::size_t count) {
    return fill("cuMemsetD16", dst, value, count);
}
CUresult cuMemsetD32_v2(CUdeviceptr dst, unsigned value, std::size_t count) {
    return fill("cuMemsetD32", dst, value, count);
}
CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, std::size_t count, CUstream) {
    return fill("cuMemsetD8Async", dst, value, count);
}
CUresult cuMemsetD16Async(CUdeviceptr dst, unsigned short value, std::size_t count, CUstream) {
    return fill("cuMemsetD16Async", dst, value, count);
}
CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned value, std::size_t count, CUstream) {
    return fill("cuMemsetD32Async", dst, value, count);
}

CUresult cuPointerGetAttribute(void* data, int attribute, CUdeviceptr pointer) {
    if (data == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_context()) return status;
    CUdeviceptr base;
    std::size_t size;
    {
        Allocations& all = allocations();
        std::lock_guard<std::mutex> lock(all.mutex);
        auto holder = all.find(pointer);
        if (holder == all.sizes.end()) return CUDA_ERROR_INVALID_VALUE;  // the real driver's answer for host memory
        base = holder->first;
        size = holder->second;
    }
    switch (attribute) {
        case CU_POINTER_ATTRIBUTE_CONTEXT: *static_cast<CUcontext*>(data) = current_context(); break;
        case CU_POINTER_ATTRIBUTE_MEMORY_TYPE: *static_cast<unsigned*>(data) = CU_MEMORYTYPE_DEVICE; break;
        case CU_POINTER_ATTRIBUTE_DEVICE_POINTER: *static_cast<CUdeviceptr*>(data) = pointer; break;
        case CU_POINTER_ATTRIBUTE_HOST_POINTER: *static_cast<void**>(data) = reinterpret_cast<void*>(pointer); break;
        case CU_POINTER_ATTRIBUTE_IS_MANAGED: *static_cast<int*>(data) = 0; break;
        case CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL: *static_cast<int*>(data) = 0; break;
        case CU_POINTER_ATTRIBUTE_RANGE_START_ADDR: *static_cast<CUdeviceptr*>(data) = base; break;
        case CU_POINTER_ATTRIBUTE_RANGE_SIZE: *static_cast<std::size_t*>(data) = size; break;
        case CU_POINTER_ATTRIBUTE_MAPPED: *static_cast<int*>(data) = 1; break;
        default: return report(CUDA_ERROR_NOT_SUPPORTED, "cuPointerGetAttribute: attribute " + std::to_string(attribute));
    }
    return CUDA_SUCCESS;
}

int jclip_sim_device_range(const void* pointer, std::size_t bytes, char* why, std::size_t why_size) {
    if (bytes == 0) return 1;
    const CUdeviceptr start = address(pointer);
    std::string reason;
    {
        Allocations& all = allocations();
        std::lock_guard<std::mutex> lock(all.mutex);
        auto holder = all.find(start);
        const char* kind = "device";
        if (holder == all.sizes.end()) {
            holder = find_in(all.pinned, start);
            kind = "page-locked host";
            if (holder == all.pinned.end()) {
                reason = "that address is in no live device or page-locked host allocation";
            }
        }
        if (reason.empty()) {
            const CUdeviceptr end = holder->first + holder->second;
            if (bytes <= end - start) return 1;
            reason = std::string("its ") + kind + " allocation (" + hex(holder->first) + ", " +
                     std::to_string(holder->second) + " bytes) ends " + std::to_string(bytes - (end - start)) +
                     " bytes earlier";
        }
    }
    if (why != nullptr && why_size > 0) std::snprintf(why, why_size, "%s", reason.c_str());
    return 0;
}

}  // extern "C"
