// The Runtime API the emulator serves to its runtime: /next, init errors, responses and errors.
#include "emulator_impl.hpp"

#include <lambda_py27/runtime/runtime_client.hpp>
#include "testing/text.hpp"

#include <algorithm>

namespace lambda_py27::testing {

namespace {

namespace http = detail::http;
using detail::body_read;

constexpr std::string_view api_prefix = "/2018-06-01/runtime/";
constexpr std::string_view extension_prefix = "/2020-01-01/extension/";

std::int64_t epoch_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string too_large_message() {
    return "Response payload size exceeded maximum allowed payload size (" + std::to_string(max_response_bytes) +
           " bytes).";
}

}  // namespace

void emulator::impl::serve_runtime_api(connection& c) {
    detail::serve_requests(c.socket, [&](flat_buffer& buffer, request_parser& p) {
        const auto path = detail::path_of(p.get().target());
        if (path.substr(0, extension_prefix.size()) == extension_prefix)
            return handle_extension(c, buffer, p, path.substr(extension_prefix.size()));
        if (path.substr(0, api_prefix.size()) != api_prefix)
            return detail::refuse(c.socket, buffer, p, 404, "NotFound",
                                  "Unknown Runtime API path: " + std::string(path));
        return route_runtime_api(c, buffer, p, path.substr(api_prefix.size()));
    });
}

// `rest`: the path after /2018-06-01/runtime/.
bool emulator::impl::route_runtime_api(connection& c, flat_buffer& buffer, request_parser& p, std::string_view rest) {
    const auto& req = p.get();
    constexpr std::string_view inv = "invocation/";
    if (rest == "invocation/next") {
        return req.method() == http::verb::get
                   ? handle_next(c, buffer, p)
                   : detail::refuse(c.socket, buffer, p, 405, "MethodNotAllowed", "Use GET for invocation/next");
    }
    if (rest == "init/error") {
        return req.method() == http::verb::post
                   ? handle_init_error(c, buffer, p)
                   : detail::refuse(c.socket, buffer, p, 405, "MethodNotAllowed", "Use POST for init/error");
    }
    if (rest.substr(0, inv.size()) == inv && rest.size() > inv.size()) {
        auto tail = rest.substr(inv.size());
        const auto slash = tail.find('/');
        const auto id = slash == std::string_view::npos ? tail : tail.substr(0, slash);
        const auto what = slash == std::string_view::npos ? std::string_view{} : tail.substr(slash);
        if ((what == "/response" || what == "/error") && !id.empty()) {
            return req.method() == http::verb::post
                       ? handle_answer(c, buffer, p, std::string(id), what == "/error")
                       : detail::refuse(c.socket, buffer, p, 405, "MethodNotAllowed", "Use POST to answer");
        }
    }
    const auto path = detail::path_of(req.target());
    return detail::refuse(c.socket, buffer, p, 404, "NotFound", "Unknown Runtime API path: " + std::string(path));
}

bool emulator::impl::handle_next(connection& c, flat_buffer& buffer, request_parser& p) {
    std::string ignored;
    if (detail::read_body(c.socket, buffer, p, 0, ignored) == body_read::failed)
        return detail::answer_read_error(c.socket, p);
    const bool keep_alive = p.get().keep_alive();

    std::unique_lock lk(m);
    if (!external && !connection_is_stale_locked(c) && !child.init_done) child.init_done = steady::now();
    std::shared_ptr<invocation_state> inv;
    for (;;) {
        if (stopping) return false;
        // A killed runtime never hangs up politely; its waiting /next must not take the next event.
        if (connection_is_stale_locked(c)) return false;
        if ((inv = invocations.next_undelivered())) break;
        if (detail::peer_closed(c.fd)) return false;
        cv.wait_for(lk, detail::peer_check_interval);
    }
    const auto now = steady::now();
    inv->delivered = true;
    inv->delivered_at = now;
    // The deadline was set at the invoke: what the init took is not given back.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(inv->deadline - now);
    const auto deadline_ms = epoch_ms_now() + std::max<std::int64_t>(left.count(), 0);

    auto res = detail::make_response(200, inv->event, keep_alive);
    res.set("Lambda-Runtime-Aws-Request-Id", inv->id);
    res.set("Lambda-Runtime-Deadline-Ms", std::to_string(deadline_ms));
    res.set("Lambda-Runtime-Invoked-Function-Arn", function_arn());
    if (!inv->trace_id.empty()) res.set("Lambda-Runtime-Trace-Id", inv->trace_id);
    if (!inv->client_context.empty()) res.set("Lambda-Runtime-Client-Context", inv->client_context);
    if (!inv->tenant_id.empty()) res.set("Lambda-Runtime-Aws-Tenant-Id", inv->tenant_id);
    cv.notify_all();  // the caller's wait limit moved to the deadline
    lk.unlock();
    return detail::write_response(c.socket, res) && keep_alive;
}

bool emulator::impl::handle_init_error(connection& c, flat_buffer& buffer, request_parser& p) {
    if (!detail::continue_if_expected(c.socket, p)) return false;
    std::string body;
    const auto r = detail::read_body(c.socket, buffer, p, max_response_bytes, body);
    if (r == body_read::failed) return detail::answer_read_error(c.socket, p);
    const bool keep_alive = p.get().keep_alive();
    if (r == body_read::too_large)
        return detail::reply_error(c.socket, 413, "RequestEntityTooLarge", too_large_message(), keep_alive) &&
               keep_alive;
    {
        std::lock_guard lk(m);
        if (!connection_is_stale_locked(c)) {  // a dead process's report concerns no one
            if (body.empty()) body = detail::error_json("Runtime.Unknown", "Unknown init error");
            init_error = std::move(body);
            if (!external) child.init_failed = true;
            cv.notify_all();
        }
    }
    return detail::reply_accepted(c.socket, keep_alive) && keep_alive;
}

bool emulator::impl::handle_answer(connection& c, flat_buffer& buffer, request_parser& p, const std::string& id,
                                   bool is_error) {
    const auto& req = p.get();
    if (!detail::continue_if_expected(c.socket, p)) return false;
    if (!is_error && p.chunked() &&
        detail::iequals(detail::sv(req["Lambda-Runtime-Function-Response-Mode"]), "streaming"))
        return handle_stream(c, buffer, p, id);

    std::string body;
    const auto r = detail::read_body(c.socket, buffer, p, max_response_bytes, body);
    if (r == body_read::failed) return detail::answer_read_error(c.socket, p);
    const bool keep_alive = req.keep_alive();

    std::unique_lock lk(m);
    detail::error_answer refusal;
    const auto inv = invocations.answerable(id, refusal);
    if (!inv) {
        lk.unlock();
        return detail::reply_error(c.socket, refusal.status, refusal.type, refusal.message, keep_alive) && keep_alive;
    }
    inv->answered = true;
    inv->complete = true;
    invocations.mark_answered(id);
    const bool too_large = r == body_read::too_large;
    if (too_large) {
        inv->body = detail::error_json("Function.ResponseSizeTooLarge", too_large_message());
        inv->function_error = "Unhandled";
    } else {
        inv->body = std::move(body);
        const auto ct = detail::sv(req[http::field::content_type]);
        inv->content_type = ct.empty() ? "application/json" : std::string(ct);
        // Lambda answers every unhandled function error with `Unhandled`; the type stays in the body.
        if (is_error) inv->function_error = "Unhandled";
    }
    c.answering = true;  // a stop() this answer lets finish waits for its acknowledgement too
    cv.notify_all();
    lk.unlock();
    const bool written =
        too_large ? detail::reply_error(c.socket, 413, "RequestEntityTooLarge", too_large_message(), keep_alive)
                  : detail::reply_accepted(c.socket, keep_alive);
    return done_answering(lk, c, written && keep_alive);
}

}  // namespace lambda_py27::testing
