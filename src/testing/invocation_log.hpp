// The platform's log lines of an invocation: START, END and REPORT, as Lambda prints them. Internal.
#pragma once

#include <chrono>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <string>

namespace lambda_py27::testing::detail {

struct invocation_state;

/// Where the lines go (stdout when null); one writer at a time, each text flushed whole.
class log_sink {
public:
    explicit log_sink(std::ostream* os) : os_(os) {}
    void write(const std::string& text);

private:
    std::ostream* os_;
    std::mutex m_;
};

std::string start_line(const std::string& request_id, const std::string& function_version);

/// END and REPORT of `inv`, ended at `end`: its duration runs from its delivery to the runtime (from its
/// arrival when never delivered); `init_ms` is given when the invocation started the runtime.
std::string end_report_lines(const invocation_state& inv, std::chrono::steady_clock::time_point end,
                             std::optional<double> init_ms, unsigned memory_size_mb, long memory_used_mb);

double ms_between(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to);

}  // namespace lambda_py27::testing::detail
