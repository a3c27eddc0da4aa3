#include <lambda_py27/runtime/runtime_client.hpp>

#include <lambda_py27/version.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/json/parse.hpp>

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace lambda_py27 {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

// Header lines the API sends are small; a megabyte-long one is a broken or hostile peer.
constexpr std::uint32_t max_header_bytes = 64 * 1024;
// Synchronous events are at most 6 MB; leave room for what a future API may send.
constexpr std::uint64_t event_body_limit = 32 * 1024 * 1024;
// Answers to posts are `{"status":"OK"}` or a short error document.
constexpr std::uint64_t answer_body_limit = 1024 * 1024;

// Post bodies up to this size are copied behind the headers and sent with them in one buffer.
constexpr std::size_t inline_body_bytes = 16 * 1024;

constexpr std::string_view api_prefix = "/2018-06-01/runtime/";

bool is_connection_lost(const boost::system::error_code& ec) {
    return ec == http::error::end_of_stream || ec == http::error::partial_message || ec == net::error::eof ||
           ec == net::error::connection_reset || ec == net::error::broken_pipe ||
           ec == net::error::connection_aborted;
}

// True when `s` has a byte below 0x20 or DEL. Eight bytes at a time (the carry tricks of scan_line below).
bool has_control_chars(std::string_view s) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    const char* p = s.data();
    const char* const end = p + s.size();
    for (; end - p >= 8; p += 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        const std::uint64_t del = w ^ (ones * 0x7f);
        if ((((w - ones * 0x20) & ~w) | ((del - ones) & ~del)) & highs) return true;
    }
    for (; p < end; ++p) {
        const auto c = static_cast<unsigned char>(*p);
        if (c < 0x20 || c == 0x7f) return true;
    }
    return false;
}

// A value that can go into a header line as is: no CR/LF (which would let a caller inject headers or
// end the header early) and no other control character but HTAB.
bool is_header_value(std::string_view s) noexcept {
    for (unsigned char c : s)
        if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
    return true;
}

std::int64_t parse_deadline(std::string_view v) noexcept {
    std::int64_t ms = 0;
    const auto [ptr, err] = std::from_chars(v.data(), v.data() + v.size(), ms);
    return (err == std::errc{} && ptr == v.data() + v.size() && ms > 0) ? ms : 0;
}

void append_decimal(std::string& out, std::size_t n) {
    char digits[24];
    const auto [end, err] = std::to_chars(digits, digits + sizeof digits, n);
    (void)err;  // 24 digits always suffice
    out.append(digits, static_cast<std::size_t>(end - digits));
}

// Compares a header name (HTTP token characters only) with `expected` (letters and '-') ignoring case.
// Folding bit 0x20 is exact here: among token characters only the letters' case differs by it.
bool name_is(std::string_view name, std::string_view expected) noexcept {
    if (name.size() != expected.size()) return false;
    constexpr std::uint64_t fold = 0x2020202020202020;
    std::size_t i = 0;
    for (; i + 8 <= name.size(); i += 8) {  // eight characters at a time
        std::uint64_t a, b;
        std::memcpy(&a, name.data() + i, 8);
        std::memcpy(&b, expected.data() + i, 8);
        if ((a | fold) != (b | fold)) return false;
    }
    if (i < name.size() && name.size() >= 8) {  // the rest: the last eight, overlapping the word before
        std::uint64_t a, b;
        std::memcpy(&a, name.data() + name.size() - 8, 8);
        std::memcpy(&b, expected.data() + name.size() - 8, 8);
        return (a | fold) == (b | fold);
    }
    for (; i < name.size(); ++i)
        if ((static_cast<unsigned char>(name[i]) | 0x20) != (static_cast<unsigned char>(expected[i]) | 0x20))
            return false;
    return true;
}

