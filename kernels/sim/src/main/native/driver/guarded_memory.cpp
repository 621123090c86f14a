#include "guarded_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace jclip::sim {

namespace {

constexpr std::uint32_t kFreshWord = 0x7FFF7FFFu;
// The canary: a float NaN with a payload no kernel computes, unlike the fresh word it copies.
constexpr unsigned char kCanary[4] = {0xA5, 0xA5, 0xA5, 0x7F};

std::size_t page_size() {
    static const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    return page;
}

constexpr std::size_t kGapBytes = std::size_t{64} << 20;

// Reserved once, never released: PROT_NONE and MAP_NORESERVE cost address space only.
struct Arena {
    std::mutex mutex;
    unsigned char* next = nullptr;
    unsigned char* end = nullptr;

    Arena() {
        for (std::size_t tebibytes : {32, 4, 1}) {
            const std::size_t bytes = tebibytes << 40;
            void* reserved = mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (reserved == MAP_FAILED) continue;
            next = static_cast<unsigned char*>(reserved) + kGapBytes;
            end = static_cast<unsigned char*>(reserved) + bytes;
            return;
        }
    }

    // `bytes` of accessible pages followed by the gap, or null once the arena is used up.
    unsigned char* take(std::size_t bytes) {
        std::lock_guard<std::mutex> lock(mutex);
        if (next == nullptr || static_cast<std::size_t>(end - next) < bytes + kGapBytes) return nullptr;
        unsigned char* pages = next;
        next += bytes + kGapBytes;
        return pages;
    }
};

Arena& arena() {
    static Arena* instance = new Arena;
    return *instance;
}

unsigned char* data_start(const Placement& p) { return p.pages; }

void fill_canary(unsigned char* from, unsigned char* to) {
    for (unsigned char* b = from; b < to; ++b) *b = kCanary[reinterpret_cast<std::uintptr_t>(b) % 4];
}

// The first and last bytes in [from, to) that differ from the canary, or false if none does.
bool damaged(const unsigned char* from, const unsigned char* to, const unsigned char*& first, const unsigned char*& last) {
    first = last = nullptr;
    for (const unsigned char* b = from; b < to; ++b) {
        if (*b == kCanary[reinterpret_cast<std::uintptr_t>(b) % 4]) continue;
        if (first == nullptr) first = b;
        last = b;
    }
    return first != nullptr;
}

}  // namespace

Placement place(std::size_t bytes) {
    const std::size_t page = page_size();
    Placement p;
    p.bytes = bytes;
    p.rounded = std::max<std::size_t>(kAlignment, (bytes + kAlignment - 1) / kAlignment * kAlignment);
    const std::size_t data_pages = (p.rounded + page - 1) / page * page;
    p.page_bytes = data_pages;
    p.pages = arena().take(data_pages);
    if (p.pages == nullptr) {
        void* mapped = mmap(nullptr, page + data_pages + page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (mapped == MAP_FAILED) return Placement{};
        p.pages = static_cast<unsigned char*>(mapped) + page;
        p.own_mapping = true;
    }
    if (mprotect(p.pages, data_pages, PROT_READ | PROT_WRITE) != 0) {
        unmap(p);
        return Placement{};
    }
    unsigned char* end_of_data = data_start(p) + data_pages;
    auto* base = end_of_data - p.rounded;
    p.base = reinterpret_cast<std::uintptr_t>(base);
    fill_canary(data_start(p), base);
    std::fill_n(reinterpret_cast<std::uint32_t*>(base), bytes / 4, kFreshWord);
    for (std::size_t i = bytes / 4 * 4; i < bytes; ++i) base[i] = reinterpret_cast<const unsigned char*>(&kFreshWord)[i % 4];
    fill_canary(base + bytes, end_of_data);
    return p;
}

std::string padding_damage(const Placement& p) {
    const auto* base = reinterpret_cast<const unsigned char*>(p.base);
    const unsigned char *first, *last;
    std::string damage;
    if (damaged(data_start(p), base, first, last)) {
        damage = "bytes " + std::to_string(base - last) + " to " + std::to_string(base - first) +
                 " before its start (1 is the byte just before it)";
    }
    if (damaged(base + p.bytes, base + p.rounded, first, last)) {
        if (!damage.empty()) damage += " and ";
        damage += "bytes " + std::to_string(first - (base + p.bytes)) + " to " + std::to_string(last - (base + p.bytes)) +
                  " past its end (0 is the byte just after it)";
    }
    return damage;
}

void retire(const Placement& p) {
    mprotect(p.pages, p.page_bytes, PROT_NONE);
    madvise(p.pages, p.page_bytes, MADV_DONTNEED);
}

void unmap(const Placement& p) {
    if (p.own_mapping) {
        munmap(p.pages - page_size(), p.page_bytes + 2 * page_size());
    } else {
        retire(p);  // arena pages stay reserved: an address is never handed out twice
    }
}

}  // namespace jclip::sim
