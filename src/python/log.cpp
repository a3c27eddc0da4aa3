#include <lambda_py27/python/log.hpp>

#include <cerrno>
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

void write_fd1(std::string_view record) {
    const char* p = record.data();
    std::size_t left = record.size();
    while (left > 0) {
        const ssize_t n = ::write(1, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;  // nowhere left to report a failing log
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

}  // namespace

void set_log_sink(log_sink s) { sink() = std::move(s); }

void write_log(std::string_view record) {
    if (const auto& s = sink())
        s(record);
    else
        write_fd1(record);
}

const std::string& current_request_id() noexcept { return request_id(); }

void set_current_request_id(std::string_view id) { request_id().assign(id.data(), id.size()); }

}  // namespace lambda_py27::python
