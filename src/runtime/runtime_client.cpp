#include <lambda_py27/runtime/runtime_client.hpp>

#include <lambda_py27/version.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>

#include <charconv>
#include <optional>
#include <cstdlib>
#include <stdexcept>

namespace lambda_py27 {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

// Header lines the API may send are small; a megabyte-long one is a broken or hostile peer.
constexpr std::uint32_t header_limit = 64 * 1024;
// Synchronous events are at most 6 MB; leave room for what a future API may send.
constexpr std::uint64_t body_limit = 32 * 1024 * 1024;

bool is_connection_lost(const boost::system::error_code& ec) {
    return ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
           ec == net::error::broken_pipe || ec == net::error::connection_aborted;
}

bool has_control_chars(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

void assign(std::string& out, boost::beast::string_view v) { out.assign(v.data(), v.size()); }

}  // namespace

bool is_valid_request_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > 256) return false;
    for (char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '_' || c == '.' || c == ':';
        if (!ok) return false;
    }
    // "." and ".." would make a path segment that proxies normalise away.
    return id != "." && id != "..";
}

// ---- api_client: the throwing overloads ------------------------------------------------------

namespace {
void throw_if(const std::error_code& ec, const char* what) {
    if (ec) throw std::system_error(ec, what);
}
}  // namespace

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

struct runtime_client::impl {
    std::string endpoint;
    std::string host;
    std::string port;
    std::string user_agent;
    net::io_context ioc{1};
    tcp::socket socket{ioc};
    bool connected = false;
    boost::beast::flat_buffer buffer;
    http::request<http::empty_body> get_request;
    http::request<http::span_body<const char>> post_request;
    std::string target;  // reused for POST paths
    std::string last_error_type;

    impl(std::string ep, std::string ua) : endpoint(std::move(ep)), user_agent(std::move(ua)) {
        const auto colon = endpoint.rfind(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == endpoint.size())
            throw std::invalid_argument("Runtime API endpoint must be host:port, got '" + endpoint + "'");
        host = endpoint.substr(0, colon);
        port = endpoint.substr(colon + 1);
        if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);

