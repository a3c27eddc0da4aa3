// Event (asynchronous) invokes: the caller gets 202 at once; the event thread runs the queued invocations
// in order, each when the function has room for it, as their caller would, and drops their results.
#include "emulator_impl.hpp"

namespace lambda_py27::testing {

// Queues an Event invoke and answers its caller 202 with the request id (lock not held).
bool emulator::impl::queue_event(connection& c, std::string event, std::string_view trace_id,
                                 std::string client_context, std::string tenant_id, bool keep_alive) {
    std::unique_lock lk(m);
    if (stopping) return false;
    const auto inv = invocations.create(std::move(event), trace_id, std::move(client_context), std::move(tenant_id));
    queued_events.push_back(inv);
    cv.notify_all();
    lk.unlock();
    auto res = detail::make_response(202, {}, keep_alive);
    add_invoke_headers(res.base(), *inv);
    return detail::write_response(c.socket, res) && keep_alive;
}

// The event thread: until the emulator stops, takes the oldest queued event once an invoke would be admitted.
void emulator::impl::run_events() {
    std::unique_lock lk(m);
    for (;;) {
        cv.wait(lk, [&] { return stopping || (!queued_events.empty() && !admission_refusal_locked()); });
        if (stopping) return;
        const auto inv = std::move(queued_events.front());
        queued_events.pop_front();
        invocations.admit(inv, opts.timeout);
        try {
            run_event_locked(lk, inv);
        } catch (const std::exception&) {
            // e.g. bad_alloc: this event is lost, the next ones still run
        }
        if (!lk.owns_lock()) lk.lock();
    }
}

// Runs one admitted event as a synchronous invoke runs (START, the runtime, END/REPORT), with no one to
// answer. May return with the lock released.
void emulator::impl::run_event_locked(std::unique_lock<std::mutex>& lk, const std::shared_ptr<invocation_state>& inv) {
    bool started_runtime = false;
    detail::outcome out;
    switch (run_invocation_locked(lk, *inv, started_runtime, out)) {
        case wait_end::stopping: return;
        case wait_end::streaming: discard_stream_locked(lk, *inv, started_runtime); return;
        case wait_end::outcome: conclude_locked(lk, *inv, out.timed_out, out.log_line, started_runtime); return;
    }
}

}  // namespace lambda_py27::testing