// Stores a `Lambda-Runtime-*` header of `/next` into `inv` (when not null). True when `name` is one of
// those (then it is made of token characters: see name_is); other names are ignored.
bool store_runtime_field(invocation* inv, std::string_view name, std::string_view v) {
    // The headers of interest all start with "Lambda-Runtime-" and differ in length but for two:
    // the length picks the candidate, one comparison confirms it.
    std::string invocation::*target = nullptr;
    std::string_view expected;
    switch (name.size()) {
        case 29:
            if ((name[15] | 0x20) == 'a') {
                target = &invocation::request_id;
                expected = "Lambda-Runtime-Aws-Request-Id";
            } else {
                target = &invocation::client_context;
                expected = "Lambda-Runtime-Client-Context";
            }
            break;
        case 26:
            if (!name_is(name, "Lambda-Runtime-Deadline-Ms")) return false;
            if (inv != nullptr) inv->deadline_ms = parse_deadline(v);
            return true;
        case 35: target = &invocation::function_arn; expected = "Lambda-Runtime-Invoked-Function-Arn"; break;
        case 23: target = &invocation::trace_id; expected = "Lambda-Runtime-Trace-Id"; break;
        case 31: target = &invocation::cognito_identity; expected = "Lambda-Runtime-Cognito-Identity"; break;
        case 28: target = &invocation::tenant_id; expected = "Lambda-Runtime-Aws-Tenant-Id"; break;
        default: return false;
    }
    if (!name_is(name, expected)) return false;
    if (inv != nullptr) (inv->*target).assign(v);
    return true;
}

// ---- the plain answer, read without the general parser ----------------------------------------
//
// The Runtime API answers in one shape: "HTTP/1.1 <status> <reason>", a few header lines, a
// Content-Length body. Such an answer is read here in a few hundred instructions (Beast's parser spends
// about 800 per header line: half of a no-op invocation's user time). Anything else (HTTP/1.0, chunked,
// no Content-Length, obs-fold, a byte outside printable ASCII in the head, a repeated Content-Length or
// Connection, 1xx/204/304, an over-long head or body) goes to Beast's parser, from the first byte, so
// the fast path never decides what the general one would decide differently.

constexpr std::array<bool, 256> token_chars = [] {
    std::array<bool, 256> t{};
    for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (unsigned char c : {'!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~'}) t[c] = true;
    return t;
}();

// What a plain head says.
struct plain_head {
    int status = 0;
    std::uint64_t content_length = 0;
    bool keep_alive = true;
};

inline bool is_value_char(unsigned char c) noexcept { return (c >= 0x20 && c < 0x7f) || c == '\t'; }

// One line of a head, read once: `stop` is its first byte that is not a header value character
// (printable ASCII, space, tab): for a clean line, the CR that ends it; `colon` its first ':' before that
// (nullptr: none). Eight bytes at a time: in each word the first byte below 0x20 or above 0x7e and the
// first ':' are found with the carry tricks below, whose lowest flagged byte is always a real match
// (a borrow or carry only runs towards higher bytes, which are later ones: the platforms built for
// are little-endian). A tab, the one value character below 0x20, is stepped over.
struct line_scan {
    const char* stop;
    const char* colon;
};

line_scan scan_line(const char* p, const char* end) noexcept {
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "scan_line reads words as little-endian");
    constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    const char* colon = nullptr;
    const auto special_of = [&](std::uint64_t w) {
        return (((w - ones * 0x20) & ~w) | (w + ones * (127 - 0x7e)) | w) & highs;
    };
    while (end - p >= 8) {  // up to the colon
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        const std::uint64_t special = special_of(w);
        const std::uint64_t x = w ^ (ones * ':');
        const std::uint64_t colons = (x - ones) & ~x & highs;
        if ((special | colons) == 0) {
            p += 8;
            continue;
        }
        // The lowest flagged byte of either kind: a colon (to phase two) or a special byte.
        const int first = __builtin_ctzll(special | colons) / 8;
        if (colons != 0 && __builtin_ctzll(colons) / 8 == first) {
            colon = p + first;
            p = colon + 1;
            break;
        }
        if (p[first] != '\t') return {p + first, colon};
        p += first + 1;
    }
    while (colon != nullptr && end - p >= 8) {  // after it
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        const std::uint64_t special = special_of(w);
        if (special == 0) {
            p += 8;
            continue;
        }
        const int at = __builtin_ctzll(special) / 8;
        if (p[at] != '\t') return {p + at, colon};
        p += at + 1;
    }
    for (; p < end; ++p) {
        const auto c = static_cast<unsigned char>(*p);
        if (!is_value_char(c)) break;
        if (c == ':' && colon == nullptr) colon = p;
    }
    return {p, colon};
}

