#include <lambda_py27/python/log.hpp>

#include "runtime/diagnostic.hpp"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <strings.h>
#include <unistd.h>

namespace lambda_py27::python {
namespace {

log_sink& sink() {
    static log_sink s;
    return s;
}

std::string& request_id() {
    static std::string id;
    return id;
}

// The platform's telemetry log, once adopted.
struct telemetry_log {
    int fd = -1;
    bool json = false;  // AWS_LAMBDA_LOG_FORMAT=JSON: levelled records are JSON records
};

telemetry_log& telemetry() {
    static telemetry_log t;
    return t;
}

void write_all(int fd, std::string_view bytes) {
    const char* p = bytes.data();
    std::size_t left = bytes.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;  // nowhere left to report a failing log
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

void put_big_endian(std::string& out, std::uint64_t value, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::uint64_t micros_now() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
}

}  // namespace

log_level log_level_of(int python_levelno) noexcept {
    const int tens = (python_levelno < 0 ? 0 : python_levelno > 50 ? 50 : python_levelno) / 10;
    return tens == 0 ? log_level::notset : static_cast<log_level>(tens + 1);
}

std::string telemetry_log_frame(std::string_view record, log_level level, bool json, std::uint64_t micros) {
    std::uint32_t type = 0xA55A0003u;
    if (level != log_level::plain) type = 0xA55A0002u | (static_cast<std::uint32_t>(level) << 2) | (json ? 0u : 1u);
    std::string frame;
    frame.reserve(16 + record.size());
    put_big_endian(frame, type, 4);
    put_big_endian(frame, static_cast<std::uint32_t>(record.size()), 4);
    put_big_endian(frame, micros, 8);
    frame.append(record.data(), record.size());
    return frame;
}

bool adopt_telemetry_log() {
    const char* value = std::getenv("_LAMBDA_TELEMETRY_LOG_FD");
    if (value == nullptr) return false;
    const std::string text = value;
    ::unsetenv("_LAMBDA_TELEMETRY_LOG_FD");
    char* end = nullptr;
    errno = 0;
    const long fd = std::strtol(text.c_str(), &end, 10);
    const int flags = (errno == 0 && end != text.c_str() && *end == '\0' && fd >= 0 && fd <= 0x7fffffff)
                          ? ::fcntl(static_cast<int>(fd), F_GETFD)
                          : -1;
    if (flags < 0) {
        lambda_py27::detail::diagnostic("ignoring _LAMBDA_TELEMETRY_LOG_FD=" + text + ": not an open descriptor");
        return false;
    }
    ::fcntl(static_cast<int>(fd), F_SETFD, flags | FD_CLOEXEC);
    const char* format = std::getenv("AWS_LAMBDA_LOG_FORMAT");
    auto& t = telemetry();
    t.json = format != nullptr && ::strcasecmp(format, "JSON") == 0;
    t.fd = static_cast<int>(fd);
    return true;
}

void set_log_sink(log_sink s) { sink() = std::move(s); }

void write_log(std::string_view record, log_level level) {
    if (const auto& s = sink()) {
        s(record);
        return;
    }
    const auto& t = telemetry();
    if (t.fd >= 0)
        write_all(t.fd, telemetry_log_frame(record, level, t.json, micros_now()));  // one write: one frame
    else
        write_all(1, record);
}

const std::string& current_request_id() noexcept { return request_id(); }

void set_current_request_id(std::string_view id) { request_id().assign(id.data(), id.size()); }

}  // namespace lambda_py27::python
