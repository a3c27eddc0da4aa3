// A Function URL in RESPONSE_STREAM invoke mode: a streamed response relayed by the --api-gateway 2.0 front
// end to its HTTP client as a chunked answer while the runtime uploads it (stream_relay.cpp reads the upload),
// its head taken from the stream's http-integration-response prelude when it has one.
#include "emulator_impl.hpp"

#include "api_gateway.hpp"
#include "testing/text.hpp"

#include <boost/asio/write.hpp>

namespace lambda_py27::testing {

namespace {

namespace net = detail::net;
namespace beast = detail::beast;
namespace http = detail::http;

constexpr std::string_view prelude_type = "application/vnd.awslambda.http-integration-response";
constexpr std::string_view prelude_end{"\0\0\0\0\0\0\0\0", 8};
// A prelude is a few headers and cookies; a stream of that type without its 8 NULs this far in has none.
constexpr std::size_t max_prelude_bytes = 1024 * 1024;

// The client's side of one streamed answer: the head written before the first body bytes (from the prelude, or
// 200 of the stream's content type), each later piece as a chunk. Used from the connection's thread only.
class api_stream {
public:
    api_stream(detail::tcp::socket& socket, std::string_view content_type, bool keep_alive, bool head)
        : socket_(socket),
          content_type_(content_type),
          has_prelude_(detail::iequals(content_type, prelude_type)),
          keep_alive_(keep_alive),
          head_only_(head) {}

    // The next bytes of the stream; false when no more are wanted (the client is gone, or the prelude is bad).
    bool take(std::string_view data) {
        if (began_) return write_chunk(data);
        if (!has_prelude_) {
            answer_.headers.emplace_back("Content-Type", content_type_);
            return begin() && write_chunk(data);
        }
        held_.append(data.data(), data.size());
        const auto end = held_.find(prelude_end);
        if (end == std::string::npos) {
            if (held_.size() <= max_prelude_bytes) return true;
            refusal_ = detail::internal_server_error(
                "Execution failed due to configuration error: the streamed response's prelude has no end (8 NUL "
                "bytes) in its first " +
                std::to_string(max_prelude_bytes) + " bytes");
            return false;
        }
        answer_ = detail::stream_prelude_answer(std::string_view(held_).substr(0, end));
        if (!answer_.log.empty()) {
            refusal_ = std::move(answer_);
            return false;
        }
        const std::string rest = held_.substr(end + prelude_end.size());
        held_.clear();
        return begin() && write_chunk(rest);
    }

    // The stream ended without an error: a stream that never began is an answer now (an empty body; a prelude
    // cut short is a 502).
    void finish_ok() {
        if (began_ || refusal_) return;
        if (has_prelude_) {
            refusal_ = detail::internal_server_error(
                "Execution failed due to configuration error: the streamed response ended inside its prelude");
            return;
        }
        answer_.headers.emplace_back("Content-Type", content_type_);
        begin();
    }

    bool began() const { return began_; }
    bool failed() const { return failed_; }
    std::optional<detail::api_answer>& refusal() { return refusal_; }

    // Ends a begun answer with its last chunk; whether the connection may serve another request.
    bool end() {
        if (failed_) return false;
        if (head_only_) return keep_alive_;
        beast::error_code ec;
        net::write(socket_, http::make_chunk_last(), ec);
        return !ec && keep_alive_;
    }

private:
    bool begin() {
        began_ = true;
        http::response<http::empty_body> res{static_cast<http::status>(answer_.status), 11};
        res.set(http::field::server, "lambda-py27-emulator");
        for (auto& [name, value] : answer_.headers) res.insert(name, value);
        res.keep_alive(keep_alive_);
        res.chunked(true);
        beast::error_code ec;
        http::response_serializer<http::empty_body> serializer{res};
        http::write_header(socket_, serializer, ec);
        failed_ = static_cast<bool>(ec);
        return !failed_;
    }

    bool write_chunk(std::string_view data) {
        if (failed_) return false;
        if (head_only_ || data.empty()) return true;  // an empty chunk would end the answer
        beast::error_code ec;
        net::write(socket_, http::make_chunk(net::buffer(data.data(), data.size())), ec);
        failed_ = static_cast<bool>(ec);
        return !failed_;
    }

    detail::tcp::socket& socket_;
    std::string content_type_;
    bool has_prelude_;
    bool keep_alive_;
    bool head_only_;
    bool began_ = false;
    bool failed_ = false;
    std::string held_;  // the prelude so far
    detail::api_answer answer_;
    std::optional<detail::api_answer> refusal_;
};

// Why a stream ended in an error, as the 502 path logs a function error: the error trailer's body is base64 of
// the error JSON.
std::string stream_error_log(const detail::stream_trailers& t) {
    std::string error;
    if (!detail::base64_decode(t.body, error)) error = t.body;
    return detail::function_error_answer(error).log;
}

}  // namespace

// The client of the front end gets the streamed response as it arrives (lock held on entry, released);
// whether the connection may serve another request.
bool emulator::impl::stream_to_api_caller(std::unique_lock<std::mutex>& lk, connection& c, invocation_state& inv,
                                          bool started_runtime, bool keep_alive, bool head) {
    api_stream client(c.socket, inv.content_type, keep_alive, head);
    bool caller_ok = true;
    detail::stream_end end;
    const stream_sink sink = [&](std::string_view data) { return client.take(data); };
    if (!relay_stream_locked(lk, sink, inv, caller_ok, end)) return false;
    const bool error = !end.trailers.type.empty() || !end.trailers.body.empty();
    std::string log_line = end.log_line;  // a timeout or the runtime's exit
    if (error && log_line.empty()) log_line = stream_error_log(end.trailers) + "\n";
    if (!error) client.finish_ok();
    auto& refusal = client.refusal();
    if (refusal && !error) log_line += refusal->log + "\n";
    conclude_locked(lk, inv, end.timed_out, log_line, started_runtime);
    if (client.failed()) return false;
    if (!client.began()) {  // nothing of the answer was sent: a 502 as a buffered answer's
        auto answer = refusal ? std::move(*refusal) : detail::internal_server_error({});
        return write_api_answer(c.socket, std::move(answer), keep_alive, head) && keep_alive;
    }
    // An error after the answer began: cut short, without its last chunk, so the client sees it incomplete.
    if (error) return false;
    return client.end();
}

}  // namespace lambda_py27::testing
