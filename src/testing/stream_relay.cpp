// A streamed response, relayed: the runtime uploads a chunked body (Runtime API side), the caller of the
// invoke gets it as a chunked answer (invoke side), with the error trailers at its end.
#include "emulator_impl.hpp"

#include "testing/text.hpp"

#include <boost/asio/write.hpp>

namespace lambda_py27::testing {

namespace {

namespace net = detail::net;
namespace beast = detail::beast;
namespace http = detail::http;
using namespace std::chrono_literals;

// A streamed response may be this long in all (Lambda: 200 MB).
constexpr std::uint64_t max_streamed_bytes = 200ULL * 1024 * 1024;
// Streamed bytes waiting for a slow caller; the runtime's upload is paused above this.
constexpr std::size_t stream_backlog_limit = 1024 * 1024;

constexpr std::string_view error_body_trailer = "Lambda-Runtime-Function-Error-Body";
constexpr std::string_view data_trailer_prefix = "Lambda-Runtime-Function-Error-";

// Trailers sent as the last data chunk of a stream ("Name: value" lines) instead of real trailers.
bool parse_data_trailers(std::string_view text, std::string& error_type, std::string& error_body) {
    std::string type;
    std::string body;
    bool any = false;
    while (!text.empty()) {
        auto eol = text.find('\n');
        auto line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
        while (!line.empty() && (line.front() == '\r' || line.front() == ' ')) line.remove_prefix(1);
        if (line.empty()) continue;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) return false;
        const auto name = line.substr(0, colon);
        auto value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        if (detail::iequals(name, detail::error_type_trailer))
            type.assign(value);
        else if (detail::iequals(name, error_body_trailer))
            body.assign(value);
        else
            return false;
        any = true;
    }
    if (!any) return false;
    error_type = std::move(type);
    error_body = std::move(body);
    return true;
}

std::size_t leading_blanks(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size() && (s[i] == '\r' || s[i] == '\n' || s[i] == ' ')) ++i;
    return i;
}

// The chunks of a runtime's upload are forwarded as they arrive, except a chunk that starts like trailer
// text: it is held to its end and, if it is trailer text, taken as the trailers.
class upload_chunks {
public:
    // `piece`: the next bytes of the current chunk; `chunk_ends`: they are its last.
    template <class Forward>
    void on_piece(std::string_view piece, bool chunk_ends, Forward&& forward) {
        if (mode_ == mode::forward) {
            forward(piece);
        } else {
            held_.append(piece.data(), piece.size());
            if (mode_ == mode::undecided) {
                const auto lead = leading_blanks(held_);
                if (held_.size() - lead >= data_trailer_prefix.size() || chunk_ends) {
                    if (detail::istarts_with(std::string_view(held_).substr(lead), data_trailer_prefix)) {
                        mode_ = mode::hold;
                    } else {
                        mode_ = mode::forward;
                        forward(held_);
                        held_.clear();
                    }
                }
            }
            if (mode_ == mode::hold && held_.size() > 64 * 1024) {  // no trailer text is that long
                mode_ = mode::forward;
                forward(held_);
                held_.clear();
            }
        }
        if (chunk_ends) {
            detail::stream_trailers t;
            if (mode_ == mode::hold && parse_data_trailers(held_, t.type, t.body))
                data_trailers_ = std::move(t);
            else
                forward(held_);
            held_.clear();
            mode_ = mode::undecided;
        }
    }

    // The trailers sent as data, if the stream had any.
    const std::optional<detail::stream_trailers>& data_trailers() const { return data_trailers_; }

private:
    enum class mode { undecided, forward, hold };
    mode mode_ = mode::undecided;
    std::string held_;
    std::optional<detail::stream_trailers> data_trailers_;
};

}  // namespace

// ---- the runtime's upload -------------------------------------------------------------------------

// Hands streamed bytes to the caller's thread; pauses while the caller is behind.
void emulator::impl::push_stream_data(invocation_state& inv, std::string_view data, bool& too_large) {
    if (data.empty()) return;
    std::unique_lock lk(m);
    cv.wait(lk,
            [&] { return stopping || inv.finalized || inv.caller_gone || inv.pending.size() < stream_backlog_limit; });
    if (stopping || inv.finalized || inv.caller_gone || too_large) return;
    inv.streamed += data.size();
    if (inv.streamed > max_streamed_bytes) {
        too_large = true;
        return;
    }
    inv.pending.append(data.data(), data.size());
    cv.notify_all();
}

