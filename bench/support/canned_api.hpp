// A canned Lambda Runtime API for benchmarks: one thread, raw sockets, keep-alive, pre-built answers.
//
// It serves one connection at a time (a runtime holds exactly one). Every `GET .../invocation/next` gets
// the same event; every POST gets `202 {"status":"OK"}`. What a connection gets is a `session`, set with
// `prepare()` between connections:
//   - `limit`: how many events to hand out; the GET that asks for one more is held unanswered (the
//     runtime waits there, as in a frozen sandbox) or, with `end_with_500`, answered 500 so that the
//     runtime exits on its own (for profilers, which write their output at exit);
//   - `record`: a time stamp when each event is handed out (just before its first byte is sent) and when
//     its answer is received (its last byte read), plus the time of the first complete GET (cold start);
//   - `vary_ids`: a new request id and trace id for every event, as the platform does (the ids keep
//     their length, so the pre-built answer is patched in place);
//   - `checkpoints` / `on_checkpoint`: called on the server thread when the GET for the event after
//     `k` answered ones arrives, before it is answered (the runtime is idle then: read its memory).
// The default session (what runtime_bench uses) serves forever, records nothing, one fixed id.
//
// Header-only: each benchmark includes it in one translation unit.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace lambda_py27_bench {

using clock_type = std::chrono::steady_clock;

inline constexpr std::string_view default_request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";
inline constexpr std::string_view default_trace_id =
    "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1";
inline constexpr std::string_view default_event = R"({"key1":"value1","key2":"value2","key3":"value3"})";

[[noreturn]] inline void die(const char* what) {
    std::perror(what);
    std::exit(1);
}

inline void set_nodelay(int fd) {
    int one = 1;
    if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) die("setsockopt(TCP_NODELAY)");
}

inline bool send_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return false;
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

// Sends two buffers as one message (one sendmsg while the socket takes it all).
inline bool send_all2(int fd, std::string_view a, std::string_view b) {
    while (!a.empty()) {
        iovec iov[2] = {{const_cast<char*>(a.data()), a.size()}, {const_cast<char*>(b.data()), b.size()}};
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = b.empty() ? 1 : 2;
        const ssize_t w = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (w <= 0) return false;
        auto sent = static_cast<std::size_t>(w);
        const std::size_t from_a = std::min(sent, a.size());
        a.remove_prefix(from_a);
        sent -= from_a;
        b.remove_prefix(sent);
    }
    return send_all(fd, b.data(), b.size());
}

// Header names are compared without case (Python's httplib and Beast spell them alike, but need not).
inline bool iequals_prefix(std::string_view text, std::string_view lower_prefix) {
    if (text.size() < lower_prefix.size()) return false;
    for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != lower_prefix[i]) return false;
    }
    return true;
}

struct frame {
    std::size_t head = 0;   // bytes of the request line and headers, blank line included
    std::size_t total = 0;  // head + Content-Length
};

// The extent of the HTTP message at the start of `buf[0, n)`, once its headers are complete; else {0, 0}.
// Bodies are framed by Content-Length only (what every client here sends).
inline frame frame_of(const char* buf, std::size_t n) {
    const std::string_view v(buf, n);
    const auto head_end = v.find("\r\n\r\n");
    if (head_end == std::string_view::npos) return {};
    std::size_t length = 0;
    for (std::size_t line = v.find("\r\n"); line < head_end; line = v.find("\r\n", line + 2)) {
        const std::string_view rest = v.substr(line + 2, head_end - line - 2);
        if (iequals_prefix(rest, "content-length:")) {
            length = std::strtoul(buf + line + 2 + 15, nullptr, 10);
            break;
        }
    }
    return {head_end + 4, head_end + 4 + length};
}

// Length of the complete HTTP message at the start of `buf[0, n)` (headers + Content-Length body), or 0.
inline std::size_t complete_message(const char* buf, std::size_t n) {
    const frame f = frame_of(buf, n);
    return f.total != 0 && f.total <= n ? f.total : 0;
}

// ---- the Runtime API ------------------------------------------------------------------------------

class canned_api {
public:
    struct stamp {
        clock_type::time_point handed_out;
        clock_type::time_point answered;
    };

    struct session {
        std::string event = std::string(default_event);
        std::size_t limit = std::numeric_limits<std::size_t>::max();  // events to hand out
        bool end_with_500 = false;  // at the limit: answer 500 (the runtime exits) instead of holding
        bool record = false;
        bool vary_ids = false;
        std::vector<std::size_t> checkpoints;  // ascending
        std::function<void(std::size_t answered)> on_checkpoint;
    };

