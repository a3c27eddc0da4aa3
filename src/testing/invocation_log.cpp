#include "invocation_log.hpp"

#include "invocation_table.hpp"

#include <array>
#include <cstdio>
#include <iostream>

namespace lambda_py27::testing::detail {

namespace {

std::string format_ms(double ms) {
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%.2f", ms);
    return buf.data();
}

}  // namespace

void log_sink::write(const std::string& text) {
    std::lock_guard lk(m_);
    std::ostream& os = os_ != nullptr ? *os_ : std::cout;
    os << text << std::flush;
}

std::string start_line(const std::string& request_id, const std::string& function_version) {
    return "START RequestId: " + request_id + " Version: " + function_version + "\n";
}

std::string end_report_lines(const invocation_state& inv, std::chrono::steady_clock::time_point end,
                             std::optional<double> init_ms, unsigned memory_size_mb, long memory_used_mb) {
    const auto from = inv.delivered ? inv.delivered_at : inv.received;
    const double duration = ms_between(from, end);
    auto billed = static_cast<long long>(duration);
    if (static_cast<double>(billed) < duration || billed == 0) ++billed;
    std::string out = "END RequestId: " + inv.id + "\n";
    out += "REPORT RequestId: " + inv.id;
    if (init_ms) out += "\tInit Duration: " + format_ms(*init_ms) + " ms";
    out += "\tDuration: " + format_ms(duration) + " ms";
    out += "\tBilled Duration: " + std::to_string(billed) + " ms";
    out += "\tMemory Size: " + std::to_string(memory_size_mb) + " MB";
    out += "\tMax Memory Used: " + std::to_string(memory_used_mb) + " MB\n";
    return out;
}

double ms_between(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

}  // namespace lambda_py27::testing::detail
