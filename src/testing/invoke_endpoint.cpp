// The invoke endpoint: an invoke is admitted, the runtime started if needed, and the caller answered with
// the invocation's outcome (or, for a streamed response, by stream_relay.cpp).
#include "emulator_impl.hpp"

#include "testing/text.hpp"

#include <unistd.h>

namespace lambda_py27::testing {

namespace {

namespace http = detail::http;
using detail::body_read;

// A 502 the platform gives for its runtime ("RequestId: <id> Error: <reason>", then the type on its own
// line in the log), as RIE words Runtime.ExitError and Runtime.InvalidEntrypoint.
detail::outcome platform_error(const detail::invocation_state& inv, const char* type, const std::string& reason) {
    const auto message = "RequestId: " + inv.id + " Error: " + reason;
    detail::outcome out;
    out.status = 502;
    out.body = detail::error_json(type, message);
    out.log_line = message + "\n" + type + "\n";
    return out;
}

enum class invocation_type { request_response, event, dry_run, invalid };

// X-Amz-Invocation-Type, spelt as Lambda's API spells its values (absent: RequestResponse).
invocation_type invocation_type_of(std::string_view header) {
    if (header.empty() || header == "RequestResponse") return invocation_type::request_response;
    if (header == "Event") return invocation_type::event;
    if (header == "DryRun") return invocation_type::dry_run;
    return invocation_type::invalid;
}

constexpr std::string_view invoke_prefix = "/2015-03-31/functions/";
constexpr std::string_view invoke_suffix = "/invocations";

}  // namespace

bool emulator::impl::is_invoke_path(std::string_view path) const {
    if (path.size() <= invoke_prefix.size() + invoke_suffix.size()) return false;
    if (path.substr(0, invoke_prefix.size()) != invoke_prefix) return false;
    if (path.substr(path.size() - invoke_suffix.size()) != invoke_suffix) return false;
    const auto name = path.substr(invoke_prefix.size(), path.size() - invoke_prefix.size() - invoke_suffix.size());
    return name == "function" || name == opts.function_name;
}

void emulator::impl::serve_invoke(connection& c) {
    detail::serve_requests(c.socket, [&](flat_buffer& buffer, request_parser& p) {
        const auto path = detail::path_of(p.get().target());
        if (!is_invoke_path(path))
            return detail::refuse(
                c.socket, buffer, p, 404, "ResourceNotFoundException",
                "Unknown path " + std::string(path) + "; invoke with POST /2015-03-31/functions/function/invocations");
        if (p.get().method() != http::verb::post)
            return detail::refuse(c.socket, buffer, p, 405, "MethodNotAllowed", "Invoke with POST");
        return handle_invoke(c, buffer, p);
    });
}

bool emulator::impl::handle_invoke(connection& c, flat_buffer& buffer, request_parser& p) {
    const auto& req = p.get();
    const bool keep_alive = req.keep_alive();
    if (!detail::continue_if_expected(c.socket, p)) return false;
    std::string event;
    const auto r = detail::read_body(c.socket, buffer, p, opts.max_event_bytes, event);
    if (r == body_read::failed && detail::status_for_read_error(p, p.read_error) != 413)
        return detail::answer_read_error(c.socket, p);
    if (r != body_read::ok) {
        const bool usable = r == body_read::too_large && keep_alive;
        return detail::reply_error(c.socket, 413, "RequestEntityTooLargeException",
                                   "Request must be smaller than " + std::to_string(opts.max_event_bytes) +
                                       " bytes for the InvokeFunction operation",
                                   usable) &&
               usable;
    }
    std::string client_context;
    if (const auto cc = detail::sv(req["X-Amz-Client-Context"]); !cc.empty()) {
        if (!detail::base64_decode(cc, client_context))
            return detail::reply_error(c.socket, 400, "InvalidRequestContentException",
                                       "Client context must be a valid Base64-encoded JSON object.", keep_alive) &&
                   keep_alive;
        client_context = detail::header_safe(client_context);
    }
    const auto type_header = detail::sv(req["X-Amz-Invocation-Type"]);
    const auto type = invocation_type_of(type_header);
    if (type == invocation_type::invalid)
        return detail::reply_error(c.socket, 400, "InvalidParameterValueException",
                                   "1 validation error detected: Value '" + std::string(type_header) +
                                       "' at 'invocationType' failed to satisfy constraint: Member must satisfy enum "
                                       "value set: [Event, RequestResponse, DryRun]",
                                   keep_alive) &&
               keep_alive;
    if (type == invocation_type::dry_run) return answer_dry_run(c, keep_alive);
    // Tenant isolation mode: the invoke's tenant reaches the runtime as Lambda-Runtime-Aws-Tenant-Id.
    auto tenant_id = detail::header_safe(detail::sv(req["X-Amz-Tenant-Id"]));
    if (type == invocation_type::event)
        return queue_event(c, std::move(event), detail::sv(req["X-Amzn-Trace-Id"]), std::move(client_context),
                           std::move(tenant_id), keep_alive);
    const bool log_tail = detail::sv(req["X-Amz-Log-Type"]) == "Tail";
    if (log_tail && !external) output.drain();  // what came before this invoke is not its log

    std::unique_lock lk(m);
    if (stopping) return false;
    if (const auto refusal = admission_refusal_locked()) {
        lk.unlock();
        return detail::reply_error(c.socket, refusal->status, refusal->type, refusal->message, keep_alive) &&
               keep_alive;
    }
    const auto inv = invocations.add(std::move(event), detail::sv(req["X-Amzn-Trace-Id"]), std::move(client_context),
                                     opts.timeout, std::move(tenant_id));
    if (log_tail && !external) output.begin_capture(inv->id);  // before a runtime can have it
    c.answering = true;  // from here on, stop() lets this thread answer the caller
    bool started_runtime = false;
    detail::outcome out;
    switch (run_invocation_locked(lk, *inv, started_runtime, out)) {
        case wait_end::stopping: out = shutdown_outcome(*inv); break;
        case wait_end::streaming: c.answering = false; return stream_to_caller(lk, c, inv, started_runtime, keep_alive);
        case wait_end::outcome: break;
    }
    const bool shutting_down = stopping;
    const bool usable =
        answer_caller(lk, c, *inv, std::move(out), started_runtime, keep_alive && !shutting_down, log_tail);
    return done_answering(lk, c, usable && !shutting_down);
}

// DryRun: the invoke would be accepted; nothing runs.
bool emulator::impl::answer_dry_run(connection& c, bool keep_alive) {
    std::unique_lock lk(m);
    const auto id = invocations.new_request_id();
    lk.unlock();
    auto res = detail::make_response(204, {}, keep_alive);
    res.set("X-Amzn-RequestId", id);
    return detail::write_response(c.socket, res) && keep_alive;
}

// Why an invoke cannot be taken now (the function is busy), if it cannot.
std::optional<detail::error_answer> emulator::impl::admission_refusal_locked() const {
    if (draining) return detail::error_answer{503, "ServiceException", "The emulator is stopping"};
    if (invocations.size() >= max_concurrency() && max_concurrency() > 1)
        return detail::error_answer{429, "TooManyRequestsException",
                                    "Rate Exceeded: the function is serving its maximum of " +
                                        std::to_string(max_concurrency()) + " concurrent invocations"};
    if (invocations.size() >= max_concurrency())
        return detail::error_answer{400, "ResourceConflictException",
                                    "The function is busy with another invocation; the emulator serves one "
                                    "invoke at a time"};
    return std::nullopt;
}

// Child mode: a runtime for `inv`, started now if there is none (or it failed its init). False when stopping.
bool emulator::impl::prepare_runtime_locked(std::unique_lock<std::mutex>& lk, invocation_state& inv,
                                            bool& started_runtime, std::string& spawn_failure) {
    if (external) return true;
    if (child.alive && child.init_failed) child.kill_locked();
    if (!child.alive) {
        // Concurrent invokes: whichever finds the old process reaped first starts the new one.
        cv.wait(lk, [&] { return child.reaped || child.alive || stopping; });
        if (stopping) return false;
        if (!child.alive) {
            spawn_failure = spawn_runtime_locked();
            started_runtime = true;
        }
    }
    inv.generation = child.generation;
    return true;
}

// Starts the admitted invocation (a runtime for it, its START line) and waits until its caller's answer is
// decided; `stopping` also when the emulator stopped while waiting for the old runtime to go.
emulator::impl::wait_end emulator::impl::run_invocation_locked(std::unique_lock<std::mutex>& lk, invocation_state& inv,
                                                               bool& started_runtime, detail::outcome& out) {
    std::string spawn_failure;
    if (!prepare_runtime_locked(lk, inv, started_runtime, spawn_failure)) return wait_end::stopping;
    cv.notify_all();
    lk.unlock();
    log_lines.write(detail::start_line(inv.id, opts.function_version));
    lk.lock();
    return await_outcome_locked(lk, inv, spawn_failure, out);
}

// Starts a runtime process; returns an error text when it cannot.
std::string emulator::impl::spawn_runtime_locked() {
    init_error.reset();  // belongs to a process that is gone
    auto request = detail::runtime_spawn_request(opts, task_root, api_endpoint, max_concurrency());
    request.stdout_fd = output.stdout_fd();
    request.stderr_fd = output.stderr_fd();
    telemetry.prepare(request);
    auto failure = child.start_locked(request);
    telemetry.spawned();
    return failure;
}

// Waits until the caller's answer is decided: `out` is set, or the runtime began a stream, or the emulator stops.
emulator::impl::wait_end emulator::impl::await_outcome_locked(std::unique_lock<std::mutex>& lk, invocation_state& inv,
                                                              const std::string& spawn_failure, detail::outcome& out) {
    for (;;) {
        if (!spawn_failure.empty()) {
            out = platform_error(inv, "Runtime.InvalidEntrypoint", spawn_failure);
            return wait_end::outcome;
        }
        if (inv.complete) {
            out.body = std::move(inv.body);
            out.content_type = inv.content_type;
            out.function_error = inv.function_error;
            return wait_end::outcome;
        }
        if (inv.streaming) return wait_end::streaming;
        if (stopping) return wait_end::stopping;  // after the result: one that came in time is given
        if (init_error) {
            out.body = std::move(*init_error);
            out.function_error = "Unhandled";
            init_error.reset();
            if (!external) child.init_failed = true;
            return wait_end::outcome;
        }
        if (!external && (!child.alive || child.generation != inv.generation)) {
            out = exit_outcome_locked(inv);
            return wait_end::outcome;
        }
        // As on Lambda, the timeout counts from the invoke: a runtime's init (or a hung one) uses it up.
        if (steady::now() >= inv.deadline) {
            out = timeout_outcome(inv);
            return wait_end::outcome;
        }
        cv.wait_until(lk, inv.deadline);
    }
}

// Ends the invocation with `out`, logs END/REPORT and answers the caller, with the invocation's log tail
// when asked (lock held on entry, released).
bool emulator::impl::answer_caller(std::unique_lock<std::mutex>& lk, connection& c, invocation_state& inv,
                                   detail::outcome out, bool started_runtime, bool keep_alive, bool log_tail) {
    const auto log = conclude_locked(lk, inv, out.timed_out, out.log_line, started_runtime);
    auto res = detail::make_response(out.status, std::move(out.body), keep_alive, out.content_type);
    add_invoke_headers(res.base(), inv);
    if (log_tail) {
        // As Lambda: the last 4 KB of the invocation's log, START to REPORT.
        auto text = detail::start_line(inv.id, opts.function_version) + log;
        if (text.size() > detail::runtime_output::capture_limit)
            text.erase(0, text.size() - detail::runtime_output::capture_limit);
        res.set("X-Amz-Log-Result", detail::base64_encode(text));
    }
    if (!out.function_error.empty()) res.set("X-Amz-Function-Error", out.function_error);
    return detail::write_response(c.socket, res) && keep_alive;
}

// Ends the invocation (a timed-out runtime is killed) and logs `log_line` and END/REPORT after what the
// runtime wrote meanwhile (lock held on entry, released). Returns the invocation's log after START: what was
// captured of the runtime's output (nothing unless begun), `log_line`, END and REPORT.
std::string emulator::impl::conclude_locked(std::unique_lock<std::mutex>& lk, invocation_state& inv, bool timed_out,
                                            const std::string& log_line, bool started_runtime) {
    const auto memory = memory_used_mb_locked();  // before a kill: a killed process has no /proc entry
    if (timed_out && !external) child.kill_locked();
    const auto lines = finish_locked(inv, started_runtime, memory);
    lk.unlock();
    // The runtime wrote before it answered: drained now, its output is not missed nor printed after END.
    std::string log = external ? std::string() : output.end_capture(inv.id);
    log_lines.write(log_line + lines);
    return log + log_line + lines;
}

long emulator::impl::memory_used_mb_locked() const {
    const long kib = external ? detail::peak_rss_kib(::getpid()) : child.peak_rss_kib_locked();
    return kib <= 0 ? 0 : (kib + 1023) / 1024;
}

detail::outcome emulator::impl::exit_outcome_locked(const invocation_state& inv) const {
    return platform_error(inv, "Runtime.ExitError", child.exit_reason_locked());
}

// The emulator stopped before the runtime answered (and the shutdown budget is spent).
detail::outcome emulator::impl::shutdown_outcome(const invocation_state& inv) const {
    return platform_error(inv, "Sandbox.Shutdown", "the emulator stopped before the runtime answered");
}

detail::outcome emulator::impl::timeout_outcome(const invocation_state& inv) const {
    const auto message =
        inv.id + " Task timed out after " + detail::seconds_with_two_decimals(opts.timeout) + " seconds";
    detail::outcome out;
    out.body = detail::error_json("Sandbox.Timedout", message);
    out.function_error = "Unhandled";
    out.log_line = message + "\n";
    out.timed_out = true;
    return out;
}

void emulator::impl::add_invoke_headers(http::fields& f, const invocation_state& inv) const {
    f.set("X-Amzn-RequestId", inv.id);
    f.set("X-Amz-Executed-Version", opts.function_version);
}

// Ends the invocation: frees the function for the next invoke and returns the END/REPORT lines.
std::string emulator::impl::finish_locked(invocation_state& inv, bool started_runtime, long memory_mb) {
    const auto end = steady::now();
    std::optional<double> init_ms;
    if (started_runtime && !external) init_ms = detail::ms_between(child.started, child.init_done.value_or(end));
    invocations.finish(inv);
    cv.notify_all();
    return detail::end_report_lines(inv, end, init_ms, opts.memory_mb, memory_mb);
}

}  // namespace lambda_py27::testing