// True when the line scanned up to `stop` ends there with CRLF.
inline bool ends_with_crlf(const char* stop, const char* end) noexcept {
    return end - stop >= 2 && stop[0] == '\r' && stop[1] == '\n';
}

bool all_token_chars(std::string_view s) noexcept {
    for (unsigned char c : s)
        if (!token_chars[c]) return false;
    return !s.empty();
}

// Parses `head` (the bytes up to and including the blank line; every LF in it is preceded by CR) when it
// is plain; stores the fields of `/next` into `inv` (when not null). False: not plain (nothing is decided;
// `inv` may hold some fields).
bool parse_plain_head(std::string_view head, invocation* inv, plain_head& out) {
    const char* p = head.data();
    const char* const end = p + head.size();
    // "HTTP/1.1 ddd reason\r\n"
    if (head.size() < 14 || std::memcmp(p, "HTTP/1.1 ", 9) != 0) return false;
    p += 9;
    if (p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9' || p[3] != ' ') return false;
    out.status = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    if (out.status == 204) return false;
    const char* cr = scan_line(p + 4, end).stop;
    if (!ends_with_crlf(cr, end)) return false;
    p = cr + 2;
    bool have_length = false, have_connection = false;
    for (;;) {
        // A line: name ':' OWS value OWS. Only printable ASCII, space and tab anywhere in it.
        const line_scan line = scan_line(p, end);
        cr = line.stop;
        if (!ends_with_crlf(cr, end)) return false;
        if (cr == p) {  // the blank line
            if (cr + 2 != end) return false;
            break;
        }
        const char* colon = line.colon;
        if (colon == nullptr) return false;
        const std::string_view name(p, static_cast<std::size_t>(colon - p));
        const char* v = colon + 1;
        while (v < cr && (*v == ' ' || *v == '\t')) ++v;
        const char* value_end = cr;
        while (value_end > v && (value_end[-1] == ' ' || value_end[-1] == '\t')) --value_end;
        const std::string_view value(v, static_cast<std::size_t>(value_end - v));
        p = cr + 2;
        // A name equal (ignoring case) to one below is made of token characters; any other is checked.
        if (name.size() > 14 && (name[0] | 0x20) == 'l' && name[6] == '-') {  // Lambda-Runtime-*
            if (!store_runtime_field(inv, name, value) && !all_token_chars(name)) return false;
        } else if (name_is(name, "Content-Length")) {
            if (have_length || value.empty() || value.size() > 15) return false;
            std::uint64_t n = 0;
            for (char c : value) {
                if (c < '0' || c > '9') return false;
                n = n * 10 + static_cast<std::uint64_t>(c - '0');
            }
            out.content_length = n;
            have_length = true;
        } else if (name_is(name, "Content-Type")) {
            if (inv != nullptr) inv->content_type.assign(value);
        } else if (name_is(name, "Connection")) {
            if (have_connection) return false;
            have_connection = true;
            if (name_is(value, "close")) out.keep_alive = false;
            else if (!name_is(value, "keep-alive")) return false;
        } else if (!all_token_chars(name) || name_is(name, "Transfer-Encoding") || name_is(name, "Content-Encoding") ||
                   name_is(name, "Upgrade")) {
            return false;
        }
    }
    return have_length;
}

// Reads one answer of the Runtime API without building a generic message: the headers the runtime
// needs go straight into their destination strings, whose capacity survives from call to call, so a
// steady-state `next()` allocates nothing.
class answer_parser final : public http::basic_parser<false> {
public:
    // `inv`: where the headers of `/next` go (nullptr for the answer to a post). `body`: the body.
    answer_parser(invocation* inv, std::string& body, std::uint64_t body_limit_bytes) : inv_(inv), body_(body) {
        header_limit(max_header_bytes);
        body_limit(body_limit_bytes);
    }

    int status() const noexcept { return status_; }

private:
    void on_request_impl(http::verb, boost::beast::string_view, boost::beast::string_view, int,
                         boost::system::error_code& ec) override {
        ec = http::error::bad_method;  // unreachable for a response parser
    }

    void on_response_impl(int code, boost::beast::string_view, int, boost::system::error_code&) override {
        status_ = code;
    }

    void on_field_impl(http::field name, boost::beast::string_view name_string, boost::beast::string_view value,
                       boost::system::error_code&) override {
        if (inv_ == nullptr) return;
        if (name == http::field::content_type) {
            inv_->content_type.assign(value.data(), value.size());
            return;
        }
        // The Runtime API's own headers are all unknown to Beast.
        if (name == http::field::unknown)
            store_runtime_field(inv_, {name_string.data(), name_string.size()}, {value.data(), value.size()});
    }

    void on_header_impl(boost::system::error_code&) override {}

    void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                           boost::system::error_code&) override {
        // The parser already refused a length above the body limit.
        if (content_length) body_.reserve(static_cast<std::size_t>(*content_length));
    }

    std::size_t on_body_impl(boost::beast::string_view s, boost::system::error_code&) override {
        body_.append(s.data(), s.size());
        return s.size();
    }

    void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, boost::system::error_code&) override {}

    std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view s,
                                   boost::system::error_code&) override {
        body_.append(s.data(), s.size());
        return s.size();
    }

    void on_finish_impl(boost::system::error_code&) override {}

    invocation* inv_;
    std::string& body_;
    int status_ = 0;
};

