// The Runtime API client's one keep-alive connection, and the one place that decides when a request goes
// out a second time.
#pragma once

#include "signal_safe_stream.hpp"

#include <lambda_py27/runtime/error.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

namespace lambda_py27::detail {

/// Most bytes of an answer held at once. Beast's parser applies its header limit to the head only and
/// its body limit to body bytes only: a chunk-size line (with its extensions) and the trailer section are
/// kept whole until they end, however long. Bounding the buffer they are read into bounds them (a longer
/// one is `http::error::buffer_overflow`, a protocol error): each may be 64 KiB, as the head may
/// (answer_parser.hpp). Body bytes are handed on as they come, so no body needs more.
inline constexpr std::size_t max_buffered_answer_bytes = 64 * 1024;

/// True for the errors that mean the peer went away (as opposed to an answer that cannot be understood).
inline bool is_connection_lost(const boost::system::error_code& ec) {
    namespace net = boost::asio;
    namespace http = boost::beast::http;
    return ec == http::error::end_of_stream || ec == http::error::partial_message || ec == net::error::eof ||
           ec == net::error::connection_reset || ec == net::error::broken_pipe || ec == net::error::connection_aborted;
}

/// How an answer was read, for the retry decision.
struct answer_read {
    bool got_some = false;   ///< a byte of the answer came (then the request is never sent again)
    bool keep_alive = true;  ///< the connection may carry another request
};

/// One TCP connection to the API, made when first needed and again after it was lost.
class api_connection {
public:
    /// `host` and `port` as split_endpoint gives them.
    api_connection(std::string host, std::string port);

    boost::asio::ip::tcp::socket& socket() noexcept { return socket_; }
    /// Bytes read and not yet parsed.
    boost::beast::flat_buffer& buffer() noexcept { return buffer_; }

    /// Shuts the connection down (if any) and forgets what was read; the next request connects anew.
    void close();

    /// Ends a request cut short (a stream the process leaves mid-way): what was sent reaches the API before
    /// the connection's end does. Half-closes, then reads and drops what the API sends until it closes (at
    /// most `wait`), then closes: closing with bytes unread would reset the connection, and a reset makes
    /// the peer's kernel drop what it received and had not yet read (the stream's last chunks).
    void abandon(std::chrono::milliseconds wait);

    /// Sends `head` and `body` (one request), then lets `read_answer(stream, buffer, ec)` read the answer,
    /// which returns an `answer_read` and sets `ec` when it failed.
    ///
    /// Why and when a request is sent twice: a keep-alive connection the peer closed while idle is only
    /// noticed when used. A request goes out once more, on a new connection, only where that cannot do
    /// harm: an `idempotent` one (`GET /next`: asking again changes nothing on the API's side) when nothing
    /// at all came back, any other only when not a byte of it could be written. Before a request that is
    /// not idempotent the idle connection is checked (one non-blocking peek) and replaced if the peer
    /// closed it, so a post that may have reached the API is never repeated.
    ///
    /// Errors: `errc::api_unavailable` (no connection, or it was lost), `errc::protocol_error` (the answer
    /// could not be read for another reason).
    template <class ReadAnswer>
    std::error_code round_trip(std::string_view head, std::string_view body, bool idempotent,
                               ReadAnswer&& read_answer) {
        boost::system::error_code ec;
        signal_safe_stream stream{socket_};
        for (int attempt = 0; attempt < 2; ++attempt) {
            if (connected_ && !idempotent && idle_connection_unusable()) close();
            const bool reused = connected_;
            if (!connected_) {
                connect(ec);
                if (ec) {
                    close();
                    return errc::api_unavailable;
                }
            }
            const std::size_t written = write(stream, head, body, ec);
            if (ec) {
                close();
                if (reused && is_connection_lost(ec) && (idempotent || written == 0)) continue;
                return errc::api_unavailable;
            }
            const answer_read answer = read_answer(stream, buffer_, ec);
            if (ec) {
                const bool nothing_received = !answer.got_some && buffer_.size() == 0;
                close();
                if (reused && idempotent && nothing_received && is_connection_lost(ec)) continue;
                return is_connection_lost(ec) ? errc::api_unavailable : errc::protocol_error;
            }
            // The API never sends an answer unasked: bytes after this one mean the peer is confused.
            if (!answer.keep_alive || buffer_.size() != 0) close();
            return {};
        }
        return errc::api_unavailable;
    }

private:
    void connect(boost::system::error_code& ec);

    // True when an idle keep-alive connection can no longer carry a request: the peer closed or reset
    // it, or sent something unasked. One non-blocking peek; the connection is left as it was.
    bool idle_connection_unusable() {
        if (buffer_.size() != 0) return true;
        char c;
        const auto n = ::recv(socket_.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n >= 0) return true;  // 0: orderly close; > 0: bytes nobody asked for
        return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    }

    static std::size_t write(signal_safe_stream& stream, std::string_view head, std::string_view body,
                             boost::system::error_code& ec) {
        namespace net = boost::asio;
        // One buffer goes out with send(); two need sendmsg(), which costs the kernel more.
        if (body.empty()) return net::write(stream, net::buffer(head.data(), head.size()), ec);
        return net::write(stream,
                          std::array<net::const_buffer, 2>{net::buffer(head.data(), head.size()),
                                                           net::buffer(body.data(), body.size())},
                          ec);
    }

    std::string host_;
    std::string port_;
    boost::asio::io_context ioc_{1};
    boost::asio::ip::tcp::socket socket_{ioc_};
    bool connected_ = false;
    boost::beast::flat_buffer buffer_;
};

}  // namespace lambda_py27::detail
