// Differential fuzzing of the Runtime API client's fast answer reader (src/runtime/http_answer_reader.hpp)
// against a plain Beast `http::response_parser`: the claim "the fast reader never decides differently
// from Beast" is checked here, on the same bytes, read in the same pieces.
//
// Input: byte 0 picks the call the answer is for (bit 0: `/next`, whose headers go into an invocation, or
// a post, whose headers are ignored) and the body limit (bits 1-3); byte 1 the size of each read (0: as
// much as fits); the rest is what the peer sends before it closes the connection.
//
// Whenever the fast reader decides (it may also hand the answer to Beast, which then decides alone):
//   - it accepts only what Beast accepts, with the same status, keep-alive, body, and (for `/next`) the
//     same value of every header the client uses: the last of each `Lambda-Runtime-*` header of the
//     invocation and of Content-Type;
//   - it fails only where Beast fails, for the same kind of reason: the connection lost (exit status 4)
//     or an answer that cannot be understood (exit status 5), and with the same "nothing received" (the
//     client sends `GET /next` again only then);
//   - when it hands over, what it leaves for Beast is the answer's first bytes, untouched.
#include "answer_parser.hpp"
#include "api_connection.hpp"
#include "http_answer_reader.hpp"
#include "runtime_client_impl.hpp"
#include "runtime_fields.hpp"

#include <lambda_py27/runtime/invocation.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using lambda_py27::invocation;

// The peer's bytes, handed out `chunk` at a time (0: as much as the caller asks for), then end of stream
// for good, as a socket the peer closed.
class memory_stream {
public:
    memory_stream(std::string_view bytes, std::size_t chunk) : bytes_(bytes), chunk_(chunk) {}

    template <class Buffers>
    std::size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
        ec = {};
        if (pos_ == bytes_.size()) {
            ec = net::error::eof;
            return 0;
        }
        std::size_t n = bytes_.size() - pos_;
        if (chunk_ != 0 && n > chunk_) n = chunk_;
        n = net::buffer_copy(buffers, net::buffer(bytes_.data() + pos_, n));
        pos_ += n;
        return n;
    }
    template <class Buffers>
    std::size_t read_some(const Buffers& buffers) {
        boost::system::error_code ec;
        const std::size_t n = read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }

private:
    std::string_view bytes_;
    std::size_t chunk_;
    std::size_t pos_ = 0;
};

enum class verdict { accepted, connection_lost, not_understood };

const char* name_of(verdict v) {
    switch (v) {
        case verdict::accepted: return "accepted";
        case verdict::connection_lost: return "connection lost";
        default: return "not understood";
    }
}

verdict verdict_of(const boost::system::error_code& ec) {
    if (!ec) return verdict::accepted;
    return lambda_py27::detail::is_connection_lost(ec) ? verdict::connection_lost : verdict::not_understood;
}

// What the client would take from Beast's message: the last value of each header it uses.
invocation fields_of(const http::response<http::string_body>& res) {
    static constexpr std::array<std::pair<std::string_view, std::string invocation::*>, 6> strings = {{
        {"Lambda-Runtime-Aws-Request-Id", &invocation::request_id},
        {"Lambda-Runtime-Invoked-Function-Arn", &invocation::function_arn},
        {"Lambda-Runtime-Trace-Id", &invocation::trace_id},
        {"Lambda-Runtime-Client-Context", &invocation::client_context},
        {"Lambda-Runtime-Cognito-Identity", &invocation::cognito_identity},
        {"Lambda-Runtime-Aws-Tenant-Id", &invocation::tenant_id},
    }};
    invocation inv;
    for (const auto& field : res) {
        const beast::string_view name = field.name_string();
        const std::string_view value(field.value().data(), field.value().size());
        if (beast::iequals(name, "Content-Type")) inv.content_type.assign(value);
        if (beast::iequals(name, "Lambda-Runtime-Deadline-Ms"))
            inv.deadline_ms = lambda_py27::detail::parse_deadline(value);
        for (const auto& [expected, member] : strings)
            if (beast::iequals(name, beast::string_view(expected.data(), expected.size()))) (inv.*member).assign(value);
    }
    return inv;
}