void throw_if(const std::error_code& ec, const char* what) {
    if (ec) throw std::system_error(ec, what);
}

}  // namespace

namespace {
// The characters of the platform's request ids: letters, digits, '-', '_', '.' and ':'.
constexpr std::array<bool, 256> request_id_chars = [] {
    std::array<bool, 256> t{};
    for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (unsigned char c : {'-', '_', '.', ':'}) t[c] = true;
    return t;
}();
}  // namespace

bool is_valid_request_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > 256) return false;
    for (unsigned char c : id)
        if (!request_id_chars[c]) return false;
    // "." and ".." would make a path segment that proxies normalise away.
    return id != "." && id != "..";
}

// ---- api_client: the throwing overloads ------------------------------------------------------

invocation api_client::next() {
    invocation inv;
    std::error_code ec;
    next(inv, ec);
    throw_if(ec, "runtime/invocation/next");
    return inv;
}

void api_client::post_response(std::string_view request_id, std::string_view body, std::string_view content_type) {
    std::error_code ec;
    post_response(request_id, body, content_type, ec);
    throw_if(ec, "runtime/invocation/response");
}

void api_client::post_error(std::string_view request_id, std::string_view error_body, std::string_view error_type,
                            std::string_view xray_cause) {
    std::error_code ec;
    post_error(request_id, error_body, error_type, xray_cause, ec);
    throw_if(ec, "runtime/invocation/error");
}

void api_client::post_init_error(std::string_view error_body, std::string_view error_type) {
    std::error_code ec;
    post_init_error(error_body, error_type, ec);
    throw_if(ec, "runtime/init/error");
}

// ---- runtime_client ----------------------------------------------------------------------------

// The socket as Beast and Asio's free functions see it, with one difference: a call a signal interrupted
// (EINTR; e.g. a handler's Python signal handler, installed without SA_RESTART, while we wait on /next)
// is made again instead of failing the exchange.
struct signal_safe_stream {
    tcp::socket& socket;

    using executor_type = tcp::socket::executor_type;
    executor_type get_executor() { return socket.get_executor(); }

    template <class Buffers>
    std::size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
        for (;;) {
            const std::size_t n = socket.read_some(buffers, ec);
            if (ec != net::error::interrupted) return n;
        }
    }
    template <class Buffers>
    std::size_t read_some(const Buffers& buffers) {
        boost::system::error_code ec;
        const std::size_t n = read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }
    template <class Buffers>
    std::size_t write_some(const Buffers& buffers, boost::system::error_code& ec) {
        for (;;) {
            const std::size_t n = socket.write_some(buffers, ec);
            if (ec != net::error::interrupted) return n;
        }
    }
    template <class Buffers>
    std::size_t write_some(const Buffers& buffers) {
        boost::system::error_code ec;
        const std::size_t n = write_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }
};

struct runtime_client::impl {
    std::string endpoint;
    std::string host;
    std::string port;
    std::string user_agent;
    net::io_context ioc{1};
    tcp::socket socket{ioc};
    bool connected = false;
    boost::beast::flat_buffer buffer;
    std::string get_head;     // the whole GET /next request, built once
    std::string common_head;  // "Host: ...\r\nUser-Agent: ...\r\n", shared by every post
    std::string post_head;    // request line and headers of the current post, reused
    std::string answer_body;  // body of the answer to a post, reused
    std::string last_error_type;

