// A scripted, fault-injecting stand-in for the Lambda Runtime API, for the runtime layer's tests.
//
// It listens on 127.0.0.1 (ephemeral port), serves one connection at a time on its own thread with
// blocking Asio sockets, records every request it reads, and answers each with the next scripted
// `answer`: well-formed bytes, bytes cut short, bytes dribbled, a hang-up... When the script is
// empty it answers 500 (so a runaway client stops instead of hanging the test).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace lambda_py27::test_support {

using header_list = std::vector<std::pair<std::string, std::string>>;

inline bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

/// What the server read: one HTTP request.
struct received_request {
    std::string method;
    std::string target;
    header_list headers;  ///< as sent, in order
    std::string body;
    std::size_t connection = 0;       ///< 1 for the first accepted connection, 2 for the next...
    std::vector<std::string> chunks;  ///< a chunked body's chunks, in order (body holds them joined)
    header_list trailers;             ///< a chunked body's trailers

    std::string trailer(std::string_view name) const {
        for (const auto& h : trailers)
            if (iequals(h.first, name)) return h.second;
        return {};
    }

    bool has_header(std::string_view name) const {
        return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); });
    }
    std::string header(std::string_view name) const {
        for (const auto& h : headers)
            if (iequals(h.first, name)) return h.second;
        return {};
    }
    std::size_t count_header(std::string_view name) const {
        return static_cast<std::size_t>(
            std::count_if(headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); }));
    }
};

/// How the server answers one request.
struct answer {
    std::string bytes;                           ///< raw bytes written back
    std::size_t cut_at = std::string::npos;      ///< write only this many bytes, then close
    bool close_after = false;                    ///< close the connection after writing
    std::chrono::microseconds dribble_pause{0};  ///< > 0: write byte by byte with this pause
    std::size_t flood_bytes = 0;                 ///< after `bytes`, this many `flood_byte`s, never held whole
    char flood_byte = 'x';

    /// A complete HTTP/1.1 answer with a Content-Length.
    static answer http(int status, std::string body = {}, const header_list& headers = {},
                       std::string_view reason = "Whatever") {
        answer a;
        a.bytes = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
        for (const auto& h : headers) a.bytes += h.first + ": " + h.second + "\r\n";
        a.bytes += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
        a.bytes += body;
        return a;
    }
    /// 200 to `/next`: an event with `Lambda-Runtime-Aws-Request-Id: id` and the given extra headers.
    static answer event(const std::string& id, std::string body = R"({"key":"value"})", header_list headers = {}) {
        headers.insert(headers.begin(), {"Lambda-Runtime-Aws-Request-Id", id});
        return http(200, std::move(body), headers, "OK");
    }
    /// 202 to a post.
    static answer accepted() {
        return http(202, R"({"status":"OK"})", {{"Content-Type", "application/json"}}, "Accepted");
    }
    /// An error answer of the API, with its `{"errorType", "errorMessage"}` body.
    static answer api_error(int status, const std::string& error_type) {
        return http(status, R"({"errorType":")" + error_type + R"(","errorMessage":"scripted"})",
                    {{"Content-Type", "application/json"}});
    }
    /// Raw bytes, sent as they are.
    static answer raw(std::string bytes) {
        answer a;
        a.bytes = std::move(bytes);
        return a;
    }
    /// Read the request, answer nothing, close the connection.
    static answer hang_up() {
        answer a;
        a.close_after = true;
        return a;
    }

    answer then_close() && {
        close_after = true;
        return std::move(*this);
    }
    answer cut_after(std::size_t n) && {
        cut_at = n;
        return std::move(*this);
    }
    /// Follows the bytes with `n` copies of `c`, written 64 KiB at a time (the server never holds them
    /// all); stops when the client hangs up.
    answer flooded(std::size_t n, char c = 'x') && {
        flood_bytes = n;
        flood_byte = c;
        return std::move(*this);
    }
    answer dribbled(std::chrono::microseconds pause) && {
        dribble_pause = pause;
        return std::move(*this);
    }
};

