// The string escaping of json_dumps, as _json.c's ascii_escape functions do it (private to
// lambda_py27::python): inline, because the encoder's loop calls it for every string.
#pragma once

#include "json_sink.hpp"

#include <Python.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace lambda_py27::python::detail {

inline constexpr char kHex[] = "0123456789abcdef";

inline bool plain_char(std::uint32_t c) { return c >= ' ' && c <= '~' && c != '\\' && c != '"'; }

inline char* write_u_escape(std::uint32_t c, char* p) {
    p[0] = '\\';
    p[1] = 'u';
    p[2] = kHex[(c >> 12) & 0xf];
    p[3] = kHex[(c >> 8) & 0xf];
    p[4] = kHex[(c >> 4) & 0xf];
    p[5] = kHex[c & 0xf];
    return p + 6;
}

/// _json.c's ascii_escape_char, surrogate-pair formula included.
inline char* write_char(std::uint32_t c, char* p) {
    if (plain_char(c)) {
        *p = static_cast<char>(c);
        return p + 1;
    }
    char short_form = 0;
    switch (c) {
        case '\\': short_form = '\\'; break;
        case '"': short_form = '"'; break;
        case '\b': short_form = 'b'; break;
        case '\f': short_form = 'f'; break;
        case '\n': short_form = 'n'; break;
        case '\r': short_form = 'r'; break;
        case '\t': short_form = 't'; break;
        default: break;
    }
    if (short_form != 0) {
        p[0] = '\\';
        p[1] = short_form;
        return p + 2;
    }
    if (c >= 0x10000) {
        const std::uint32_t v = c - 0x10000;
        p = write_u_escape(0xd800 | ((v >> 10) & 0x3ff), p);
        c = 0xdc00 | (v & 0x3ff);
    }
    return write_u_escape(c, p);
}

/// Appends the escaped JSON string of `n` code points: room for the plain case is taken at once, and
/// each escape asks for its own (12 bytes at most: a surrogate pair's two) on top of what the rest needs
/// if plain, so the output grows only when escapes do make it longer.
inline void append_code_points(json_sink& out, const Py_UNICODE* s, Py_ssize_t n) {
    const auto count = static_cast<std::size_t>(n);
    char* p = out.room(count + 2);
    *p++ = '"';
    std::size_t i = 0;
    for (; i + 8 <= count; i += 8) {  // eight at a time, without a branch per character
        bool all_plain = true;
        for (std::size_t k = 0; k < 8; ++k) {
            const auto c = static_cast<std::uint32_t>(s[i + k]);
            all_plain &= plain_char(c);
            p[i + k] = static_cast<char>(c);
        }
        if (!all_plain) {
            break;
        }
    }
    for (; i < count; ++i) {
        const auto c = static_cast<std::uint32_t>(s[i]);
        if (!plain_char(c)) {
            break;
        }
        p[i] = static_cast<char>(c);
    }
    p += i;
    for (; i < count; ++i) {  // room: at least one byte for each character left, and the closing quote
        const auto c = static_cast<std::uint32_t>(s[i]);
        if (plain_char(c)) {
            *p++ = static_cast<char>(c);
        } else {
            out.advance(p);
            p = write_char(c, out.room(count - i + 12 + 1));
        }
    }
    *p++ = '"';
    out.advance(p);
}

/// Length of the well-formed UTF-8 sequence at s[0] (Python 2.7's decoder: RFC 3629 except that
/// encoded surrogates are accepted), with its code point; 0 when Python must judge it.
inline std::size_t utf8_sequence(const unsigned char* s, std::size_t avail, std::uint32_t& cp) {
    const unsigned c = s[0];
    auto cont = [&](std::size_t k) { return k < avail && (s[k] & 0xC0) == 0x80; };
    if (c >= 0xC2 && c <= 0xDF) {
        if (!cont(1)) return 0;
        cp = ((c & 0x1Fu) << 6) | (s[1] & 0x3Fu);
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2) || (c == 0xE0 && s[1] < 0xA0)) return 0;
        cp = ((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3) || (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F)) return 0;
        cp = ((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
        return 4;
    }
    return 0;
}

/// How many of the 8 bytes at `s` are plain_char before the first that is not (8: all of them). On a
/// little-endian machine a word at a time: bit 7 of each byte that needs escaping (below ' ', above '~',
/// '"', '\\'), whose lowest set bit is exact (a borrow or carry only reaches the bytes above a byte that is
/// itself marked).
inline std::size_t plain_run8(const unsigned char* s) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    constexpr std::uint64_t ones = 0x0101010101010101ull;
    constexpr std::uint64_t high = 0x8080808080808080ull;
    std::uint64_t w;
    std::memcpy(&w, s, 8);
    const std::uint64_t quote = w ^ (ones * '"');
    const std::uint64_t backslash = w ^ (ones * '\\');
    const std::uint64_t marks =
        (((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | (w + ones) | w) &
        high;
    return marks == 0 ? 8 : static_cast<std::size_t>(__builtin_ctzll(marks)) >> 3;
#else
    std::size_t k = 0;
    while (k < 8 && plain_char(s[k])) {
        ++k;
    }
    return k;
#endif
}

/// Appends the escaped JSON string of a byte str (its UTF-8 decoding). False with Python's
/// UnicodeDecodeError set when the bytes are not UTF-8. Runs of plain bytes are found and copied 8 bytes
/// at a time. Room for the plain case is taken at once, and each escape asks for its own (12 bytes at
/// most) on top of what the rest needs if plain, so the output grows only when escapes make it longer.
inline bool append_bytes(json_sink& out, const char* data, std::size_t n) {
    const auto* s = reinterpret_cast<const unsigned char*>(data);
    const std::size_t start = out.size();
    char* p = out.room(n + 2);
    *p++ = '"';
    std::size_t i = 0;
    while (i < n) {  // room: at least one byte for each byte left, and the closing quote
        if (i + 8 <= n) {
            std::memcpy(p, s + i, 8);
            const std::size_t k = plain_run8(s + i);
            p += k;
            i += k;
            if (k == 8) {
                continue;
            }
        } else if (plain_char(s[i])) {
            *p++ = static_cast<char>(s[i]);
            ++i;
            continue;
        }
        std::uint32_t cp = s[i];  // not plain
        std::size_t len = 1;
        if (cp >= 0x80) {
            len = utf8_sequence(s + i, n - i, cp);
            if (len == 0) {
                // Python decides: its exception, or (should it accept the bytes) its code points.
                out.truncate(start);
                PyObject* u = PyUnicode_DecodeUTF8(data, static_cast<Py_ssize_t>(n), "strict");
                if (u == nullptr) {
                    return false;
                }
                append_code_points(out, PyUnicode_AS_UNICODE(u), PyUnicode_GET_SIZE(u));
                Py_DECREF(u);
                return true;
            }
        }
        out.advance(p);
        p = write_char(cp, out.room(n - i + 12 + 1));
        i += len;
    }
    out.advance(p);
    out.put('"');
    return true;
}

inline bool append_string_object(json_sink& out, PyObject* o) {
    if (PyUnicode_Check(o)) {
        append_code_points(out, PyUnicode_AS_UNICODE(o), PyUnicode_GET_SIZE(o));
        return true;
    }
    return append_bytes(out, PyString_AS_STRING(o), static_cast<std::size_t>(PyString_GET_SIZE(o)));
}

}  // namespace lambda_py27::python::detail
