#include "tcp_endpoint.hpp"

#include <boost/asio/connect.hpp>

namespace lambda_py27::detail {

bool split_endpoint(std::string_view endpoint, std::string& host, std::string& port) {
    const auto colon = endpoint.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == endpoint.size()) return false;
    host.assign(endpoint.substr(0, colon));
    port.assign(endpoint.substr(colon + 1));
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    return true;
}

void connect_tcp(boost::asio::ip::tcp::socket& socket, const std::string& host, const std::string& port,
                 boost::system::error_code& ec) {
    boost::asio::ip::tcp::resolver resolver(socket.get_executor());
    const auto results = resolver.resolve(host, port, ec);
    if (ec) return;
    boost::asio::connect(socket, results, ec);
}

}  // namespace lambda_py27::detail
