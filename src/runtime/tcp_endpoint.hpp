// `host:port` as AWS_LAMBDA_RUNTIME_API gives it, and the connection to it: one reading for the Runtime
// API client and the Extensions API client.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <string>
#include <string_view>

namespace lambda_py27::detail {

/// Splits `host:port` (host possibly a bracketed IPv6 address, given back without its brackets). False
/// when there is no colon, or nothing before or after it.
bool split_endpoint(std::string_view endpoint, std::string& host, std::string& port);

/// Resolves `host` and `port` and connects `socket` to the first address that answers.
void connect_tcp(boost::asio::ip::tcp::socket& socket, const std::string& host, const std::string& port,
                 boost::system::error_code& ec);

}  // namespace lambda_py27::detail
