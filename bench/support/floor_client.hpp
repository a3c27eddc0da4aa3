// The least a Lambda runtime can do per invocation, over raw sockets: send a pre-built GET, read until
// the answer is complete, pick out the request id, send a pre-built POST with it (the body "null", or
// the event itself when echoing), read the 202. No HTTP library, no JSON, no allocation per invocation
// (but growing the buffer for a bigger event). Used in-process by python_bench and as the child process
// floor_runtime.
#pragma once

#include "canned_api.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace lambda_py27_bench {

// Serves up to `n` invocations (0: until the API stops answering) from 127.0.0.1:`port`; returns how
// many were served. `echo`: answer with the event, else with `null`. `stamps` (when given) gets the start
// time of every GET..POST cycle, then the end of the last one.
inline std::size_t run_floor_client(std::uint16_t port, std::size_t n, bool echo,
                                    std::vector<clock_type::time_point>* stamps = nullptr) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect");
    set_nodelay(fd);

    const std::string host = "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
    const std::string get = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n" + host + "\r\n";
    const std::string post_prefix = "POST /2018-06-01/runtime/invocation/";
    // The request line and headers, with room for the request id and a Content-Length of up to 10 digits.
    std::string post = post_prefix + std::string(default_request_id) + "/response HTTP/1.1\r\n" + host +
                       "Content-Type: application/json\r\nContent-Length: ";
    const std::size_t length_at = post.size();
    constexpr std::string_view id_header = "Lambda-Runtime-Aws-Request-Id: ";
    std::string post_head;

    std::vector<char> buf(64 * 1024);
    std::size_t have = 0;
    // Reads one whole message into buf; returns its frame. Bytes beyond it stay for the next call.
    const auto read_message = [&](std::size_t consumed) -> frame {
        std::memmove(buf.data(), buf.data() + consumed, have - consumed);
        have -= consumed;
        frame f;
        while ((f = frame_of(buf.data(), have)).total == 0 || f.total > have) {
            if (f.total > buf.size()) buf.resize(f.total);
            if (have == buf.size()) buf.resize(buf.size() * 2);
            const ssize_t r = ::recv(fd, buf.data() + have, buf.size() - have, 0);
            if (r <= 0) return {};
            have += static_cast<std::size_t>(r);
        }
        return f;
    };

    std::size_t served = 0, consumed = 0;
    if (stamps != nullptr) stamps->clear();
    while (n == 0 || served < n) {
        if (stamps != nullptr) stamps->push_back(clock_type::now());
        if (!send_all(fd, get.data(), get.size())) break;
        const frame f = read_message(consumed);
        if (f.total == 0) break;
        consumed = f.total;
        const std::string_view answer(buf.data(), f.head);
        if (answer.compare(0, 12, "HTTP/1.1 200") != 0) break;  // the API is done with us
        const auto at = answer.find(id_header);
        if (at == std::string_view::npos) die("no request id");
        const auto id_start = at + id_header.size();
        const auto id = answer.substr(id_start, answer.find("\r\n", id_start) - id_start);
        if (id.size() != default_request_id.size()) die("request id of unexpected length");
        std::memcpy(post.data() + post_prefix.size(), id.data(), id.size());

        const std::string_view body = echo ? std::string_view(buf.data() + f.head, f.total - f.head) : "null";
        post_head.assign(post, 0, length_at);
        post_head.append(std::to_string(body.size())).append("\r\n\r\n");
        bool sent;
        if (body.size() <= 16 * 1024) {
            post_head.append(body);
            sent = send_all(fd, post_head.data(), post_head.size());
        } else {
            sent = send_all2(fd, post_head, body);
        }
        if (!sent) break;
        ++served;
        const frame accepted = read_message(consumed);
        if (accepted.total == 0) break;
        consumed = accepted.total;
    }
    if (stamps != nullptr) stamps->push_back(clock_type::now());
    ::close(fd);
    return served;
}

}  // namespace lambda_py27_bench
