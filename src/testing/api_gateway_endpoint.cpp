// The --api-gateway front end: every HTTP request on the invoke port becomes one invocation with a proxy
// event (api_gateway_event.cpp), run as an invoke is run, and its outcome becomes the HTTP answer
// (api_gateway_result.cpp).
#include "emulator_impl.hpp"

#include "api_gateway.hpp"

#include <boost/asio/ip/address.hpp>

namespace lambda_py27::testing {

namespace {

namespace http = detail::http;
using detail::body_read;

// An answer of the front end itself (a refusal), as API Gateway words its own: {"message": ...}.
bool write_api_message(detail::tcp::socket& socket, unsigned status, std::string_view message, bool keep_alive) {
    detail::api_answer a;
    a.status = status;
    a.headers.emplace_back("Content-Type", "application/json");
    a.body = R"({"message": ")" + std::string(message) + "\"}";
    return detail::write_api_answer(socket, std::move(a), keep_alive);
}

std::string peer_address(detail::tcp::socket& socket) {
    detail::beast::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    return ec ? std::string("127.0.0.1") : peer.address().to_string();
}

}  // namespace

bool detail::write_api_answer(tcp::socket& socket, api_answer a, bool keep_alive, bool head) {
    detail::string_response res{static_cast<http::status>(a.status), 11};
    res.set(http::field::server, "lambda-py27-emulator");
    for (auto& [name, value] : a.headers) res.insert(name, value);
    res.keep_alive(keep_alive);
    res.body() = std::move(a.body);
    res.prepare_payload();
    if (head) res.body().clear();
    return detail::write_response(socket, res);
}

void emulator::impl::serve_api(connection& c) {
    detail::serve_requests(c.socket,
                           [&](flat_buffer& buffer, request_parser& p) { return handle_api_request(c, buffer, p); });
}

bool emulator::impl::handle_api_request(connection& c, flat_buffer& buffer, request_parser& p) {
    const auto& req = p.get();
    const bool keep_alive = req.keep_alive();
    const bool head = req.method() == http::verb::head;
    if (!detail::continue_if_expected(c.socket, p)) return false;
    detail::api_request r;
    const auto read = detail::read_body(c.socket, buffer, p, opts.max_event_bytes, r.body);
    if (read == body_read::failed && detail::status_for_read_error(p, p.read_error) != 413)
        return detail::answer_read_error(c.socket, p);
    bool too_large = read != body_read::ok;
    if (!too_large) {
        r.method = req.method_string();
        r.target = std::string(detail::sv(req.target()));
        r.protocol = req.version() == 10 ? "HTTP/1.0" : "HTTP/1.1";
        r.source_ip = peer_address(c.socket);
        r.headers = req.fields();
        detail::api_context ctx;
        ctx.time = std::chrono::system_clock::now();
        {
            std::lock_guard lk(m);
            ctx.request_id = invocations.new_request_id();
        }
        auto event = detail::proxy_event(opts.api_gateway, r, ctx);
        too_large = event.size() > opts.max_event_bytes;  // a body grows by a third in base64
        if (!too_large) {
            std::unique_lock lk(m);
            if (!admit_api_request_locked(lk, c)) return false;
            const auto inv = invocations.add(std::move(event), {}, {}, opts.timeout);
            c.answering = true;  // from here on, stop() lets this thread answer the caller
            bool started_runtime = false;
            detail::outcome out;
            switch (run_invocation_locked(lk, *inv, started_runtime, out)) {
                case wait_end::stopping: out = shutdown_outcome(*inv); break;
                case wait_end::streaming:
                    c.answering = false;
                    if (opts.invoke_mode == function_url_invoke_mode::response_stream)
                        return stream_to_api_caller(lk, c, *inv, started_runtime, keep_alive, head);
                    // BUFFERED: the stream is read to its end and dropped, the caller gets a 502.
                    log_lines.write(
                        "The --api-gateway front end does not map a streamed response in the BUFFERED invoke mode "
                        "(use --function-url-invoke-mode RESPONSE_STREAM with --api-gateway 2.0): 502\n");
                    if (!discard_stream_locked(lk, *inv, started_runtime)) return false;  // released the lock
                    return write_api_answer(c.socket, detail::internal_server_error({}), keep_alive, head) &&
                           keep_alive;
                case wait_end::outcome: break;
            }
            const bool shutting_down = stopping;
            const bool usable =
                answer_api_caller(lk, c, *inv, std::move(out), started_runtime, keep_alive && !shutting_down, head);
            return done_answering(lk, c, usable && !shutting_down);
        }
    }
    const bool usable = read != body_read::failed && keep_alive;
    return write_api_message(c.socket, 413, "Request Entity Too Large", usable) && usable;
}

// Waits until the function has room for one more invocation, as API Gateway's caller would wait on a busy
// function here (a browser's parallel requests); false when the emulator stops meanwhile (answered 503 when
// it is only draining). Lock held on entry and, when true, on return.
bool emulator::impl::admit_api_request_locked(std::unique_lock<std::mutex>& lk, connection& c) {
    cv.wait(lk, [&] { return stopping || draining || !admission_refusal_locked(); });
    if (stopping) return false;
    if (draining) {
        lk.unlock();
        write_api_message(c.socket, 503, "Service Unavailable", false);
        return false;
    }
    return true;
}

// Ends the invocation with `out`, logs why a 502 is given and END/REPORT, and answers the caller as API
// Gateway does (lock held on entry, released).
bool emulator::impl::answer_api_caller(std::unique_lock<std::mutex>& lk, connection& c, invocation_state& inv,
                                       detail::outcome out, bool started_runtime, bool keep_alive, bool head) {
    detail::api_answer answer;
    if (out.status != 200)
        answer = detail::internal_server_error({});  // the runtime's exit, said in out.log_line
    else if (!out.function_error.empty())
        answer = detail::function_error_answer(out.body);
    else
        answer = detail::proxy_answer(opts.api_gateway, out.body);
    auto log_line = std::move(out.log_line);
    if (!answer.log.empty()) log_line += answer.log + "\n";
    conclude_locked(lk, inv, out.timed_out, log_line, started_runtime);
    return write_api_answer(c.socket, std::move(answer), keep_alive, head) && keep_alive;
}

}  // namespace lambda_py27::testing