    impl(std::string ep, std::string ua) : endpoint(std::move(ep)), user_agent(std::move(ua)) {
        const auto colon = endpoint.rfind(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == endpoint.size())
            throw std::invalid_argument("Runtime API endpoint must be host:port, got '" + endpoint + "'");
        if (has_control_chars(endpoint) || endpoint.find(' ') != std::string::npos)
            throw std::invalid_argument("Runtime API endpoint has invalid characters");
        if (!is_header_value(user_agent)) throw std::invalid_argument("User-Agent has control characters");
        host = endpoint.substr(0, colon);
        port = endpoint.substr(colon + 1);
        if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);

        common_head.append("Host: ").append(endpoint).append("\r\nUser-Agent: ").append(user_agent).append("\r\n");
        get_head.append("GET ").append(api_prefix).append("invocation/next HTTP/1.1\r\n");
        get_head.append(common_head).append("\r\n");
        post_head.reserve(1024 + inline_body_bytes);
        buffer.reserve(16 * 1024);
    }

    void connect(boost::system::error_code& ec) {
        tcp::resolver resolver(ioc);
        auto results = resolver.resolve(host, port, ec);
        if (ec) return;
        net::connect(socket, results, ec);
        if (ec) return;
        // Each request is written whole and answered before the next is sent: Nagle's algorithm would
        // only add a delayed-ACK round trip.
        socket.set_option(tcp::no_delay(true), ec);
        connected = !ec;
    }

    void close() {
        boost::system::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
        connected = false;
        buffer.clear();
    }

    // True when an idle keep-alive connection can no longer carry a request: the peer closed or reset
    // it, or sent something unasked. One non-blocking peek; the connection is left as it was.
    bool idle_connection_unusable() {
        if (buffer.size() != 0) return true;
        char c;
        const auto n = ::recv(socket.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n >= 0) return true;  // 0: orderly close; > 0: bytes nobody asked for
        return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    }

    // Sends `request` and reads the answer: headers of `/next` into `inv` (when not null), the body into
    // `body`. Returns the answer's status in `status`.
    //
    // Why and when a request is sent twice: a keep-alive connection the peer closed while idle is only
    // noticed when used. A request goes out once more, on a new connection, only where that cannot do
    // harm: `GET /next` when nothing at all came back (asking again changes nothing on the API's side),
    // a post only when not a byte of it could be written. Before a post the idle connection is checked
    // (one non-blocking peek) and replaced if the peer closed it, so a post that may have reached the
    // API is never repeated.
    std::error_code exchange(std::string_view head, std::string_view request_body, bool idempotent, invocation* inv,
                             std::string& body, std::uint64_t body_limit_bytes, int& status) {
        boost::system::error_code ec;
        signal_safe_stream stream{socket};
        for (int attempt = 0; attempt < 2; ++attempt) {
            if (connected && !idempotent && idle_connection_unusable()) close();
            const bool reused = connected;
            if (!connected) {
                connect(ec);
                if (ec) {
                    close();
                    return errc::api_unavailable;
                }
            }
            // One buffer goes out with send(); two need sendmsg(), which costs the kernel more.
            const std::size_t written =
                request_body.empty()
                    ? net::write(stream, net::buffer(head.data(), head.size()), ec)
                    : net::write(stream,
                                 std::array<net::const_buffer, 2>{net::buffer(head.data(), head.size()),
                                                                  net::buffer(request_body.data(), request_body.size())},
                                 ec);
            if (ec) {
                close();
                if (reused && is_connection_lost(ec) && (idempotent || written == 0)) continue;
                return errc::api_unavailable;
            }
            if (inv != nullptr) inv->clear();
            body.clear();
            bool got_some = false;
            bool keep_alive = true;
            const read_outcome outcome = read_plain_answer(stream, inv, body, body_limit_bytes, status, keep_alive,
                                                           got_some, ec);
            if (outcome == read_outcome::not_plain) {
                if (inv != nullptr) inv->clear();
                body.clear();
                answer_parser parser(inv, body, body_limit_bytes);
                http::read(stream, buffer, parser, ec);
                got_some = parser.got_some();
                if (!ec) {
                    keep_alive = parser.keep_alive();
                    status = parser.status();
                }
            }
            if (ec) {
                const bool nothing_received = !got_some && buffer.size() == 0;
                close();
                if (reused && idempotent && nothing_received && is_connection_lost(ec)) continue;
                return is_connection_lost(ec) ? errc::api_unavailable : errc::protocol_error;
            }
            // The API never sends an answer unasked: bytes after this one mean the peer is confused.
            if (!keep_alive || buffer.size() != 0) close();
            return {};
        }
        return errc::api_unavailable;
    }

    enum class read_outcome { done, not_plain, failed };

    // Reads an answer the way the Runtime API sends it (see parse_plain_head): the head into `buffer`,
    // then the body straight into `body`. `not_plain`: the bytes read so far are left in `buffer` for
    // Beast's parser. `failed`: `ec` is set, `got_some` tells whether any byte of the answer came.
    read_outcome read_plain_answer(signal_safe_stream& stream, invocation* inv, std::string& body,
                                   std::uint64_t body_limit_bytes, int& status, bool& keep_alive, bool& got_some,
                                   boost::system::error_code& ec) {
        constexpr std::size_t plain_head_limit = 16 * 1024;
        std::size_t searched = 0;
        std::size_t head_size = 0;
        for (;;) {
            const auto* data = static_cast<const char*>(buffer.data().data());
            const std::size_t size = buffer.size();
            // Each line feed must follow a carriage return (else Beast's parser refuses it, as soon as it sees
            // it: it gets the bytes now rather than this loop waiting for a blank line that may never come);
            // the first one that ends an empty line ends the head.
            const char* lf = data + searched;
            while ((lf = static_cast<const char*>(std::memchr(lf, '\n', size - static_cast<std::size_t>(lf - data))))) {
                if (lf == data || lf[-1] != '\r') return read_outcome::not_plain;
                if (lf - data >= 3 && lf[-2] == '\n') {
                    head_size = static_cast<std::size_t>(lf - data) + 1;
                    break;
                }
                ++lf;
            }
            if (head_size != 0) break;
            searched = size;
            if (size >= plain_head_limit) return read_outcome::not_plain;
            const std::size_t n = stream.read_some(buffer.prepare(4096), ec);
            if (ec) {
                got_some = buffer.size() != 0;
                return read_outcome::failed;
            }
            buffer.commit(n);
            got_some = true;
        }
        plain_head head;
        const auto* data = static_cast<const char*>(buffer.data().data());
        if (!parse_plain_head(std::string_view(data, head_size), inv, head) || head.content_length > body_limit_bytes)
            return read_outcome::not_plain;
        status = head.status;
        keep_alive = head.keep_alive;
        buffer.consume(head_size);
        const auto length = static_cast<std::size_t>(head.content_length);
        body.resize(length);
        const std::size_t have = buffer.size() < length ? buffer.size() : length;
        std::memcpy(body.data(), buffer.data().data(), have);
        buffer.consume(have);
        if (have < length) {
            net::read(stream, net::buffer(body.data() + have, length - have), ec);
            if (ec) {
                if (ec == net::error::eof) ec = http::error::partial_message;
                return read_outcome::failed;
            }
        }
        return read_outcome::done;
    }

    // Maps a non-2xx answer to an error and remembers the API's errorType.
    std::error_code status_error(int status, std::string_view body) {
        boost::system::error_code jec;
        const auto doc = boost::json::parse(boost::json::string_view(body.data(), body.size()), jec);
        if (!jec && doc.is_object()) {
            if (const auto* t = doc.as_object().if_contains("errorType"); t && t->is_string())
                last_error_type.assign(t->as_string().data(), t->as_string().size());
        }
        switch (status) {
            case 400: return errc::invalid_request_id;
            case 403: return errc::invalid_state_transition;
            case 413: return errc::payload_too_large;
            default: return status >= 500 ? errc::container_error : errc::protocol_error;
        }
    }

    void post(std::string_view path, std::string_view request_id, std::string_view path_suffix,
              std::string_view body, std::string_view content_type, std::string_view error_type,
              std::string_view xray_cause, std::error_code& ec) {
        last_error_type.clear();
        post_head.clear();
        post_head.append("POST ").append(api_prefix).append(path).append(request_id).append(path_suffix);
        post_head.append(" HTTP/1.1\r\n").append(common_head);
        if (!content_type.empty() && is_header_value(content_type))
            post_head.append("Content-Type: ").append(content_type).append("\r\n");
        post_head.append("Content-Length: ");
        append_decimal(post_head, body.size());
        post_head.append("\r\n");
        if (!error_type.empty() && is_header_value(error_type))
            post_head.append("Lambda-Runtime-Function-Error-Type: ").append(error_type).append("\r\n");
        if (!xray_cause.empty() && xray_cause.size() <= max_xray_cause_bytes && is_header_value(xray_cause))
            post_head.append("Lambda-Runtime-Function-XRay-Error-Cause: ").append(xray_cause).append("\r\n");
        post_head.append("\r\n");
        // A small body is copied behind the headers so the request leaves in one send().
        if (body.size() <= inline_body_bytes) {
            post_head.append(body);
            body = {};
        }

        int status = 0;
        ec = exchange(post_head, body, false, nullptr, answer_body, answer_body_limit, status);
        if (!ec && status / 100 != 2) ec = status_error(status, answer_body);
    }
};