    // What happened on the session's connection; read it after `wait()` returned.
    struct outcome {
        bool connected = false;
        bool parked = false;  // the limit was reached and the next GET is held (or was answered 500)
        bool closed = false;  // the runtime closed the connection (or died)
        std::size_t handed_out = 0;
        std::size_t answered = 0;   // posts to .../response
        std::size_t errors = 0;     // posts to .../error or .../init/error
        std::size_t wrong_ids = 0;  // answers for another id than the one handed out last
        std::size_t last_answer_bytes = 0;
        std::string last_error_body;  // the last error post's body (first 2 KB), for diagnostics
        clock_type::time_point first_get{};
        std::vector<stamp> stamps;
    };

    explicit canned_api(std::string_view event = default_event) {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);  // not inherited by runtimes
        if (listen_fd_ < 0) die("socket");
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("bind");
        if (::listen(listen_fd_, 16) != 0) die("listen");
        socklen_t len = sizeof addr;
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        session s;
        s.event = std::string(event);
        prepare(std::move(s));
        thread_ = std::thread([this] { serve(); });
    }

    ~canned_api() {
        stopping_ = true;
        ::shutdown(listen_fd_, SHUT_RDWR);
        thread_.join();
        ::close(listen_fd_);
    }

    canned_api(const canned_api&) = delete;
    canned_api& operator=(const canned_api&) = delete;

    std::uint16_t port() const { return port_; }
    std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

    // What the next connection gets. Call it while no connection is open (before a runtime starts, after
    // the last one's connection was seen closed).
    void prepare(session s) {
        std::lock_guard<std::mutex> lock(mutex_);
        next_ = std::move(s);
        build_answers(next_);
        result_ = outcome{};
        if (next_.record) result_.stamps.reserve(std::min<std::size_t>(next_.limit, 1u << 22));
    }

    // Waits until the session's runtime is parked at its limit or its connection closed, or `timeout`.
    // `keep_waiting` is polled every few milliseconds (e.g. "is the child still alive"); false stops.
    bool wait(std::chrono::milliseconds timeout, const std::function<bool()>& keep_waiting = {}) {
        const auto until = clock_type::now() + timeout;
        std::unique_lock<std::mutex> lock(mutex_);
        while (!result_.parked && !result_.closed) {
            if (clock_type::now() >= until) return false;
            cv_.wait_for(lock, std::chrono::milliseconds(20));
            if (keep_waiting && !result_.parked && !result_.closed) {
                lock.unlock();
                const bool go_on = keep_waiting();
                lock.lock();
                if (!go_on) return result_.parked || result_.closed;
            }
        }
        return true;
    }

    // Waits until the session's connection is closed (after the runtime was stopped).
    bool wait_closed(std::chrono::milliseconds timeout) {
        std::unique_lock<std::mutex> lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] { return result_.closed || !result_.connected; });
    }

    // The session's outcome (moved out: call once, after `wait()`).
    outcome take() {
        std::lock_guard<std::mutex> lock(mutex_);
        return std::move(result_);
    }

