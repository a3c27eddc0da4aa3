// Checks, comparisons and lines of header text, shared by the answer readers and the request builders. Inline:
// they run on every header line of every answer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace lambda_py27::detail {
// Internal linkage, as when these were file-local: the compiler then inlines them where it did then (a
// function with external linkage is not given the "called once" inlining, and a no-op invocation pays
// for it; see runtime_bench under callgrind).
namespace {

/// True when `s` has a byte below 0x20 or DEL. Eight bytes at a time (the carry tricks of scan_line in
/// http_answer_reader.cpp).
inline bool has_control_chars(std::string_view s) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    const char* p = s.data();
    const char* const end = p + s.size();
    for (; end - p >= 8; p += 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        const std::uint64_t del = w ^ (ones * 0x7f);
        if ((((w - ones * 0x20) & ~w) | ((del - ones) & ~del)) & highs) return true;
    }
    for (; p < end; ++p) {
        const auto c = static_cast<unsigned char>(*p);
        if (c < 0x20 || c == 0x7f) return true;
    }
    return false;
}

/// Compares a header name (HTTP token characters only) with `expected` (letters and '-') ignoring case.
/// Folding bit 0x20 is exact here: among token characters only the letters' case differs by it.
inline bool name_is(std::string_view name, std::string_view expected) noexcept {
    if (name.size() != expected.size()) return false;
    constexpr std::uint64_t fold = 0x2020202020202020;
    std::size_t i = 0;
    for (; i + 8 <= name.size(); i += 8) {  // eight characters at a time
        std::uint64_t a, b;
        std::memcpy(&a, name.data() + i, 8);
        std::memcpy(&b, expected.data() + i, 8);
        if ((a | fold) != (b | fold)) return false;
    }
    if (i < name.size() && name.size() >= 8) {  // the rest: the last eight, overlapping the word before
        std::uint64_t a, b;
        std::memcpy(&a, name.data() + name.size() - 8, 8);
        std::memcpy(&b, expected.data() + name.size() - 8, 8);
        return (a | fold) == (b | fold);
    }
    for (; i < name.size(); ++i)
        if ((static_cast<unsigned char>(name[i]) | 0x20) != (static_cast<unsigned char>(expected[i]) | 0x20))
            return false;
    return true;
}

}  // namespace

// These two are used by request_heads' inline members, which have external linkage: so have they.
/// A value that can go into a header line as is: no CR/LF (which would let a caller inject headers or
/// end the header early) and no other control character but HTAB.
inline bool is_header_value(std::string_view s) noexcept {
    for (unsigned char c : s)
        if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
    return true;
}

/// Appends the header line `<name_colon><value>\r\n` (`name_colon` is e.g. `"Content-Type: "`) when `value`
/// is non-empty and can go into a header line as is (see is_header_value); drops it otherwise.
inline void append_optional_header(std::string& out, std::string_view name_colon, std::string_view value) {
    if (!value.empty() && is_header_value(value)) out.append(name_colon).append(value).append("\r\n");
}

}  // namespace lambda_py27::detail