bool emulator::impl::handle_stream(connection& c, flat_buffer& buffer, request_parser& p, const std::string& id) {
    std::shared_ptr<invocation_state> inv;
    {
        std::unique_lock lk(m);
        detail::error_answer refusal;
        inv = invocations.answerable(id, refusal);
        if (!inv) {
            lk.unlock();
            return detail::refuse(c.socket, buffer, p, refusal.status, refusal.type, refusal.message);
        }
        inv->answered = true;
        inv->streaming = true;
        const auto ct = detail::sv(p.get()[http::field::content_type]);
        inv->content_type = ct.empty() ? "application/octet-stream" : std::string(ct);
        invocations.mark_answered(id);
        cv.notify_all();
    }

    upload_chunks chunks;
    bool too_large = false;
    const auto forward = [&](std::string_view data) { push_stream_data(*inv, data, too_large); };
    auto on_chunk = [&](std::uint64_t remain, beast::string_view piece, beast::error_code& ec) -> std::size_t {
        chunks.on_piece(detail::sv(piece), piece.size() == remain, forward);
        {
            std::lock_guard lk(m);
            if (stopping) ec = net::error::operation_aborted;
        }
        return piece.size();
    };
    p.on_chunk_body(on_chunk);  // kept by reference: it lives until the read below is done
    beast::error_code ec;
    http::read(c.socket, buffer, p, ec);
    const bool keep_alive = !ec && p.get().keep_alive();
    {
        std::unique_lock lk(m);
        end_upload_locked(lk, *inv, p, ec, too_large, chunks.data_trailers());
    }
    if (ec) {
        p.read_error = ec;
        return detail::answer_read_error(c.socket, p);
    }
    const bool written =
        too_large ? detail::reply_error(c.socket, 413, "RequestEntityTooLarge",
                                        "Streamed response exceeded " + std::to_string(max_streamed_bytes) + " bytes",
                                        keep_alive)
                  : detail::reply_accepted(c.socket, keep_alive);
    return written && keep_alive;
}

// The upload ended (`ec`: cut short): decides the trailers the caller gets, unless its answer is decided.
void emulator::impl::end_upload_locked(std::unique_lock<std::mutex>& lk, invocation_state& inv, const request_parser& p,
                                       const beast::error_code& ec, bool too_large,
                                       const std::optional<detail::stream_trailers>& data_trailers) {
    // A stream cut short because the runtime died (sys.exit, a crash) is reported as that exit:
    // the connection's end and the reaper's news arrive in either order, and a process may take a
    // while from closing its sockets to its end (exit handlers, a sanitizer's leak check).
    const auto runtime_gone = [&] { return !child.alive || child.generation != inv.generation; };
    if (ec && !external && !too_large) cv.wait_for(lk, 3s, [&] { return stopping || inv.finalized || runtime_gone(); });
    const bool died = ec && !external && !too_large && runtime_gone();
    if (inv.finalized) return;
    const auto& fields = p.get();
    std::string type(detail::sv(fields[detail::error_type_trailer]));
    std::string body(detail::sv(fields[error_body_trailer]));
    if (type.empty() && body.empty() && data_trailers) {
        type = data_trailers->type;
        body = data_trailers->body;
    }
    if (too_large) {
        type = "Function.ResponseSizeTooLarge";
        body = detail::base64_encode(detail::error_json(
            "Function.ResponseSizeTooLarge", "Response payload size exceeded maximum allowed payload size (" +
                                                 std::to_string(max_streamed_bytes) + " bytes)."));
    } else if (died) {
        type = "Unhandled";
        body = detail::base64_encode(exit_outcome_locked(inv).body);
    } else if (ec) {
        type = "Runtime.TruncatedResponse";
        body = detail::base64_encode(detail::error_json("Runtime.TruncatedResponse",
                                                        "The runtime's response stream ended before it was complete"));
    }
    // As for a buffered answer, the caller's trailer says `Unhandled` and the type is in the body; a runtime
    // that sent only a type gets a body made of it.
    if (!type.empty() && body.empty()) body = detail::base64_encode(detail::error_json(type, ""));
    if (!body.empty()) type = "Unhandled";
    inv.stream_error_type = std::move(type);
    inv.stream_error_body = std::move(body);
    inv.stream_done = true;
    cv.notify_all();
}

// ---- the caller's side ----------------------------------------------------------------------------