// A chunked POST /response in streaming mode, written straight to the client's connection.
class runtime_client::stream final : public response_stream {
public:
    explicit stream(impl& d) : d_(d) {}
    ~stream() override {
        if (!ended_) d_.close();  // half a request on the wire: the connection cannot carry another
    }
    stream(const stream&) = delete;
    stream& operator=(const stream&) = delete;

    // Connects (or checks the idle connection) and sends the request head. A head that could not be
    // written at all on a reused connection is sent once more on a new one, as a post would be.
    std::error_code open(std::string_view head) {
        boost::system::error_code ec;
        signal_safe_stream s{d_.socket};
        for (int attempt = 0; attempt < 2; ++attempt) {
            if (d_.connected && d_.idle_connection_unusable()) d_.close();
            const bool reused = d_.connected;
            if (!d_.connected) {
                d_.connect(ec);
                if (ec) {
                    d_.close();
                    return errc::api_unavailable;
                }
            }
            const std::size_t written = net::write(s, net::buffer(head.data(), head.size()), ec);
            if (!ec) return {};
            d_.close();
            if (!(reused && is_connection_lost(ec) && written == 0)) return errc::api_unavailable;
        }
        return errc::api_unavailable;
    }

    void write(std::string_view data, std::error_code& ec) override {
        ec.clear();
        if (ended_) {
            ec = errc::invalid_state_transition;
            return;
        }
        if (data.empty()) return;
        char size[24];
        const auto [end, err] = std::to_chars(size, size + sizeof size - 2, data.size(), 16);
        (void)err;
        char* p = end;
        *p++ = '\r';
        *p++ = '\n';
        send({net::buffer(size, static_cast<std::size_t>(p - size)), net::buffer(data.data(), data.size()),
              net::buffer("\r\n", 2)},
             ec);
    }