class fake_runtime_api {
public:
    fake_runtime_api() : acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
        listen_fd_ = acceptor_.native_handle();
        thread_ = std::thread([this] { serve(); });
    }

    ~fake_runtime_api() {
        stopping_ = true;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            // shutdown() wakes a thread blocked in accept() or recv() on these descriptors.
            ::shutdown(listen_fd_, SHUT_RDWR);
            if (connection_fd_ >= 0) ::shutdown(connection_fd_, SHUT_RDWR);
        }
        thread_.join();
    }

    fake_runtime_api(const fake_runtime_api&) = delete;
    fake_runtime_api& operator=(const fake_runtime_api&) = delete;

    /// Stops accepting connections (new ones are refused); the current one is served to its end.
    void stop_listening() {
        stopping_ = true;
        std::lock_guard<std::mutex> lock(mutex_);
        ::shutdown(listen_fd_, SHUT_RDWR);
    }

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    std::string endpoint() const { return "127.0.0.1:" + std::to_string(port()); }

    /// Appends answers to the script, in order.
    template <class... Answers>
    fake_runtime_api& then(Answers&&... answers) {
        std::lock_guard<std::mutex> lock(mutex_);
        (script_.push_back(std::forward<Answers>(answers)), ...);
        return *this;
    }

    std::vector<received_request> requests() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return requests_;
    }
    std::size_t request_count() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return requests_.size();
    }
    std::size_t accepted_connections() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return accepted_;
    }
    std::size_t closed_connections() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return closed_;
    }
    std::size_t unused_answers() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return script_.size();
    }

    /// Waits until the server closed `n` connections in all (true), or the timeout passed (false).
    bool wait_for_closed_connections(std::size_t n,
                                     std::chrono::milliseconds timeout = std::chrono::milliseconds{5000}) {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return closed_ >= n; });
    }

