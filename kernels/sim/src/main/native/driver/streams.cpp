// Streams and events. Every call of the simulated device completes before it returns, so a stream
// is only a handle, and an event records the wall-clock time at which it was recorded: elapsed
// times between events measure the simulator's real work.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>

#include "context.h"
#include "errors.h"

struct CUstream_st {
    unsigned flags;
    int priority;
};

struct CUevent_st {
    unsigned flags;
    bool recorded;
    std::chrono::steady_clock::time_point time;
};

namespace {

struct Handles {
    std::mutex mutex;
    std::set<CUstream> streams;
    std::set<CUevent> events;
};

Handles& handles() {
    static Handles* instance = new Handles;  // never destroyed: usable until the process ends
    return *instance;
}

// The null stream (0), the legacy (1) and the per-thread (2) default streams always exist and have
// no CUstream_st behind them.
bool built_in(CUstream stream) { return reinterpret_cast<std::uintptr_t>(stream) <= 2; }

bool valid(CUstream stream) {
    if (built_in(stream)) return true;
    Handles& all = handles();
    std::lock_guard<std::mutex> lock(all.mutex);
    return all.streams.count(stream) > 0;
}

bool valid(CUevent event) {
    Handles& all = handles();
    std::lock_guard<std::mutex> lock(all.mutex);
    return all.events.count(event) > 0;
}

}  // namespace

using namespace jclip::sim;

extern "C" {

CUresult cuStreamCreateWithPriority(CUstream* stream, unsigned flags, int priority) {
    if (stream == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_context()) return status;
    Handles& all = handles();
    std::lock_guard<std::mutex> lock(all.mutex);
    *stream = new CUstream_st{flags, priority};
    all.streams.insert(*stream);
    return CUDA_SUCCESS;
}

CUresult cuStreamCreate(CUstream* stream, unsigned flags) { return cuStreamCreateWithPriority(stream, flags, 0); }

CUresult cuStreamDestroy_v2(CUstream stream) {
    if (CUresult status = check_context()) return status;
    Handles& all = handles();
    std::lock_guard<std::mutex> lock(all.mutex);
    if (all.streams.erase(stream) == 0) return CUDA_ERROR_INVALID_HANDLE;
    delete stream;
    return CUDA_SUCCESS;
}

CUresult cuStreamSynchronize(CUstream stream) {
    if (CUresult status = check_context()) return status;
    return valid(stream) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

CUresult cuStreamQuery(CUstream stream) { return cuStreamSynchronize(stream); }

CUresult cuStreamWaitEvent(CUstream stream, CUevent event, unsigned) {
    if (CUresult status = check_context()) return status;
    return valid(stream) && valid(event) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

CUresult cuStreamGetPriority(CUstream stream, int* priority) {
    if (priority == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_context()) return status;
    if (!valid(stream)) return CUDA_ERROR_INVALID_HANDLE;
    *priority = built_in(stream) ? 0 : stream->priority;
    return CUDA_SUCCESS;
}

CUresult cuStreamGetFlags(CUstream stream, unsigned* flags) {
    if (flags == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_context()) return status;
    if (!valid(stream)) return CUDA_ERROR_INVALID_HANDLE;
    *flags = built_in(stream) ? 0 : stream->flags;
    return CUDA_SUCCESS;
}

CUresult cuEventCreate(CUevent* event, unsigned flags) {
    if (event == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_context()) return status;
    Handles& all = handles();
    std::lock_guard<std::mutex> lock(all.mutex);
    *event = new CUevent_st{flags, false, {}};
    all.events.insert(*event);
    return CUDA_SUCCESS;
}

CUresult cuEventDestroy_v2(CUevent event) {
    if (CUresult status = check_context()) return status;
    Handles& all = handles();
    std::lock_guard<std::mutex> lock(all.mutex);
    if (all.events.erase(event) == 0) return CUDA_ERROR_INVALID_HANDLE;
    delete event;
    return CUDA_SUCCESS;
}

CUresult cuEventRecord(CUevent event, CUstream stream) {
    if (CUresult status = check_context()) return status;
    if (!valid(event) || !valid(stream)) return CUDA_ERROR_INVALID_HANDLE;
    event->recorded = true;
    event->time = std::chrono::steady_clock::now();
    return CUDA_SUCCESS;
}

CUresult cuEventRecordWithFlags(CUevent event, CUstream stream, unsigned) { return cuEventRecord(event, stream); }

CUresult cuEventSynchronize(CUevent event) {
    if (CUresult status = check_context()) return status;
    return valid(event) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

CUresult cuEventQuery(CUevent event) { return cuEventSynchronize(event); }

CUresult cuEventElapsedTime(float* milliseconds, CUevent start, CUevent end) {
    if (milliseconds == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult status = check_context()) return status;
    if (!valid(start) || !valid(end)) return CUDA_ERROR_INVALID_HANDLE;
    if ((start->flags | end->flags) & CU_EVENT_DISABLE_TIMING) {
        return report(CUDA_ERROR_INVALID_HANDLE, "cuEventElapsedTime: an event was created with CU_EVENT_DISABLE_TIMING");
    }
    if (!start->recorded || !end->recorded) {
        return report(CUDA_ERROR_INVALID_HANDLE, "cuEventElapsedTime: an event has not been recorded");
    }
    *milliseconds = std::chrono::duration<float, std::milli>(end->time - start->time).count();
    return CUDA_SUCCESS;
}

}  // extern "C"
