// invoke(): one POST to the invoke endpoint over a fresh connection, bounded by one overall timeout.
#include <lambda_py27/testing/emulator.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <optional>
#include <system_error>

namespace lambda_py27::testing {

namespace {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// Streams may be long (Lambda allows 200 MB); the invoke endpoint's buffered answers are 6 MB.
constexpr std::uint64_t body_limit = 256ULL * 1024 * 1024;
}  // namespace

invoke_result invoke(const std::string& host, std::uint16_t port, const std::string& event,
                     const std::map<std::string, std::string>& headers, std::chrono::milliseconds timeout) {
    net::io_context ioc{1};
    tcp::resolver resolver(ioc);
    boost::system::error_code ec;
    const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
    if (ec) throw std::system_error(ec, "invoke: cannot resolve " + host);

    http::request<http::string_body> req{http::verb::post, "/2015-03-31/functions/function/invocations", 11};
    req.set(http::field::host, host + ":" + std::to_string(port));
    req.set(http::field::user_agent, "lambda-py27-invoke");
    req.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = event;
    req.prepare_payload();

    beast::tcp_stream stream(ioc);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(body_limit);
    boost::system::error_code result;

    // The stream's timer covers the connect, the write and the read together.
    stream.expires_after(timeout);
    stream.async_connect(endpoints, [&](const boost::system::error_code& cec, const tcp::endpoint&) {
        if (cec) {
            result = cec;
            return;
        }
        http::async_write(stream, req, [&](const boost::system::error_code& wec, std::size_t) {
            if (wec) {
                result = wec;
                return;
            }
            http::async_read(stream, buffer, parser,
                             [&](const boost::system::error_code& rec, std::size_t) { result = rec; });
        });
    });
    ioc.run();
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    if (result) throw std::system_error(result, "invoke: " + host + ":" + std::to_string(port));

    auto& res = parser.get();
    invoke_result out;
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    for (const auto& field : res) {
        // A repeated field (or a trailer repeating a header) keeps its last value.
        out.headers[std::string(field.name_string())] = std::string(field.value());
    }
    const auto fe = res["X-Amz-Function-Error"];
    out.function_error.assign(fe.data(), fe.size());
    return out;
}

}  // namespace lambda_py27::testing
