// Fuzzing of the Runtime API client's answer parsing: runtime_client reads fuzzed bytes as the answer of a
// peer on loopback TCP (a real socket, so the same code runs as in production).
//
// Input: the first byte picks the call (even: next(); odd: a post_response or post_error), the rest is what
// the peer writes back before it closes the connection. One client serves several inputs in a row, so
// keep-alive reuse, the "peer closed the idle connection" retry and reconnects are fuzzed too.
//
// Checked on top of the sanitizers, for every input:
//   - next() either fails leaving no request id (or, for bad_request_id, only one that cannot go into a
//     URL), or succeeds with a request id that
//     is_valid_request_id() accepts, no control character in the values that reach the environment
//     (trace id, tenant id), a deadline >= 0, a content type;
//   - a failed next() is reported as one of the client's own error codes;
//   - no call throws through the error_code overloads.
#include <lambda_py27/runtime/runtime_client.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace {

// A one-connection-at-a-time peer: reads one request (headers, then a Content-Length body), writes the
// current input, closes the connection. Inputs are handed over under a mutex.
class peer {
public:
    peer() {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(listen_fd_, 64) != 0) {
            std::perror("fuzz_next_headers: listen");
            std::abort();
        }
        socklen_t len = sizeof addr;
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        endpoint_ = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
        thread_ = std::thread([this] { serve(); });
        thread_.detach();  // lives as long as the fuzzer process
    }

    const std::string& endpoint() const { return endpoint_; }

    /// The bytes the next request gets.
    void set_answer(std::string bytes) {
        std::lock_guard<std::mutex> lock(mutex_);
        answer_ = std::move(bytes);
    }

private:
    void serve() {
        std::string request;
        for (;;) {
            const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) continue;
            int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            request.clear();
            if (read_request(fd, request)) {
                std::string bytes;
                {
                    std::lock_guard<std::mutex> lock(mutex_);
                    bytes = answer_;
                }
                for (std::size_t off = 0; off < bytes.size();) {
                    const ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
                    if (n <= 0) break;
                    off += static_cast<std::size_t>(n);
                }
            }
            // The whole request was read, so closing sends a FIN after the answer, never a reset.
            ::close(fd);
        }
    }

    // Reads the request head and its Content-Length body; false if the client went away first.
    static bool read_request(int fd, std::string& buf) {
        std::size_t head_end;
        char chunk[16384];
        while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
            const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n <= 0) return false;
            buf.append(chunk, static_cast<std::size_t>(n));
        }
        std::size_t length = 0;
        const auto at = buf.find("Content-Length: ");
        if (at != std::string::npos && at < head_end) length = std::strtoul(buf.c_str() + at + 16, nullptr, 10);
        while (buf.size() < head_end + 4 + length) {
            const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n <= 0) return false;
            buf.append(chunk, static_cast<std::size_t>(n));
        }
        return true;
    }

    int listen_fd_ = -1;
    std::string endpoint_;
    std::thread thread_;
    std::mutex mutex_;
    std::string answer_;
};

bool has_control_chars(const std::string& s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

[[noreturn]] void fail(const char* what, const lambda_py27::invocation& inv) {
    std::fprintf(stderr, "fuzz_next_headers: %s (request id '%s', trace id '%s')\n", what, inv.request_id.c_str(),
                 inv.trace_id.c_str());
    std::abort();
}

bool is_client_error(const std::error_code& ec) {
    if (ec.category() != lambda_py27::runtime_category()) return false;
    return ec.value() >= static_cast<int>(lambda_py27::errc::api_unavailable) &&
           ec.value() <= static_cast<int>(lambda_py27::errc::protocol_error);
}

peer* g_peer = nullptr;
std::unique_ptr<lambda_py27::runtime_client> g_client;
lambda_py27::invocation g_inv;
unsigned g_uses = 0;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    g_peer = new peer;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using lambda_py27::errc;
    if (size == 0) return 0;
    const std::uint8_t mode = data[0];
    g_peer->set_answer(std::string(reinterpret_cast<const char*>(data + 1), size - 1));
    // A fresh client now and then, so both fresh and reused connections meet every kind of input.
    if (!g_client || (++g_uses % 8) == 0) g_client = std::make_unique<lambda_py27::runtime_client>(g_peer->endpoint());

    std::error_code ec;
    if ((mode & 1) == 0) {
        g_client->next(g_inv, ec);
        if (ec) {
            if (!is_client_error(ec)) fail("next() failed with a foreign error code", g_inv);
            if (ec == errc::bad_request_id) {
                // The refused id is kept (the run loop logs it), and it must be one that cannot go into a URL.
                if (g_inv.request_id.empty() || lambda_py27::is_valid_request_id(g_inv.request_id))
                    fail("bad_request_id for a usable request id", g_inv);
            } else if (!g_inv.request_id.empty()) {
                fail("a failed next() left a request id behind", g_inv);
            }
            if (ec == errc::invalid_request_id || ec == errc::invalid_state_transition || ec == errc::payload_too_large)
                fail("next() failed with an error only posts give", g_inv);
        } else {
            if (!lambda_py27::is_valid_request_id(g_inv.request_id))
                fail("next() accepted an invalid request id", g_inv);
            if (has_control_chars(g_inv.trace_id)) fail("control character in the trace id", g_inv);
            if (has_control_chars(g_inv.tenant_id)) fail("control character in the tenant id", g_inv);
            if (g_inv.deadline_ms < 0) fail("negative deadline", g_inv);
            if (g_inv.content_type.empty()) fail("no content type", g_inv);
        }
    } else if ((mode & 2) == 0) {
        g_client->post_response("8476a536-e9f4-11e8-9739-2dfe598c3fcd", "{\"ok\": true}", "application/json", ec);
        if (ec && !is_client_error(ec)) fail("post_response failed with a foreign error code", g_inv);
    } else {
        g_client->post_error("8476a536-e9f4-11e8-9739-2dfe598c3fcd", "{\"errorMessage\": \"x\"}", "Unhandled",
                             "{\"working_directory\": \"/\"}", ec);
        if (ec && !is_client_error(ec)) fail("post_error failed with a foreign error code", g_inv);
    }
    if (!ec && (mode & 1) != 0 && !g_client->last_api_error_type().empty())
        fail("a successful post left an API error type", g_inv);
    return 0;
}
