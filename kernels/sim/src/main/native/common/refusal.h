// How the cuBLAS and cuDNN stand-ins explain a refused call. A status code alone rarely says which
// argument was wrong, so each library keeps its calling thread's last refusal as "<status name>:
// <reason>" for its status-string call (which is what reaches a Java exception) and prints it to
// stderr the first time that text occurs.
#pragma once

#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>

namespace jclip_sim {

inline void record_refusal(std::string &last, const char *library, const char *status_name, const char *format,
                           va_list args) {
    char text[512];
    vsnprintf(text, sizeof text, format, args);
    last = std::string(status_name) + ": " + text;
    static std::mutex lock;
    static std::set<std::string> printed;
    std::lock_guard<std::mutex> guard(lock);
    if (printed.insert(last).second) fprintf(stderr, "jclip simulated %s: %s\n", library, last.c_str());
}

// `last` when it is a refusal with this status, else nullptr.
inline const char *refusal_with(const std::string &last, const char *status_name) {
    return last.rfind(status_name, 0) == 0 ? last.c_str() : nullptr;
}

}  // namespace jclip_sim
