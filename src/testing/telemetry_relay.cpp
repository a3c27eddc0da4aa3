#include "telemetry_relay.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <ostream>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace lambda_py27::testing::detail {
namespace {

constexpr const char* fd_variable = "_LAMBDA_TELEMETRY_LOG_FD";
constexpr int poll_interval_ms = 100;  // how soon stop() ends a reader whose writer is still alive

std::uint64_t big_endian(const std::string& bytes, std::size_t at, int n) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
    return v;
}

}  // namespace

std::string telemetry_line(std::string_view message) {
    if (!message.empty() && message.back() == '\n') message.remove_suffix(1);
    std::string line;
    line.reserve(message.size());
    for (const char c : message) {
        if (c == '\n')
            line += "\\n";
        else if (c == '\r')
            line += "\\r";
        else
            line += c;
    }
    return line;
}

void telemetry_relay::prepare(spawn_request& request) {
    if (out_ == nullptr) return;
    readers_.remove_if([](const auto& r) {
        if (!r->done) return false;
        r->thread.join();
        return true;
    });
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;  // the runtime then logs to its stdout, as without the option
    pending_read_ = fds[0];
    pending_write_ = fds[1];
    const int child_fd = 3 + static_cast<int>(request.inherited.size());
    request.inherited.push_back(pending_write_);
    const std::string prefix = std::string(fd_variable) + "=";
    auto& env = request.environment;
    env.erase(std::remove_if(env.begin(), env.end(), [&](const std::string& e) { return e.rfind(prefix, 0) == 0; }),
              env.end());
    env.push_back(prefix + std::to_string(child_fd));
}

void telemetry_relay::spawned() {
    if (pending_write_ < 0) return;
    ::close(pending_write_);
    pending_write_ = -1;
    auto r = std::make_unique<reader>();
    auto& self = *r;
    const int fd = pending_read_;
    pending_read_ = -1;
    self.thread = std::thread([this, fd, &self] { read_frames(fd, self); });
    readers_.push_back(std::move(r));
}

void telemetry_relay::stop() {
    stopping_ = true;
    for (auto& r : readers_)
        if (r->thread.joinable()) r->thread.join();
    readers_.clear();
    if (pending_read_ >= 0) ::close(pending_read_);
    if (pending_write_ >= 0) ::close(pending_write_);
    pending_read_ = pending_write_ = -1;
}

void telemetry_relay::read_frames(int fd, reader& self) {
    std::string bytes;
    char chunk[65536];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, poll_interval_ms);
        if (ready < 0 && errno != EINTR) break;
        if (ready <= 0) {
            if (stopping_) break;
            continue;
        }
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // every writer gone
        bytes.append(chunk, static_cast<std::size_t>(n));
        std::size_t at = 0;
        while (bytes.size() - at >= 16) {
            const auto length = static_cast<std::size_t>(big_endian(bytes, at + 4, 4));
            if (bytes.size() - at - 16 < length) break;
            const auto line = telemetry_line(std::string_view(bytes).substr(at + 16, length));
            if (before_frame_) before_frame_();
            {
                std::lock_guard lk(out_mutex_);
                *out_ << line << '\n' << std::flush;
            }
            at += 16 + length;
        }
        bytes.erase(0, at);
    }
    ::close(fd);
    self.done = true;
}

}  // namespace lambda_py27::testing::detail