    void finish(std::error_code& ec) override { end("0\r\n\r\n", ec); }

    void fail(std::string_view error_type, std::string_view error_body, std::error_code& ec) override {
        std::string last = "0\r\n";
        if (!error_type.empty() && is_header_value(error_type))
            last.append("Lambda-Runtime-Function-Error-Type: ").append(error_type).append("\r\n");
        last.append("Lambda-Runtime-Function-Error-Body: ").append(detail::base64(error_body)).append("\r\n\r\n");
        end(last, ec);
    }

private:
    void send(const std::array<net::const_buffer, 3>& buffers, std::error_code& ec) {
        boost::system::error_code bec;
        signal_safe_stream s{d_.socket};
        net::write(s, buffers, bec);
        if (bec) {
            ended_ = true;
            d_.close();
            ec = errc::api_unavailable;
        }
    }

    // Sends the last chunk (and trailers), then reads the API's answer.
    void end(std::string_view last, std::error_code& ec) {
        ec.clear();
        if (ended_) {
            ec = errc::invalid_state_transition;
            return;
        }
        send({net::buffer(last.data(), last.size()), net::const_buffer(), net::const_buffer()}, ec);
        if (ec) return;
        ended_ = true;
        boost::system::error_code bec;
        signal_safe_stream s{d_.socket};
        d_.answer_body.clear();
        answer_parser parser(nullptr, d_.answer_body, answer_body_limit);
        http::read(s, d_.buffer, parser, bec);
        if (bec) {
            d_.close();
            ec = is_connection_lost(bec) ? errc::api_unavailable : errc::protocol_error;
            return;
        }
        if (!parser.keep_alive() || d_.buffer.size() != 0) d_.close();
        if (parser.status() / 100 != 2) ec = d_.status_error(parser.status(), d_.answer_body);
    }

