#include "emulator_http.hpp"

#include "testing/text.hpp"

#include <array>
#include <cerrno>
#include <cstdint>
#include <utility>

#include <fcntl.h>
#include <sys/socket.h>

namespace lambda_py27::testing::detail {

namespace {

// Bodies above the limits are still read (and dropped) so the peer sees the 413 instead of a reset;
// beyond this, the connection is simply closed.
constexpr std::uint64_t drain_limit = 256ULL * 1024 * 1024;

}  // namespace

std::string_view path_of(beast::string_view target) {
    auto p = sv(target);
    if (const auto q = p.find('?'); q != std::string_view::npos) p = p.substr(0, q);
    return p;
}

void set_cloexec(int fd) {
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

bool peer_closed(int fd) {
    char c = 0;
    const auto n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return false;
    if (n == 0) return true;
    return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

request_parser& fresh_parser(std::optional<request_parser>& p) {
    p.emplace();
    return *p;
}

namespace {

// A token character (RFC 9110), as a request's method begins with.
bool is_tchar(unsigned char c) {
    if (c >= '0' && c <= '9') return true;
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
    return c != 0 && std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

}  // namespace

bool read_request_header(tcp::socket& socket, beast::flat_buffer& buffer, request_parser& p) {
    beast::error_code ec;
    if (buffer.size() == 0) {
        const auto n = socket.read_some(buffer.prepare(4096), ec);
        if (ec == net::error::eof) ec = http::error::end_of_stream;
        if (ec) {
            p.read_error = ec;
            return false;
        }
        buffer.commit(n);
    }
    if (!is_tchar(*static_cast<const unsigned char*>(buffer.data().data()))) {
        p.read_error = http::error::bad_method;
        return false;
    }
    http::read_header(socket, buffer, p, ec);
    p.read_error = ec;
    return !ec;
}

bool answer_read_error(tcp::socket& socket, const request_parser& p) {
    const auto status = status_for_read_error(p, p.read_error);
    if (status == 0) return false;
    std::string type = "BadRequest";
    std::string message = "Malformed HTTP request: " + p.read_error.message();
    if (status == 431) {
        type = "RequestHeaderFieldsTooLarge";
        message = "Request header fields too large: a field may hold " + std::to_string(max_field_bytes) +
                  " bytes, the header section " + std::to_string(max_header_bytes);
    } else if (status == 413) {
        type = "RequestEntityTooLarge";
        message = "Request body too large";
    } else if (p.is_header_done() && p.read_error == http::error::header_limit) {
        message = "Malformed HTTP request: trailer fields over " + std::to_string(max_trailer_bytes) + " bytes";
    } else if (p.read_error == http::error::bad_chunk_extension || p.read_error == http::error::buffer_overflow) {
        message = "Malformed HTTP request: a chunk line may hold " + std::to_string(max_chunk_extension_bytes) +
                  " bytes of extensions (" + p.read_error.message() + ")";
    }
    reply_error(socket, status, type, message, false);
    return false;
}

body_read read_body(tcp::socket& socket, beast::flat_buffer& buffer, request_parser& p, std::size_t limit,
                    std::string& out) {
    out.clear();
    if (const auto len = p.content_length(); len && *len > drain_limit) {
        p.read_error = http::error::body_limit;  // answered 413 without reading it
        return body_read::failed;
    }
    bool too_large = false;
    std::uint64_t total = 0;
    std::array<char, 16 * 1024> chunk;
    while (!p.is_done()) {
        p.body_buffer(chunk.data(), chunk.size());
        beast::error_code ec;
        http::read_some(socket, buffer, p, ec);
        if (ec == http::error::need_buffer) ec = {};
        p.read_error = ec;
        if (ec) return body_read::failed;
        const auto n = chunk.size() - p.body_left();
        total += n;
        if (total > drain_limit) {
            p.read_error = http::error::body_limit;
            return body_read::failed;
        }
        if (too_large) continue;
        if (out.size() + n > limit) {
            too_large = true;
            std::string().swap(out);
        } else {
            out.append(chunk.data(), n);
        }
    }
    return too_large ? body_read::too_large : body_read::ok;
}

string_response make_response(unsigned status, std::string body, bool keep_alive, std::string_view content_type) {
    string_response res{static_cast<http::status>(status), 11};
    res.set(http::field::server, "lambda-py27-emulator");
    res.set(http::field::content_type, content_type);
    res.keep_alive(keep_alive);
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

bool write_response(tcp::socket& socket, string_response& res) {
    beast::error_code ec;
    http::write(socket, res, ec);
    return !ec;
}

bool continue_if_expected(tcp::socket& socket, const request_parser& p) {
    if (!iequals(sv(p.get()[http::field::expect]), "100-continue")) return true;
    http::response<http::empty_body> res{http::status::continue_, 11};
    beast::error_code ec;
    http::write(socket, res, ec);
    return !ec;
}

bool reply_error(tcp::socket& socket, unsigned status, std::string_view type, std::string_view message,
                 bool keep_alive) {
    auto res = make_response(status, error_json(type, message), keep_alive);
    return write_response(socket, res);
}

bool reply_accepted(tcp::socket& socket, bool keep_alive) {
    auto res = make_response(202, R"({"status":"OK"})", keep_alive);
    return write_response(socket, res);
}

bool refuse(tcp::socket& socket, beast::flat_buffer& buffer, request_parser& p, unsigned status, std::string_view type,
            std::string_view message) {
    std::string ignored;
    if (read_body(socket, buffer, p, 0, ignored) == body_read::failed) return answer_read_error(socket, p);
    return reply_error(socket, status, type, message, p.get().keep_alive()) && p.get().keep_alive();
}

}  // namespace lambda_py27::testing::detail
