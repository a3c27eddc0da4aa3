// The socket as Beast and Asio's free functions see it, with one difference: a call a signal interrupted
// (EINTR; e.g. a handler's Python signal handler, installed without SA_RESTART, while we wait on /next)
// is made again instead of failing the exchange.
#pragma once

#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/system_error.hpp>

#include <cstddef>

namespace lambda_py27::detail {

struct signal_safe_stream {
    boost::asio::ip::tcp::socket& socket;

    using executor_type = boost::asio::ip::tcp::socket::executor_type;
    executor_type get_executor() { return socket.get_executor(); }

    template <class Buffers>
    std::size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
        for (;;) {
            const std::size_t n = socket.read_some(buffers, ec);
            if (ec != boost::asio::error::interrupted) return n;
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
            if (ec != boost::asio::error::interrupted) return n;
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

}  // namespace lambda_py27::detail
