#include "http_answer_reader.hpp"

#include "header_text.hpp"
#include "runtime_fields.hpp"

#include <array>
#include <utility>

namespace lambda_py27::detail {
namespace {

constexpr std::array<bool, 256> token_chars = [] {
    std::array<bool, 256> t{};
    for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (unsigned char c : {'!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~'}) t[c] = true;
    return t;
}();

inline bool is_value_char(unsigned char c) noexcept { return (c >= 0x20 && c < 0x7f) || c == '\t'; }

// One line of a head, read once: `stop` is its first byte that is not a header value character
// (printable ASCII, space, tab): for a clean line, the CR that ends it; `colon` its first ':' before that
// (nullptr: none). Eight bytes at a time: in each word the first byte below 0x20 or above 0x7e and the
// first ':' are found with the carry tricks below, whose lowest flagged byte is always a real match
// (a borrow or carry only runs towards higher bytes, which are later ones: the platforms built for
// are little-endian). A tab, the one value character below 0x20, is stepped over.
struct line_scan {
    const char* stop;
    const char* colon;
};

line_scan scan_line(const char* p, const char* end) noexcept {
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "scan_line reads words as little-endian");
    constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    const char* colon = nullptr;
    const auto special_of = [&](std::uint64_t w) {
        return (((w - ones * 0x20) & ~w) | (w + ones * (127 - 0x7e)) | w) & highs;
    };
    while (end - p >= 8) {  // up to the colon
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        const std::uint64_t special = special_of(w);
        const std::uint64_t x = w ^ (ones * ':');
        const std::uint64_t colons = (x - ones) & ~x & highs;
        if ((special | colons) == 0) {
            p += 8;
            continue;
        }
        // The lowest flagged byte of either kind: a colon (to phase two) or a special byte.
        const int first = __builtin_ctzll(special | colons) / 8;
        if (colons != 0 && __builtin_ctzll(colons) / 8 == first) {
            colon = p + first;
            p = colon + 1;
            break;
        }
        if (p[first] != '\t') return {p + first, colon};
        p += first + 1;
    }
    while (colon != nullptr && end - p >= 8) {  // after it
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        const std::uint64_t special = special_of(w);
        if (special == 0) {
            p += 8;
            continue;
        }
        const int at = __builtin_ctzll(special) / 8;
        if (p[at] != '\t') return {p + at, colon};
        p += at + 1;
    }
    for (; p < end; ++p) {
        const auto c = static_cast<unsigned char>(*p);
        if (!is_value_char(c)) break;
        if (c == ':' && colon == nullptr) colon = p;
    }
    return {p, colon};
}

// True when the line scanned up to `stop` ends there with CRLF.
inline bool ends_with_crlf(const char* stop, const char* end) noexcept {
    return end - stop >= 2 && stop[0] == '\r' && stop[1] == '\n';
}

bool all_token_chars(std::string_view s) noexcept {
    for (unsigned char c : s)
        if (!token_chars[c]) return false;
    return !s.empty();
}

}  // namespace

bool parse_plain_head(std::string_view head, invocation* inv, plain_head& out) {
    const char* p = head.data();
    const char* const end = p + head.size();
    // "HTTP/1.1 ddd reason\r\n"
    if (head.size() < 14 || std::memcmp(p, "HTTP/1.1 ", 9) != 0) return false;
    p += 9;
    if (p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9' || p[3] != ' ') return false;
    out.status = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    if (out.status == 204 || out.status == 304) return false;  // Beast: no body, whatever Content-Length says
    const char* cr = scan_line(p + 4, end).stop;
    if (!ends_with_crlf(cr, end)) return false;
    p = cr + 2;
    bool have_length = false, have_connection = false, have_request_id = false;
    for (;;) {
        // A line: name ':' OWS value OWS. Only printable ASCII, space and tab anywhere in it.
        const line_scan line = scan_line(p, end);
        cr = line.stop;
        if (!ends_with_crlf(cr, end)) return false;
        if (cr == p) {  // the blank line
            if (cr + 2 != end) return false;
            break;
        }
        const char* colon = line.colon;
        if (colon == nullptr) return false;
        const std::string_view name(p, static_cast<std::size_t>(colon - p));
        const char* v = colon + 1;
        while (v < cr && (*v == ' ' || *v == '\t')) ++v;
        const char* value_end = cr;
        while (value_end > v && (value_end[-1] == ' ' || value_end[-1] == '\t')) --value_end;
        const std::string_view value(v, static_cast<std::size_t>(value_end - v));
        p = cr + 2;
        // A name equal (ignoring case) to one below is made of token characters; any other is checked.
        if (name.size() > 14 && (name[0] | 0x20) == 'l' && name[6] == '-') {  // Lambda-Runtime-*
            const runtime_field field = store_runtime_field(inv, name, value);
            if (field == runtime_field::other && !all_token_chars(name)) return false;
            // A second request id: Beast's parser, through answer_parser, refuses it.
            if (field == runtime_field::request_id && std::exchange(have_request_id, true)) return false;
        } else if (name_is(name, "Content-Length")) {
            if (have_length || value.empty() || value.size() > 15) return false;
            std::uint64_t n = 0;
            for (char c : value) {
                if (c < '0' || c > '9') return false;
                n = n * 10 + static_cast<std::uint64_t>(c - '0');
            }
            out.content_length = n;
            have_length = true;
        } else if (name_is(name, "Content-Type")) {
            if (inv != nullptr) inv->content_type.assign(value);
        } else if (name_is(name, "Connection")) {
            if (have_connection) return false;
            have_connection = true;
            if (name_is(value, "close"))
                out.keep_alive = false;
            else if (!name_is(value, "keep-alive"))
                return false;
        } else if (!all_token_chars(name) || name_is(name, "Transfer-Encoding") || name_is(name, "Content-Encoding") ||
                   name_is(name, "Upgrade")) {
            return false;
        }
    }
    return have_length;
}

}  // namespace lambda_py27::detail