        get_request.version(11);
        get_request.method(http::verb::get);
        get_request.target("/2018-06-01/runtime/invocation/next");
        get_request.set(http::field::host, endpoint);
        get_request.set(http::field::user_agent, user_agent);
        post_request.version(11);
        post_request.method(http::verb::post);
        post_request.set(http::field::host, endpoint);
        post_request.set(http::field::user_agent, user_agent);
        buffer.reserve(16 * 1024);
    }

    void connect(boost::system::error_code& ec) {
        tcp::resolver resolver(ioc);
        auto results = resolver.resolve(host, port, ec);
        if (ec) return;
        net::connect(socket, results, ec);
        if (ec) return;
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

    // Sends `req` and reads the answer into `parser`. A reused connection that the peer closed before
    // answering anything is reopened and the request sent once more: the peer cannot have acted on a
    // request it closed the connection without answering... unless it read it first. A peer that
    // read a post and then dropped the connection without a byte of answer would see the retry as a
    // second answer and reject it with 403, which is reported, never hidden.
    using parser_type = http::response_parser<http::string_body>;

    template <class Request>
    std::error_code exchange(Request& req, std::optional<parser_type>& parser) {
        boost::system::error_code ec;
        for (int attempt = 0; attempt < 2; ++attempt) {
            parser.emplace();
            parser->header_limit(header_limit);
            parser->body_limit(body_limit);
            const bool reused = connected;
            if (!connected) {
                connect(ec);
                if (ec) {
                    close();
                    return errc::api_unavailable;
                }
            }
            http::write(socket, req, ec);
            if (ec) {
                close();
                if (reused && is_connection_lost(ec)) continue;
                return errc::api_unavailable;
            }
            http::read(socket, buffer, *parser, ec);
            if (ec) {
                const bool nothing_received = !parser->got_some();
                close();
                if (reused && nothing_received && is_connection_lost(ec)) continue;
                if (is_connection_lost(ec)) return errc::api_unavailable;
                return errc::protocol_error;
            }
            if (!parser->keep_alive()) close();
            return {};
        }
        return errc::api_unavailable;
    }

    // Maps a non-2xx answer to an error and remembers the API's errorType.
    std::error_code status_error(const http::response<http::string_body>& res) {
        last_error_type.clear();
        boost::system::error_code jec;
        const auto doc = boost::json::parse(res.body(), jec);
        if (!jec && doc.is_object()) {
            if (const auto* t = doc.as_object().if_contains("errorType"); t && t->is_string())
                last_error_type.assign(t->as_string().data(), t->as_string().size());
        }
        switch (res.result_int()) {
            case 400: return errc::invalid_request_id;
            case 403: return errc::invalid_state_transition;
            case 413: return errc::payload_too_large;
            default:
                if (res.result_int() >= 500) return errc::container_error;
                return errc::protocol_error;
        }
    }

    void post(std::string_view path_prefix, std::string_view request_id, std::string_view path_suffix,
              std::string_view body, std::string_view content_type, std::string_view error_type,
              std::string_view xray_cause, std::error_code& ec) {
        target.assign("/2018-06-01/runtime/");
        target.append(path_prefix);
        target.append(request_id);
        target.append(path_suffix);
        post_request.target(target);
        post_request.set(http::field::content_type, content_type);
        if (error_type.empty())
            post_request.erase("Lambda-Runtime-Function-Error-Type");
        else
            post_request.set("Lambda-Runtime-Function-Error-Type", error_type);
        if (xray_cause.empty() || xray_cause.size() > max_xray_cause_bytes)
            post_request.erase("Lambda-Runtime-Function-XRay-Error-Cause");
        else
            post_request.set("Lambda-Runtime-Function-XRay-Error-Cause", xray_cause);
        post_request.body() = http::span_body<const char>::value_type(body.data(), body.size());
        post_request.prepare_payload();

        std::optional<parser_type> parser;
        ec = exchange(post_request, parser);
        if (ec) return;
        const auto& res = parser->get();
        if (res.result_int() / 100 != 2) ec = status_error(res);
    }
};

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
    out.clear();
    std::optional<impl::parser_type> parser;
    ec = d.exchange(d.get_request, parser);
    if (ec) return;
    auto& res = parser->get();
    if (res.result() != http::status::ok) {
        ec = d.status_error(res);
        // Only a 500 means "exit"; any other status on /next is an API we do not understand.
        if (ec != errc::container_error) ec = errc::protocol_error;
        return;
    }
    assign(out.request_id, res["Lambda-Runtime-Aws-Request-Id"]);
    assign(out.function_arn, res["Lambda-Runtime-Invoked-Function-Arn"]);
    assign(out.trace_id, res["Lambda-Runtime-Trace-Id"]);
    assign(out.client_context, res["Lambda-Runtime-Client-Context"]);
    assign(out.cognito_identity, res["Lambda-Runtime-Cognito-Identity"]);
    assign(out.tenant_id, res["Lambda-Runtime-Aws-Tenant-Id"]);
    const auto ct = res[http::field::content_type];
    if (ct.empty())
        out.content_type.assign("application/json");
    else
        assign(out.content_type, ct);
    const auto deadline = res["Lambda-Runtime-Deadline-Ms"];
    std::int64_t ms = 0;
    const auto [ptr, perr] = std::from_chars(deadline.data(), deadline.data() + deadline.size(), ms);
    out.deadline_ms = (perr == std::errc{} && ptr == deadline.data() + deadline.size() && ms > 0) ? ms : 0;
    out.body = std::move(res.body());

    if (out.request_id.empty()) {
        ec = errc::protocol_error;
    } else if (!is_valid_request_id(out.request_id)) {
        ec = errc::bad_request_id;
    }
    // These reach the process environment; a value with control characters is dropped, not copied.
    if (has_control_chars(out.trace_id)) out.trace_id.clear();
    if (has_control_chars(out.tenant_id)) out.tenant_id.clear();
}

void runtime_client::post_response(std::string_view request_id, std::string_view body,
                                   std::string_view content_type, std::error_code& ec) {
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
