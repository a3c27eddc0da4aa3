// Raw HTTP/1.1 with Beast, for what runtime_client deliberately cannot send (unknown paths, wrong methods,
// hand-made streams) and for the APIs it does not speak (the Extensions API).
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <map>
#include <string>

namespace lambda_py27::test_support {

/// An answer as read off the wire.
struct raw_answer {
    unsigned status = 0;
    std::string body;
    boost::beast::http::fields headers;
};

/// Connects `socket` to `endpoint` ("host:port", as AWS_LAMBDA_RUNTIME_API); throws on failure.
inline void connect_to(boost::asio::ip::tcp::socket& socket, boost::asio::io_context& ioc,
                       const std::string& endpoint) {
    const auto colon = endpoint.rfind(':');
    boost::asio::ip::tcp::resolver resolver(ioc);
    boost::asio::connect(socket, resolver.resolve(endpoint.substr(0, colon), endpoint.substr(colon + 1)));
}

/// Reads one whole answer from `socket`; throws on failure.
inline raw_answer read_raw_answer(boost::asio::ip::tcp::socket& socket, boost::beast::flat_buffer& buffer) {
    boost::beast::http::response<boost::beast::http::string_body> res;
    boost::beast::http::read(socket, buffer, res);
    raw_answer out;
    out.status = res.result_int();
    out.body = res.body();
    out.headers = res.base();
    return out;
}

/// One request over a connection of its own (Host: `endpoint`, Content-Length set), and its answer;
/// throws on failure.
inline raw_answer raw_request(const std::string& endpoint, boost::beast::http::verb verb, const std::string& target,
                              const std::string& body, const std::map<std::string, std::string>& headers = {}) {
    namespace http = boost::beast::http;
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket socket(ioc);
    connect_to(socket, ioc, endpoint);
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, endpoint);
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(socket, req);
    boost::beast::flat_buffer buffer;
    return read_raw_answer(socket, buffer);
}

}  // namespace lambda_py27::test_support