// The caller's side of a streamed response: a chunked answer fed from what the runtime uploads.
bool emulator::impl::stream_to_caller(std::unique_lock<std::mutex>& lk, connection& c,
                                      const std::shared_ptr<invocation_state>& inv, bool started_runtime,
                                      bool keep_alive) {
    bool caller_ok = write_stream_head_locked(lk, c, *inv, keep_alive);
    detail::stream_end end;
    const stream_sink chunks = [&](std::string_view data) {
        beast::error_code ec;
        net::write(c.socket, http::make_chunk(net::buffer(data.data(), data.size())), ec);
        return !ec;
    };
    if (!relay_stream_locked(lk, chunks, *inv, caller_ok, end)) return false;
    conclude_locked(lk, *inv, end.timed_out, end.log_line, started_runtime);
    if (!caller_ok) return false;
    http::fields trailers;
    if (!end.trailers.type.empty()) trailers.set("X-Amz-Function-Error", end.trailers.type);
    if (!end.trailers.body.empty()) trailers.set("X-Amz-Function-Error-Body", end.trailers.body);
    beast::error_code ec;
    net::write(c.socket, http::make_chunk_last(trailers), ec);
    return !ec && keep_alive;
}

// A stream nobody waits for (an Event invoke): read to its end and dropped. False when the emulator stops.
bool emulator::impl::discard_stream_locked(std::unique_lock<std::mutex>& lk, invocation_state& inv,
                                           bool started_runtime) {
    inv.caller_gone = true;  // the upload's bytes are dropped as they come
    cv.notify_all();
    bool caller_ok = false;
    detail::stream_end end;
    if (!relay_stream_locked(lk, {}, inv, caller_ok, end)) return false;
    conclude_locked(lk, inv, end.timed_out, end.log_line, started_runtime);
    return true;
}

// Writes the head of the chunked answer (the lock is released meanwhile); false when the caller is gone.
bool emulator::impl::write_stream_head_locked(std::unique_lock<std::mutex>& lk, connection& c, invocation_state& inv,
                                              bool keep_alive) {
    http::response<http::empty_body> head{http::status::ok, 11};
    head.set(http::field::server, "lambda-py27-emulator");
    head.set(http::field::content_type, inv.content_type);
    head.set(http::field::trailer, "X-Amz-Function-Error, X-Amz-Function-Error-Body");
    add_invoke_headers(head.base(), inv);
    head.keep_alive(keep_alive);
    head.chunked(true);
    lk.unlock();
    beast::error_code ec;
    http::response_serializer<http::empty_body> serializer{head};
    http::write_header(c.socket, serializer, ec);
    const bool caller_ok = !ec;
    lk.lock();
    if (!caller_ok) {
        inv.caller_gone = true;
        cv.notify_all();
    }
    return caller_ok;
}

// Hands what the runtime uploads to `sink` (while `caller_ok`; none: dropped) until the stream ends, the runtime
// is gone or the deadline passes; `end` says how it ended. False when the emulator stops.
bool emulator::impl::relay_stream_locked(std::unique_lock<std::mutex>& lk, const stream_sink& sink,
                                         invocation_state& inv, bool& caller_ok, detail::stream_end& end) {
    std::optional<steady::time_point> runtime_gone_at;
    for (;;) {
        if (stopping) return false;
        if (!inv.pending.empty()) {
            std::string data = std::move(inv.pending);
            inv.pending.clear();
            cv.notify_all();  // the runtime's upload may go on
            if (caller_ok && sink) {
                lk.unlock();
                const bool taken = sink(data);
                lk.lock();
                if (!taken) {
                    caller_ok = false;
                    inv.caller_gone = true;
                    cv.notify_all();
                }
            }
            continue;
        }
        if (inv.stream_done) {
            end.trailers = {inv.stream_error_type, inv.stream_error_body};
            return true;
        }
        if (!external && (!child.alive || child.generation != inv.generation)) {
            // The runtime is gone, but what it wrote before it went may still be on its way through
            // the upload's connection: the upload's reader reports the end (with the exit) once it read
            // it all. Only a reader that never comes back is not waited for.
            if (!runtime_gone_at) runtime_gone_at = steady::now();
            if (steady::now() - *runtime_gone_at < 3s) {
                cv.wait_for(lk, 50ms);
                continue;
            }
            auto out = exit_outcome_locked(inv);
            end.trailers = {"Unhandled", detail::base64_encode(out.body)};
            end.log_line = out.log_line;
            return true;
        }
        if (steady::now() >= inv.deadline) {
            auto out = timeout_outcome(inv);
            end.trailers = {"Unhandled", detail::base64_encode(out.body)};
            end.log_line = out.log_line;
            end.timed_out = true;
            return true;
        }
        cv.wait_until(lk, inv.deadline);
    }
}

}  // namespace lambda_py27::testing
