#include "api_connection.hpp"

#include "tcp_endpoint.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
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

void api_connection::abandon(std::chrono::milliseconds wait) {
    boost::system::error_code ec;
    if (connected_) socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (connected_ && !ec) {
        const auto deadline = std::chrono::steady_clock::now() + wait;
        const int fd = socket_.native_handle();
        char drop[4096];
        for (;;) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) break;
            pollfd p{fd, POLLIN, 0};
            const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
            if (ready < 0 && errno == EINTR) continue;
            if (ready <= 0) break;
            const ssize_t n = ::recv(fd, drop, sizeof drop, MSG_DONTWAIT);
            if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
            if (n <= 0) break;  // the API closed its side (or the connection failed)
        }
    }
    close();
}

void api_connection::close() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    connected_ = false;
    buffer_.clear();
}

}  // namespace lambda_py27::detail