    impl& d_;
    bool ended_ = false;
};

std::unique_ptr<response_stream> runtime_client::begin_stream(std::string_view request_id,
                                                              std::string_view content_type, std::error_code& ec) {
    auto& d = *impl_;
    d.last_error_type.clear();
    ec.clear();
    if (!is_valid_request_id(request_id)) {
        ec = errc::bad_request_id;
        return nullptr;
    }
    d.post_head.clear();
    d.post_head.append("POST ").append(api_prefix).append("invocation/").append(request_id).append("/response");
    d.post_head.append(" HTTP/1.1\r\n").append(d.common_head);
    if (!content_type.empty() && is_header_value(content_type))
        d.post_head.append("Content-Type: ").append(content_type).append("\r\n");
    d.post_head.append(
        "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
        "Transfer-Encoding: chunked\r\n"
        "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n");
    auto s = std::make_unique<stream>(d);
    ec = s->open(d.post_head);
    if (ec) return nullptr;
    return s;
}

runtime_client::runtime_client(std::string endpoint, std::string user_agent)
    : impl_(std::make_unique<impl>(std::move(endpoint), std::move(user_agent))) {}
runtime_client::~runtime_client() = default;
runtime_client::runtime_client(runtime_client&&) noexcept = default;
runtime_client& runtime_client::operator=(runtime_client&&) noexcept = default;

runtime_client runtime_client::from_environment() {
    const char* ep = std::getenv("AWS_LAMBDA_RUNTIME_API");
    if (ep == nullptr || *ep == '\0') throw std::runtime_error("AWS_LAMBDA_RUNTIME_API is not set");
    return runtime_client(ep);
}

std::string runtime_client::default_user_agent() { return std::string("lambda-py27/") + version_string; }

const std::string& runtime_client::endpoint() const noexcept { return impl_->endpoint; }

std::string runtime_client::last_api_error_type() const { return impl_->last_error_type; }

void runtime_client::next(invocation& out, std::error_code& ec) {
    auto& d = *impl_;
    d.last_error_type.clear();
    int status = 0;
    ec = d.exchange(d.get_head, {}, true, &out, out.body, event_body_limit, status);
    if (ec) {
        out.clear();
        return;
    }
    if (status != 200) {
        ec = d.status_error(status, out.body);
        out.clear();
        // Only a 5xx means "exit"; any other status on /next is an API we do not understand.
        if (ec != errc::container_error) ec = errc::protocol_error;
        return;
    }
    if (out.content_type.empty()) out.content_type.assign("application/json");
    // These reach the process environment; a value with control characters is dropped, not copied.
    if (has_control_chars(out.trace_id)) out.trace_id.clear();
    if (has_control_chars(out.tenant_id)) out.tenant_id.clear();

    if (out.request_id.empty())
        ec = errc::protocol_error;
    else if (!is_valid_request_id(out.request_id))
        ec = errc::bad_request_id;
}

void runtime_client::post_response(std::string_view request_id, std::string_view body,
                                   std::string_view content_type, std::error_code& ec) {
    impl_->last_error_type.clear();
    if (!is_valid_request_id(request_id)) {
        ec = errc::bad_request_id;
        return;
    }
    if (body.size() > max_response_bytes) {
        ec = errc::payload_too_large;
        return;
    }
    impl_->post("invocation/", request_id, "/response", body, content_type, {}, {}, ec);
}

void runtime_client::post_error(std::string_view request_id, std::string_view error_body,
                                std::string_view error_type, std::string_view xray_cause, std::error_code& ec) {
    impl_->last_error_type.clear();
    if (!is_valid_request_id(request_id)) {
        ec = errc::bad_request_id;
        return;
    }
    impl_->post("invocation/", request_id, "/error", error_body, "application/json", error_type, xray_cause, ec);
}

void runtime_client::post_init_error(std::string_view error_body, std::string_view error_type,
                                     std::error_code& ec) {
    impl_->post("init/error", {}, {}, error_body, "application/json", error_type, {}, ec);
}

}  // namespace lambda_py27
