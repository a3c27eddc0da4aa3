#include "api_connection.hpp"

#include "tcp_endpoint.hpp"

#include <utility>

namespace lambda_py27::detail {

namespace net = boost::asio;
using tcp = net::ip::tcp;

api_connection::api_connection(std::string host, std::string port) : host_(std::move(host)), port_(std::move(port)) {
    buffer_.reserve(16 * 1024);
    buffer_.max_size(max_buffered_answer_bytes);
}

void api_connection::connect(boost::system::error_code& ec) {
    connect_tcp(socket_, host_, port_, ec);
    if (ec) return;
    // Each request is written whole and answered before the next is sent: Nagle's algorithm would
    // only add a delayed-ACK round trip.
    socket_.set_option(tcp::no_delay(true), ec);
    connected_ = !ec;
}

void api_connection::close() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    connected_ = false;
    buffer_.clear();
}

}  // namespace lambda_py27::detail
