#include <lambda_py27/runtime/extension_client.hpp>

#include <lambda_py27/runtime/error.hpp>

#include "tcp_endpoint.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <thread>

namespace lambda_py27 {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

constexpr std::string_view extension_prefix = "/2020-01-01/extension/";

bool connect(tcp::socket& socket, std::string_view endpoint, std::string& what) {
    std::string host, port;
    if (!detail::split_endpoint(endpoint, host, port)) {
        what = "the API endpoint must be host:port, got '" + std::string(endpoint) + "'";
        return false;
    }
    boost::system::error_code ec;
    detail::connect_tcp(socket, host, port, ec);
    if (ec) what = "cannot reach the Extensions API at " + std::string(endpoint) + ": " + ec.message();
    return !ec;
}

}  // namespace

extension_registration register_extension(std::string_view endpoint, std::string_view name, std::error_code& ec,
                                          std::string& what) {
    ec.clear();
    extension_registration out;
    net::io_context ioc{1};
    tcp::socket socket{ioc};
    if (!connect(socket, endpoint, what)) {
        ec = errc::api_unavailable;
        return out;
    }
    http::request<http::string_body> req{http::verb::post, std::string(extension_prefix) + "register", 11};
    req.set(http::field::host, endpoint);
    req.set("Lambda-Extension-Name", name);
    req.set(http::field::content_type, "application/json");
    req.body() = R"({"events": []})";
    req.prepare_payload();
    req.keep_alive(false);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024);
    boost::system::error_code bec;
    http::write(socket, req, bec);
    if (!bec) http::read(socket, buffer, parser, bec);
    if (bec) {
        what = "registering the extension failed: " + bec.message();
        ec = errc::api_unavailable;
        return out;
    }
    const auto& res = parser.get();
    const auto id = res["Lambda-Extension-Identifier"];
    if (res.result_int() != 200 || id.empty()) {
        what = "the Extensions API refused the registration (" + std::to_string(res.result_int()) + "): " + res.body();
        ec = errc::protocol_error;
        return out;
    }
    out.id.assign(id.data(), id.size());
    out.body = res.body();
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    return out;
}

void wait_for_extension_events(std::string endpoint, std::string id) {
    std::thread([endpoint = std::move(endpoint), id = std::move(id)] {
        try {
            net::io_context ioc{1};
            tcp::socket socket{ioc};
            std::string what;
            if (!connect(socket, endpoint, what)) return;
            http::request<http::empty_body> req{http::verb::get, std::string(extension_prefix) + "event/next", 11};
            req.set(http::field::host, endpoint);
            req.set("Lambda-Extension-Identifier", id);
            boost::system::error_code ec;
            http::write(socket, req, ec);
            if (ec) return;
            // No event was subscribed: an answer (or a closed connection) only comes as the environment ends.
            beast::flat_buffer buffer;
            http::response<http::string_body> res;
            http::read(socket, buffer, res, ec);
        } catch (...) {
            // a thread of its own: nothing to report to, and nothing depends on it
        }
    }).detach();
}

}  // namespace lambda_py27