[[noreturn]] void diverged(const char* what, std::string_view bytes) {
    std::fprintf(stderr, "fuzz_answer_reader_vs_beast: %s\nanswer (%zu bytes): ", what, bytes.size());
    for (unsigned char c : bytes.substr(0, 2048)) {
        if (c >= 0x20 && c < 0x7f && c != '\\')
            std::fputc(c, stderr);
        else
            std::fprintf(stderr, "\\x%02x", c);
    }
    std::fputc('\n', stderr);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace lambda_py27::detail;
    if (size < 2) return 0;
    // The client's two limits, and small ones so that bodies above the limit are common.
    static constexpr std::array<std::uint64_t, 8> limits = {
        event_body_limit, answer_body_limit, 0, 1, 16, 100, 4096, 65536};
    const bool for_next = (data[0] & 1) == 0;
    const std::uint64_t body_limit = limits[(data[0] >> 1) & 7];
    const std::size_t chunk = data[1];
    const std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);

    // The fast reader, as the client runs it.
    memory_stream fast_stream(bytes, chunk);
    beast::flat_buffer fast_buffer;
    fast_buffer.reserve(16 * 1024);  // as api_connection's
    fast_buffer.max_size(max_buffered_answer_bytes);
    invocation inv;
    std::string body;
    int status = 0;
    bool keep_alive = true, got_some = false;
    boost::system::error_code fast_ec;
    const read_outcome outcome = read_plain_answer(fast_stream, fast_buffer, for_next ? &inv : nullptr, body,
                                                   body_limit, status, keep_alive, got_some, fast_ec);
    if (outcome == read_outcome::not_plain) {
        const auto* left = static_cast<const char*>(fast_buffer.data().data());
        if (bytes.substr(0, fast_buffer.size()) != std::string_view(left, fast_buffer.size()))
            diverged("handed to Beast other bytes than the answer's first ones", bytes);
        return 0;
    }

    // Beast, with the limits the client gives its own parser.
    memory_stream beast_stream(bytes, chunk);
    beast::flat_buffer beast_buffer;
    http::response_parser<http::string_body> parser;
    parser.header_limit(max_header_bytes);
    parser.body_limit(body_limit);
    boost::system::error_code beast_ec;
    http::read(beast_stream, beast_buffer, parser, beast_ec);

    const verdict fast = outcome == read_outcome::done ? verdict::accepted : verdict_of(fast_ec);
    const verdict general = verdict_of(beast_ec);
    if (fast != general) {
        std::fprintf(stderr, "fast reader: %s (%s), Beast: %s (%s)\n", name_of(fast), fast_ec.message().c_str(),
                     name_of(general), beast_ec.message().c_str());
        diverged("the fast reader and Beast decide differently", bytes);
    }
    if (fast != verdict::accepted) {
        const bool fast_nothing = !got_some && fast_buffer.size() == 0;
        const bool beast_nothing = !parser.got_some() && beast_buffer.size() == 0;
        if (fast_nothing != beast_nothing) diverged("they disagree on whether anything was received", bytes);
        return 0;
    }
    const auto& res = parser.get();
    if (static_cast<unsigned>(status) != res.result_int()) diverged("different status", bytes);
    if (keep_alive != parser.keep_alive()) diverged("different keep-alive", bytes);
    if (body != res.body()) diverged("different body", bytes);
    if (for_next) {
        const invocation expected = fields_of(res);
        if (inv.request_id != expected.request_id) diverged("different request id", bytes);
        if (inv.deadline_ms != expected.deadline_ms) diverged("different deadline", bytes);
        if (inv.function_arn != expected.function_arn) diverged("different function ARN", bytes);
        if (inv.trace_id != expected.trace_id) diverged("different trace id", bytes);
        if (inv.client_context != expected.client_context) diverged("different client context", bytes);
        if (inv.cognito_identity != expected.cognito_identity) diverged("different cognito identity", bytes);
        if (inv.tenant_id != expected.tenant_id) diverged("different tenant id", bytes);
        if (inv.content_type != expected.content_type) diverged("different content type", bytes);
    }
    return 0;
}