private:
    void serve() {
        while (!stopping_) {
            boost::asio::ip::tcp::socket socket(ioc_);
            boost::system::error_code ec;
            acceptor_.accept(socket, ec);
            if (ec || stopping_) break;
            socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
            std::size_t id;
            {
                std::lock_guard<std::mutex> lock(mutex_);
                id = ++accepted_;
                connection_fd_ = socket.native_handle();
                // Checked under the lock the destructor takes: either it sees this descriptor and
                // shuts it down, or this thread sees it stopping.
                if (stopping_) break;
            }
            changed_.notify_all();
            serve_connection(socket, id);
            {
                std::lock_guard<std::mutex> lock(mutex_);
                connection_fd_ = -1;
                socket.close(ec);
                ++closed_;
            }
            changed_.notify_all();
        }
    }

    void serve_connection(boost::asio::ip::tcp::socket& socket, std::size_t id) {
        std::string buffer;
        for (;;) {
            received_request req;
            if (!read_request(socket, buffer, req)) return;
            req.connection = id;
            answer a;
            {
                std::lock_guard<std::mutex> lock(mutex_);
                requests_.push_back(req);
                if (script_.empty()) {
                    a = answer::api_error(500, "Fake.ScriptExhausted");
                } else {
                    a = std::move(script_.front());
                    script_.pop_front();
                }
            }
            changed_.notify_all();
            if (!write_answer(socket, a)) return;
            if (a.close_after || a.cut_at != std::string::npos) return;
        }
    }

    static bool write_answer(boost::asio::ip::tcp::socket& socket, const answer& a) {
        const std::string_view bytes = std::string_view(a.bytes).substr(0, a.cut_at);
        boost::system::error_code ec;
        if (a.dribble_pause.count() > 0) {
            for (char c : bytes) {
                boost::asio::write(socket, boost::asio::buffer(&c, 1), ec);
                if (ec) return false;
                std::this_thread::sleep_for(a.dribble_pause);
            }
        } else if (!bytes.empty()) {
            boost::asio::write(socket, boost::asio::buffer(bytes.data(), bytes.size()), ec);
        }
        if (a.flood_bytes != 0 && !ec) {
            const std::string block(64 * 1024, a.flood_byte);
            for (std::size_t left = a.flood_bytes; left != 0 && !ec;) {
                const std::size_t n = std::min(left, block.size());
                boost::asio::write(socket, boost::asio::buffer(block.data(), n), ec);
                left -= n;
            }
        }
        return !ec;
    }

    // Reads one request: a Content-Length body, or a chunked one (streamed responses) with its trailers.
    static bool read_request(boost::asio::ip::tcp::socket& socket, std::string& buffer, received_request& out) {
        constexpr std::size_t max_head = 8 * 1024 * 1024;
        std::size_t head_end;
        while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
            if (buffer.size() > max_head || !read_more(socket, buffer)) return false;
        }
        const std::string head = buffer.substr(0, head_end);
        buffer.erase(0, head_end + 4);

        std::size_t line_end = head.find("\r\n");
        const std::string request_line = head.substr(0, line_end);
        const auto sp1 = request_line.find(' ');
        const auto sp2 = request_line.find(' ', sp1 + 1);
        if (sp1 == std::string::npos || sp2 == std::string::npos) return false;
        out.method = request_line.substr(0, sp1);
        out.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
        while (line_end != std::string::npos) {
            const std::size_t start = line_end + 2;
            line_end = head.find("\r\n", start);
            const std::string line =
                head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
            const auto colon = line.find(':');
            if (colon == std::string::npos) return false;
            std::size_t v = colon + 1;
            while (v < line.size() && (line[v] == ' ' || line[v] == '\t')) ++v;
            out.headers.emplace_back(line.substr(0, colon), line.substr(v));
        }
        if (iequals(out.header("Transfer-Encoding"), "chunked")) return read_chunked(socket, buffer, out);
        const std::string length = out.header("Content-Length");
        const std::size_t n = length.empty() ? 0 : std::stoull(length);
        while (buffer.size() < n)
            if (!read_more(socket, buffer)) return false;
        out.body = buffer.substr(0, n);
        buffer.erase(0, n);
        return true;
    }

    static bool read_line(boost::asio::ip::tcp::socket& socket, std::string& buffer, std::string& line) {
        std::size_t eol;
        while ((eol = buffer.find("\r\n")) == std::string::npos)
            if (buffer.size() > 1024 * 1024 || !read_more(socket, buffer)) return false;
        line = buffer.substr(0, eol);
        buffer.erase(0, eol + 2);
        return true;
    }

    static bool read_chunked(boost::asio::ip::tcp::socket& socket, std::string& buffer, received_request& out) {
        std::string line;
        for (;;) {
            if (!read_line(socket, buffer, line)) return false;
            std::size_t n = 0;
            try {
                n = std::stoull(line, nullptr, 16);
            } catch (...) {
                return false;
            }
            if (n == 0) break;
            while (buffer.size() < n + 2)
                if (!read_more(socket, buffer)) return false;
            out.chunks.push_back(buffer.substr(0, n));
            out.body += out.chunks.back();
            buffer.erase(0, n + 2);
        }
        for (;;) {
            if (!read_line(socket, buffer, line)) return false;
            if (line.empty()) return true;
            const auto colon = line.find(':');
            if (colon == std::string::npos) return false;
            std::size_t v = colon + 1;
            while (v < line.size() && line[v] == ' ') ++v;
            out.trailers.emplace_back(line.substr(0, colon), line.substr(v));
        }
    }

    static bool read_more(boost::asio::ip::tcp::socket& socket, std::string& buffer) {
        char chunk[64 * 1024];
        boost::system::error_code ec;
        const std::size_t n = socket.read_some(boost::asio::buffer(chunk), ec);
        if (ec) return false;
        buffer.append(chunk, n);
        return true;
    }

    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    int listen_fd_ = -1;
    std::thread thread_;
    std::atomic<bool> stopping_{false};

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<answer> script_;
    std::vector<received_request> requests_;
    std::size_t accepted_ = 0;
    std::size_t closed_ = 0;
    int connection_fd_ = -1;
};

/// An endpoint where nothing listens: a port bound once, then released.
inline std::string unused_endpoint() {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    const auto port = acceptor.local_endpoint().port();
    acceptor.close();
    return "127.0.0.1:" + std::to_string(port);
}

}  // namespace lambda_py27::test_support