private:
    static constexpr std::size_t id_digits = 12;  // the tail of the request id that varies

    void build_answers(session& s) {
        event_answer_ =
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: application/json\r\n"
            "Lambda-Runtime-Aws-Request-Id: ";
        id_at_ = event_answer_.size();
        event_answer_ += std::string(default_request_id) + "\r\n" +
                         "Lambda-Runtime-Deadline-Ms: 4102444800000\r\n"
                         "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:012345678912:function:bench\r\n"
                         "Lambda-Runtime-Trace-Id: ";
        trace_at_ = event_answer_.size() + std::string_view("Root=1-5bef4de7-ad49b0e87f6e").size();
        event_answer_ += std::string(default_trace_id) + "\r\n" +
                         "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
                         "Content-Length: " +
                         std::to_string(s.event.size()) + "\r\n\r\n";
        // Small events go out with the headers in one send; big ones in one sendmsg of two buffers.
        event_body_.clear();
        if (s.event.size() <= 64 * 1024)
            event_answer_ += s.event;
        else
            event_body_ = std::move(s.event);
        s.event.clear();
        accepted_answer_ =
            "HTTP/1.1 202 Accepted\r\n"
            "Content-Type: application/json\r\n"
            "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
            "Content-Length: 16\r\n\r\n{\"status\":\"OK\"}\n";
        const std::string body = R"({"errorType":"Bench.Done","errorMessage":"the benchmark is over"})";
        error_answer_ = "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + body;
    }

    // Writes `n` as the last `id_digits` characters of the request id and of the trace id's root.
    void patch_ids(std::size_t n) {
        char digits[id_digits];
        for (std::size_t i = id_digits; i-- > 0; n /= 10) digits[i] = static_cast<char>('0' + n % 10);
        const std::size_t id_tail = id_at_ + default_request_id.size() - id_digits;
        std::memcpy(event_answer_.data() + id_tail, digits, id_digits);
        std::memcpy(event_answer_.data() + trace_at_, digits, id_digits);
    }

    std::string_view current_id() const {
        return std::string_view(event_answer_).substr(id_at_, default_request_id.size());
    }

    void finish(bool closed_by_peer) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (closed_by_peer) result_.closed = true;
        cv_.notify_all();
    }

    void serve() {
        std::vector<char> buf(1 << 20);
        while (!stopping_) {
            const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) return;
            set_nodelay(fd);
            serve_connection(fd, buf);
            ::close(fd);
        }
    }

    void serve_connection(int fd, std::vector<char>& buf) {
        session s;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            s.limit = next_.limit;
            s.end_with_500 = next_.end_with_500;
            s.record = next_.record;
            s.vary_ids = next_.vary_ids;
            s.checkpoints = next_.checkpoints;
            s.on_checkpoint = next_.on_checkpoint;
        }
        outcome& r = result_;  // only this thread writes it while the connection is open (but the flags)
        std::size_t next_checkpoint = 0;
        std::size_t have = 0;
        bool any_request = false;
        const std::string_view post_prefix = "POST /2018-06-01/runtime/invocation/";
        for (;;) {
            frame f;
            while ((f = frame_of(buf.data(), have)).total == 0 || f.total > have) {
                if (f.total > buf.size()) buf.resize(f.total);
                if (have == buf.size()) buf.resize(buf.size() * 2);
                const ssize_t n = ::recv(fd, buf.data() + have, buf.size() - have, 0);
                if (n <= 0) {
                    if (any_request) finish(true);  // a connection that never asked is not the session's
                    return;
                }
                have += static_cast<std::size_t>(n);
            }
            const auto now = clock_type::now();
            if (!any_request) {
                any_request = true;
                std::lock_guard<std::mutex> lock(mutex_);
                r.connected = true;
            }
            bool ok = true;
            if (buf[0] == 'G') {
                if (r.handed_out == 0 && r.first_get == clock_type::time_point{}) r.first_get = now;
                if (s.on_checkpoint && next_checkpoint < s.checkpoints.size() &&
                    s.checkpoints[next_checkpoint] <= r.answered) {
                    s.on_checkpoint(r.answered);
                    ++next_checkpoint;
                }
                if (r.handed_out >= s.limit) {
                    {
                        std::lock_guard<std::mutex> lock(mutex_);
                        r.parked = true;
                    }
                    cv_.notify_all();
                    if (s.end_with_500) ok = send_all(fd, error_answer_.data(), error_answer_.size());
                    // else: held; the next recv returns when the runtime is stopped
                } else {
                    if (s.vary_ids) patch_ids(r.handed_out + 1);
                    if (s.record) r.stamps.push_back({clock_type::now(), {}});
                    ++r.handed_out;
                    ok = event_body_.empty() ? send_all(fd, event_answer_.data(), event_answer_.size())
                                             : send_all2(fd, event_answer_, event_body_);
                }
            } else {
                const std::string_view head(buf.data(), f.head);
                const std::string_view path = head.substr(0, head.find(' ', 5));
                const bool is_response = path.size() > 9 && path.substr(path.size() - 9) == "/response";
                if (is_response) {
                    ++r.answered;
                    r.last_answer_bytes = f.total - f.head;
                    if (head.substr(post_prefix.size(), default_request_id.size()) != current_id()) ++r.wrong_ids;
                    if (s.record && r.answered <= r.stamps.size()) r.stamps[r.answered - 1].answered = now;
                } else {
                    std::lock_guard<std::mutex> lock(mutex_);
                    ++r.errors;
                    r.last_error_body.assign(buf.data() + f.head, std::min<std::size_t>(f.total - f.head, 2048));
                }
                ok = send_all(fd, accepted_answer_.data(), accepted_answer_.size());
            }
            std::memmove(buf.data(), buf.data() + f.total, have - f.total);
            have -= f.total;
            if (!ok) {
                finish(true);
                return;
            }
        }
    }

    int listen_fd_ = -1;
    std::uint16_t port_ = 0;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    session next_;
    outcome result_;
    // The answers of the prepared session (the server thread uses them while a connection is open).
    std::string event_answer_;
    std::string event_body_;  // a big event, sent after event_answer_'s headers
    std::string accepted_answer_;
    std::string error_answer_;
    std::size_t id_at_ = 0;
    std::size_t trace_at_ = 0;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace lambda_py27_bench
