#include "testing/text.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <cstdio>

namespace lambda_py27::testing::detail {
namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

void append_hex(std::string& out, std::uint64_t value, int digits) {
    static constexpr char hex[] = "0123456789abcdef";
    for (int i = digits - 1; i >= 0; --i) out.push_back(hex[(value >> (4 * i)) & 0xf]);
}

}  // namespace

std::string error_json(std::string_view type, std::string_view message) {
    boost::json::object o;
    o["errorType"] = boost::json::string_view(type.data(), type.size());
    o["errorMessage"] = boost::json::string_view(message.data(), message.size());
    return boost::json::serialize(o);
}

std::string seconds_with_two_decimals(std::chrono::milliseconds d) {
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%.2f", static_cast<double>(d.count()) / 1000.0);
    return buf.data();
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string format_uuid(std::uint64_t hi, std::uint64_t lo) {
    hi = (hi & ~std::uint64_t{0xf000}) | 0x4000;                           // version 4
    lo = (lo & ~(std::uint64_t{0xc} << 60)) | (std::uint64_t{0x8} << 60);  // RFC 4122 variant
    std::string out;
    out.reserve(36);
    append_hex(out, hi >> 32, 8);
    out.push_back('-');
    append_hex(out, (hi >> 16) & 0xffff, 4);
    out.push_back('-');
    append_hex(out, hi & 0xffff, 4);
    out.push_back('-');
    append_hex(out, lo >> 48, 4);
    out.push_back('-');
    append_hex(out, lo & 0xffffffffffffULL, 12);
    return out;
}

std::string format_trace_id(std::uint64_t epoch_seconds, std::uint64_t r1, std::uint64_t r2, std::uint64_t r3) {
    std::string out = "Root=1-";
    append_hex(out, epoch_seconds & 0xffffffffULL, 8);
    out.push_back('-');
    append_hex(out, r1 & 0xffffffffULL, 8);
    append_hex(out, r2, 16);
    out.append(";Parent=");
    append_hex(out, r3, 16);
    out.append(";Sampled=0");
    return out;
}

std::string header_safe(std::string_view text) {
    std::string out(text);
    for (auto& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    return out;
}

}  // namespace lambda_py27::testing::detail
