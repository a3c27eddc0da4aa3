// Fuzzing of the emulator's request reading: the parser and the readers its two servers use
// (read_request_header, read_body, answer_read_error, refuse), on arbitrary bytes arriving over a real
// socket, as a keep-alive connection of the invoke endpoint or the Runtime API sees them.
//
// Checked on top of the sanitizers (and LeakSanitizer), for every input:
//   - nothing throws, every request ends in a body, a refusal or an answer to a read error;
//   - a read error is answered with 400, 431 or 413, or not at all (the peer is gone);
//   - the read buffer never holds more than max_buffered_bytes; a body is never kept past its limit;
//   - a request that was read has no field over max_field_bytes.
#include "emulator_http.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include <sys/socket.h>
#include <unistd.h>

namespace {

namespace d = lambda_py27::testing::detail;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "fuzz_emulator_requests: %s\n", what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) fail("socketpair");
    // The peer: writes the input, half-closes, then reads (and drops) every answer until the emulator's
    // side is shut down.
    std::thread peer([fd = fds[1], data, size] {
        std::size_t off = 0;
        while (off < size) {
            const auto n = ::send(fd, data + off, size - off, MSG_NOSIGNAL);
            if (n <= 0) break;
            off += static_cast<std::size_t>(n);
        }
        ::shutdown(fd, SHUT_WR);
        char sink[4096];
        while (::recv(fd, sink, sizeof sink, 0) > 0) {
        }
    });
    {
        boost::asio::io_context ioc;
        d::tcp::socket socket(ioc);
        socket.assign(d::tcp::v4(), fds[0]);  // the stream calls only recv/send on it
        d::beast::flat_buffer buffer{d::max_buffered_bytes};
        std::optional<d::request_parser> parser;
        for (int i = 0; i < 64; ++i) {
            auto& p = d::fresh_parser(parser);
            if (!d::read_request_header(socket, buffer, p)) {
                const auto status = d::status_for_read_error(p, p.read_error);
                if (status != 0 && status != 400 && status != 431 && status != 413) fail("unexpected status");
                d::answer_read_error(socket, p);
                break;
            }
            if (buffer.size() > d::max_buffered_bytes) fail("buffer over its bound");
            if (p.get()[d::http::field::content_type].size() > d::max_field_bytes) fail("field over its bound");
            // Even requests: read the body as the invoke endpoint does; odd ones: refuse it as a 404 does.
            bool usable = false;
            if (i % 2 == 0) {
                std::string body;
                const auto r = d::read_body(socket, buffer, p, 4096, body);
                if (body.size() > 4096) fail("body kept past its limit");
                if (r == d::body_read::failed) {
                    d::answer_read_error(socket, p);
                    break;
                }
                usable = d::reply_accepted(socket, p.get().keep_alive()) && p.get().keep_alive();
            } else {
                usable = d::refuse(socket, buffer, p, 404, "NotFound", "fuzz");
            }
            if (buffer.size() > d::max_buffered_bytes) fail("buffer over its bound");
            if (!usable) break;
        }
        ::shutdown(fds[0], SHUT_RDWR);
    }  // the socket closes fds[0]
    peer.join();
    ::close(fds[1]);
    return 0;
}
