// The HTTP side of the emulator's two servers: reading requests, writing answers. Internal.
#pragma once

#include "request_parser.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace lambda_py27::testing::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

using string_response = http::response<http::string_body>;

inline std::string_view sv(beast::string_view v) { return {v.data(), v.size()}; }

/// The target without its query.
std::string_view path_of(beast::string_view target);

void set_cloexec(int fd);

/// True when the peer of `fd` has closed its side (or the connection is broken). Only for connections
/// whose peer is waiting for an answer and sends nothing meanwhile.
bool peer_closed(int fd);

/// A new parser in `p` for the next request of a connection, with the emulator's limits.
request_parser& fresh_parser(std::optional<request_parser>& p);

/// Reads the header of the next request (`buffer` must have been made with max_buffered_bytes). A first
/// byte no request can start with (a TLS ClientHello, say) fails at once with bad_method instead of
/// waiting for the end of a header that never comes. False with `p.read_error` set on failure.
bool read_request_header(tcp::socket& socket, beast::flat_buffer& buffer, request_parser& p);

/// Answers a request that could not be read (`p.read_error`), if anyone is there to be answered: 400, 431
/// or 413 (status_for_read_error), with Connection: close. Always false: the connection is done.
bool answer_read_error(tcp::socket& socket, const request_parser& p);

/// Serves the requests of one connection one after another: reads each header and hands the request to
/// `handle(buffer, parser)`, which reads its body and answers it, and returns false when the connection is no
/// longer usable. Ends then, after a request that did not keep the connection alive, or when a header cannot
/// be read (answered by answer_read_error).
template <class Handle>
void serve_requests(tcp::socket& socket, Handle&& handle) {
    beast::flat_buffer buffer{max_buffered_bytes};
    std::optional<request_parser> parser;
    for (;;) {
        auto& p = fresh_parser(parser);
        if (!read_request_header(socket, buffer, p)) {
            answer_read_error(socket, p);
            return;
        }
        const bool keep_alive = p.get().keep_alive();
        if (!handle(buffer, p) || !keep_alive) return;
    }
}

enum class body_read { ok, too_large, failed };

/// Reads the rest of the body of `p` into `out`. Past `limit`, bytes are read and dropped and the
/// result is `too_large`; `failed` means the connection cannot be used any more (`p.read_error` says why;
/// answer_read_error answers it).
body_read read_body(tcp::socket& socket, beast::flat_buffer& buffer, request_parser& p, std::size_t limit,
                    std::string& out);

string_response make_response(unsigned status, std::string body, bool keep_alive,
                              std::string_view content_type = "application/json");

/// False when the connection broke.
bool write_response(tcp::socket& socket, string_response& res);

/// Answers `Expect: 100-continue` (curl sends it for larger bodies and would otherwise wait a second).
bool continue_if_expected(tcp::socket& socket, const request_parser& p);

/// A refusal: its HTTP status and the type and message of its error document.
struct error_answer {
    unsigned status = 0;
    std::string type;
    std::string message;
};

/// Answers with the error document `{"errorType": type, "errorMessage": message}` and `status`, as every
/// refusal of the emulator does. False when the connection broke; `keep_alive` only goes into the answer.
bool reply_error(tcp::socket& socket, unsigned status, std::string_view type, std::string_view message,
                 bool keep_alive);

/// Answers 202 `{"status":"OK"}`, as the Runtime API acknowledges what a runtime posted. False when the
/// connection broke.
bool reply_accepted(tcp::socket& socket, bool keep_alive);

/// Drains the body, then `reply_error`; false if the connection is unusable.
bool refuse(tcp::socket& socket, beast::flat_buffer& buffer, request_parser& p, unsigned status, std::string_view type,
            std::string_view message);

}  // namespace lambda_py27::testing::detail
