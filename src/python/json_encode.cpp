// json_dumps: Python 2.7.18's C encoder (Modules/_json.c, as json.dumps drives it with the defaults),
// redone over the C API with an explicit stack, writing straight into the caller's std::string.
//
// The rules mirrored, value by value (checked in this order, as _json.c does):
//   None/True/False     null/true/false (identity)
//   str (+ subclasses)  the raw bytes; pure ASCII is escaped as is, otherwise the whole string is decoded
//                       as UTF-8 first (Python 2 rules: surrogates allowed), a failure being Python's own
//                       UnicodeDecodeError
//   unicode (+ subcl.)  the raw code points: " \ \b \f \n \r \t short escapes, other < 0x20 and >= 0x7f as
//                       \u00xx (lowercase hex), non-BMP as a surrogate pair
//   int/long            exact types formatted here; subclasses through their str()
//   float (+ subcl.)    NaN / Infinity / -Infinity, else float.__repr__ of the value
//   list/tuple          arrays; subclasses are iterated with iter() (PySequence_Fast)
//   dict                exact dicts in PyDict_Next order (= dict iteration order); subclasses with iter()
//                       and __getitem__; keys: str/unicode as is, float via repr, int/long/bool via str()
//                       (so True is "True", as the C encoder writes it), None "null", else TypeError
//   decimal.Decimal     str(d) unquoted (the legacy runtime's rule)
//   anything else       TypeError(repr(o) + " is not JSON serializable")
// Circular references are found with the stack of containers being written (what json's `markers` dict
// holds), and the recursion limit is applied at the depth json.dumps (called from C) would reach it.
#include "lambda_py27/python/json.hpp"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

namespace lambda_py27::python {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Recursion levels json.dumps spends before its top-level value when called from C (PyObject_Call of
// dumps, the frames of dumps, encode and iterencode, the call of the C encoder; measured by the test).
// A container at nesting level L raises RuntimeError when depth + overhead + L exceeds the recursion
// limit, as Py_EnterRecursiveCall does in _json.c; str() of an int one level deeper.
constexpr long kDumpsCallOverhead = 5;

// Containers deeper than this are also tracked in a hash set for the circular check.
constexpr std::size_t kLinearScanDepth = 32;

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

/// The output: the caller's std::string, written through a raw pointer. While the encoder runs the string
/// is kept at its full size (grown by doubling, a new part zero-filled once) and cut to what was written
/// when the sink goes.
class sink {
public:
    explicit sink(std::string& s) : s_(s) {
        const std::size_t start = s_.size();
        s_.resize(s_.capacity() > start + 64 ? s_.capacity() : start + 256);
        p_ = s_.data() + start;
        end_ = s_.data() + s_.size();
    }
    ~sink() { s_.resize(size()); }
    sink(const sink&) = delete;
    sink& operator=(const sink&) = delete;

    std::size_t size() const noexcept { return static_cast<std::size_t>(p_ - s_.data()); }
    /// Where to write the next `n` bytes (at most); `advance` past what was written.
    char* room(std::size_t n) {
        if (static_cast<std::size_t>(end_ - p_) < n) {
            grow(n);
        }
        return p_;
    }
    void advance(char* p) noexcept { p_ = p; }
    void put(char c) { *room(1) = c, ++p_; }
    void put(const char* data, std::size_t n) {
        std::memcpy(room(n), data, n);
        p_ += n;
    }
    template <std::size_t N>
    void put(const char (&literal)[N]) {
        put(literal, N - 1);
    }
    /// Forgets everything written after the first `size` bytes.
    void truncate(std::size_t size) noexcept { p_ = s_.data() + size; }

private:
    void grow(std::size_t n) {
        const std::size_t used = size();
        const std::size_t want = used + n > 2 * s_.size() ? used + n : 2 * s_.size();
        s_.resize(want);
        p_ = s_.data() + used;
        end_ = s_.data() + s_.size();
    }

    std::string& s_;
    char* p_ = nullptr;
    char* end_ = nullptr;
};

/// Appends the escaped JSON string of `n` code points: stored straight into the output while nothing
/// needs escaping (room for that case is taken at once), then one character at a time.
void append_code_points(sink& out, const Py_UNICODE* s, Py_ssize_t n) {
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
    if (i < count) {
        out.advance(p);
        for (; i < count; ++i) {
            p = write_char(static_cast<std::uint32_t>(s[i]), out.room(13));  // one escape, the closing quote
            out.advance(p);
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

/// Appends the escaped JSON string of a byte str (its UTF-8 decoding). False with Python's
/// UnicodeDecodeError set when the bytes are not UTF-8.
bool append_bytes(sink& out, const char* data, std::size_t n) {
    const auto* s = reinterpret_cast<const unsigned char*>(data);
    std::size_t plain = 0;
    while (plain < n && plain_char(s[plain])) {
        ++plain;
    }
    const std::size_t start = out.size();
    char* p = out.room(n + 2);
    *p++ = '"';
    std::memcpy(p, data, plain);
    p += plain;
    for (std::size_t i = plain; i < n;) {
        std::uint32_t cp = s[i];
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
        p = write_char(cp, out.room(13));
        i += len;
    }
    out.advance(p);
    out.put('"');
    return true;
}

inline bool append_string_object(sink& out, PyObject* o) {
    if (PyUnicode_Check(o)) {
        append_code_points(out, PyUnicode_AS_UNICODE(o), PyUnicode_GET_SIZE(o));
        return true;
    }
    return append_bytes(out, PyString_AS_STRING(o), static_cast<std::size_t>(PyString_GET_SIZE(o)));
}

template <class Int>
inline void append_integer(sink& out, Int v) {
    char* p = out.room(24);
    out.advance(std::to_chars(p, p + 24, v).ptr);
}

/// float.__repr__ of a finite value (Python 2.7's float_repr: the shortest digits that round-trip, laid
/// out by format_float_short with mode 'r' and Py_DTSF_ADD_DOT_0): positional when the decimal point
/// falls within -4 < exponent + 1 <= 16 (`0.0001`, `1.5`, `1e+16` is the first exponent form), then
/// `d.ddde+XX` with at least two exponent digits, and ".0" after a positional integer. The digits are
/// std::to_chars' shortest round-trip ones, which are the same: both take, among the shortest digit
/// strings that round-trip, the one nearest the exact value.
void append_finite_float(sink& out, double v) {
    char sci[64];
    const auto r = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
    // sci: [-]d[.ddd]e(+|-)XX[X]
    const char* p = sci;
    char* const buf = out.room(32);  // at most 24: "-d.dddddddddddddddde-308"
    char* o = buf;
    if (*p == '-') {
        *o++ = '-';
        ++p;
    }
    char digits[32];
    std::size_t n = 0;
    digits[n++] = *p++;
    if (*p == '.') {
        ++p;
        while (*p != 'e') {
            digits[n++] = *p++;
        }
    }
    ++p;  // 'e'
    const bool negative_exp = *p == '-';
    ++p;
    int exp = 0;
    while (p < r.ptr) {
        exp = exp * 10 + (*p++ - '0');
    }
    if (negative_exp) {
        exp = -exp;
    }
    const int decpt = exp + 1;  // value = 0.d1d2...dn * 10^decpt
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            *o++ = '0';
            *o++ = '.';
            for (int i = decpt; i < 0; ++i) {
                *o++ = '0';
            }
            for (std::size_t i = 0; i < n; ++i) {
                *o++ = digits[i];
            }
        } else if (static_cast<std::size_t>(decpt) >= n) {
            for (std::size_t i = 0; i < n; ++i) {
                *o++ = digits[i];
            }
            for (std::size_t i = n; i < static_cast<std::size_t>(decpt); ++i) {
                *o++ = '0';
            }
            *o++ = '.';
            *o++ = '0';
        } else {
            for (std::size_t i = 0; i < n; ++i) {
                if (i == static_cast<std::size_t>(decpt)) {
                    *o++ = '.';
                }
                *o++ = digits[i];
            }
        }
    } else {
        *o++ = digits[0];
        if (n > 1) {
            *o++ = '.';
            for (std::size_t i = 1; i < n; ++i) {
                *o++ = digits[i];
            }
        }
        *o++ = 'e';
        *o++ = exp < 0 ? '-' : '+';
        const int a = exp < 0 ? -exp : exp;
        if (a < 10) {
            *o++ = '0';
        }
        o = std::to_chars(o, buf + 32, a).ptr;
    }
    out.advance(o);
}

/// The positional repr of a finite float that is a decimal of at most 15 significant digits, at most 16
/// integer digits and no more than -log10(|v|) + 15 fractional ones (prices, coordinates, measurements):
/// 123.25 is 12325 / 10^2. For the least k for which N = round(v * 10^k) gives back v as N / 10^k (a
/// correctly rounded division of two exact doubles, so exactly what parsing "N e-k" gives), N's digits are
/// the shortest that round-trip: a decimal with fewer significant digits at this magnitude has fewer
/// fractional digits and would have been found at a smaller k, and below 10^15 no two decimals of as many
/// digits round to the same double. False when the value is not of that kind (repr's general path then).
bool append_short_decimal_float(sink& out, double v) {
    static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    const double a = v < 0 ? -v : v;
    if (!(a >= 1e-4 && a < 1e15)) {  // positional layout only; 0.0 and -0.0 take the general path
        return false;
    }
    for (int k = 0; k < 16; ++k) {
        const double scaled = a * kPow10[k];
        if (scaled >= 1e15) {
            return false;
        }
        const auto n = static_cast<std::int64_t>(scaled + 0.5);
        if (static_cast<double>(n) / kPow10[k] != a) {
            continue;
        }
        char digits[24];
        const char* end = std::to_chars(digits, digits + sizeof digits, n).ptr;
        const int count = static_cast<int>(end - digits);
        char* p = out.room(40);
        if (v < 0) {
            *p++ = '-';
        }
        if (k == 0) {
            std::memcpy(p, digits, static_cast<std::size_t>(count));
            p += count;
            *p++ = '.';
            *p++ = '0';
        } else if (count > k) {
            std::memcpy(p, digits, static_cast<std::size_t>(count - k));
            p += count - k;
            *p++ = '.';
            std::memcpy(p, digits + count - k, static_cast<std::size_t>(k));
            p += k;
        } else {
            *p++ = '0';
            *p++ = '.';
            for (int z = count; z < k; ++z) {
                *p++ = '0';
            }
            std::memcpy(p, digits, static_cast<std::size_t>(count));
            p += count;
        }
        out.advance(p);
        return true;
    }
    return false;
}

/// float.__repr__ of the value, or the allow_nan names.
bool append_float(sink& out, double v) {
    if (!std::isfinite(v)) {
        if (v > 0) {
            out.put("Infinity");
        } else if (v < 0) {
            out.put("-Infinity");
        } else {
            out.put("NaN");
        }
        return true;
    }
    if (!append_short_decimal_float(out, v)) {
        append_finite_float(out, v);
    }
    return true;
}

/// Appends a byte str object (what PyObject_Str and PyObject_Repr give in Python 2) and drops it.
bool append_and_drop(sink& out, PyObject* s) {
    if (s == nullptr) {
        return false;
    }
    out.put(PyString_AS_STRING(s), static_cast<std::size_t>(PyString_GET_SIZE(s)));
    Py_DECREF(s);
    return true;
}

/// Sets the thread's recursion depth for its lifetime: user code and the C API's own recursion checks
/// then run at the depth they would inside json.dumps.
class recursion_depth_scope {
public:
    explicit recursion_depth_scope(long depth) : ts_(PyThreadState_GET()), saved_(ts_->recursion_depth) {
        ts_->recursion_depth = static_cast<int>(depth);
    }
    ~recursion_depth_scope() { ts_->recursion_depth = saved_; }
    recursion_depth_scope(const recursion_depth_scope&) = delete;
    recursion_depth_scope& operator=(const recursion_depth_scope&) = delete;

private:
    PyThreadState* ts_;
    int saved_;
};

/// decimal.Decimal, imported on first need (a result holding anything unusual), then kept.
PyObject* decimal_type() {
    static PyObject* type = nullptr;
    if (type == nullptr) {
        PyObject* module = PyImport_ImportModule("decimal");
        if (module == nullptr) {
            return nullptr;
        }
        type = PyObject_GetAttrString(module, "Decimal");
        Py_DECREF(module);
    }
    return type;
}

class encoder {
public:
    explicit encoder(sink& out) : out_(out) {
        const PyThreadState* ts = PyThreadState_GET();
        depth_base_ = static_cast<long>(ts->recursion_depth) + kDumpsCallOverhead;
        limit_ = static_cast<long>(Py_GetRecursionLimit());
    }
    ~encoder() {
        while (!stack_.empty()) {
            pop();
        }
    }
    encoder(const encoder&) = delete;
    encoder& operator=(const encoder&) = delete;

    bool run(PyObject* obj) {
        if (!value(obj)) {
            return false;
        }
        while (!stack_.empty()) {
            if (!step()) {
                return false;
            }
        }
        return true;
    }

private:
    enum class kind : unsigned char { sequence, dict, dict_iter };

    struct frame {
        PyObject* container;  // strong: the list/tuple/dict being written (its identity: circular check)
        PyObject* items;      // strong: PySequence_Fast(container), or iter(dict subclass); null for a dict
        Py_ssize_t pos;
        Py_ssize_t count;  // members written
        kind k;
    };

    /// Writes the next member of the innermost container (or closes it).
    bool step() {
        frame& f = stack_.back();
        switch (f.k) {
            case kind::sequence: {
                if (f.pos >= PySequence_Fast_GET_SIZE(f.items)) {
                    out_.put(']');
                    pop();
                    return true;
                }
                PyObject* item = PySequence_Fast_GET_ITEM(f.items, f.pos);
                if (f.pos++ != 0) {
                    out_.put(", ");
                }
                Py_INCREF(item);  // user code (a __str__) could mutate the list while we write it
                const bool ok = value(item);
                Py_DECREF(item);
                return ok;
            }
            case kind::dict: {
                PyObject* key = nullptr;
                PyObject* val = nullptr;
                if (!PyDict_Next(f.container, &f.pos, &key, &val)) {
                    out_.put('}');
                    pop();
                    return true;
                }
                if (f.count++ != 0) {
                    out_.put(", ");
                }
                Py_INCREF(key);
                Py_INCREF(val);
                const bool ok = write_key(key) && value(val);
                Py_DECREF(key);
                Py_DECREF(val);
                return ok;
            }
            case kind::dict_iter: return dict_iter_step(f);
        }
        return false;
    }

    /// A dict subclass, as _json.c walks any dict: iter(d), key coercion, d[key], key string, value.
    bool dict_iter_step(frame& f) {
        PyObject* container = f.container;
        PyObject* key = PyIter_Next(f.items);
        if (key == nullptr) {
            if (PyErr_Occurred()) {
                return false;
            }
            out_.put('}');
            pop();
            return true;
        }
        PyObject* kstr = coerce_key(key);
        if (kstr == nullptr) {
            Py_DECREF(key);
            return false;
        }
        if (f.count++ != 0) {
            out_.put(", ");
        }
        PyObject* val = PyObject_GetItem(container, key);
        Py_DECREF(key);
        if (val == nullptr) {
            Py_DECREF(kstr);
            return false;
        }
        bool ok = append_string_object(out_, kstr);
        Py_DECREF(kstr);
        if (ok) {
            out_.put(": ");
            ok = value(val);
        }
        Py_DECREF(val);
        return ok;
    }

    /// The key as the str/unicode object _json.c encodes (new reference), or nullptr with an exception.
    PyObject* coerce_key(PyObject* key) {
        if (PyString_Check(key) || PyUnicode_Check(key)) {
            Py_INCREF(key);
            return key;
        }
        if (PyFloat_Check(key) || PyInt_Check(key) || PyLong_Check(key) || key == Py_None) {
            std::string text;
            {
                sink t(text);
                if (!scalar_key_text(key, t)) {
                    return nullptr;
                }
            }
            return PyString_FromStringAndSize(text.data(), static_cast<Py_ssize_t>(text.size()));
        }
        PyErr_SetString(PyExc_TypeError, "keys must be a string");
        return nullptr;
    }

    /// The text of a float, int/long (bool: "True"/"False") or None key; `text` gets what str()/repr()
    /// gives, to be escaped as a string (only an int subclass's __str__ can give more than plain ASCII).
    bool scalar_key_text(PyObject* key, sink& text) {
        if (PyFloat_Check(key)) {
            return append_float(text, PyFloat_AS_DOUBLE(key));
        }
        if (key == Py_None) {
            text.put("null");
            return true;
        }
        return write_int(text, key);
    }

    /// str() of an int/long as _json.c gets it (PyObject_Str, with its recursion check); exact types
    /// are formatted without a temporary object.
    bool write_int(sink& dst, PyObject* o) {
        const bool exact_int = PyInt_CheckExact(o);
        if (exact_int || PyLong_CheckExact(o)) {
            if (python_depth() + 1 > limit_) {
                PyErr_SetString(PyExc_RuntimeError,
                                "maximum recursion depth exceeded while getting the str of an object");
                return false;
            }
            if (exact_int) {
                append_integer(dst, PyInt_AS_LONG(o));
                return true;
            }
            int overflow = 0;
            const long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
            if (overflow == 0) {
                if (v == -1 && PyErr_Occurred()) {
                    return false;
                }
                append_integer(dst, v);
                return true;
            }
        }
        recursion_depth_scope scope(python_depth());
        return append_and_drop(dst, PyObject_Str(o));
    }

    /// Writes `"key": ` for a key of an exact dict.
    bool write_key(PyObject* key) {
        if (PyUnicode_Check(key)) {
            append_code_points(out_, PyUnicode_AS_UNICODE(key), PyUnicode_GET_SIZE(key));
        } else if (PyString_Check(key)) {
            if (!append_bytes(out_, PyString_AS_STRING(key), static_cast<std::size_t>(PyString_GET_SIZE(key)))) {
                return false;
            }
        } else if (PyFloat_Check(key) || PyInt_CheckExact(key) || PyLong_CheckExact(key) || key == Py_None) {
            out_.put('"');  // digits, '.', 'e', '+', '-', NaN, Infinity, null: nothing to escape
            if (!scalar_key_text(key, out_)) {
                return false;
            }
            out_.put('"');
        } else {
            PyObject* kstr = coerce_key(key);  // bool, int/long subclasses (their str()), or the TypeError
            if (kstr == nullptr) {
                return false;
            }
            const bool ok = append_string_object(out_, kstr);
            Py_DECREF(kstr);
            if (!ok) {
                return false;
            }
        }
        out_.put(": ");
        return true;
    }

    /// Writes a scalar, or opens a container (pushes a frame).
    bool value(PyObject* o) {
        if (o == Py_None) {
            out_.put("null");
            return true;
        }
        if (o == Py_True) {
            out_.put("true");
            return true;
        }
        if (o == Py_False) {
            out_.put("false");
            return true;
        }
        if (PyUnicode_Check(o)) {
            append_code_points(out_, PyUnicode_AS_UNICODE(o), PyUnicode_GET_SIZE(o));
            return true;
        }
        if (PyString_Check(o)) {
            return append_bytes(out_, PyString_AS_STRING(o), static_cast<std::size_t>(PyString_GET_SIZE(o)));
        }
        if (PyInt_Check(o) || PyLong_Check(o)) {
            return write_int(out_, o);
        }
        if (PyFloat_Check(o)) {
            return append_float(out_, PyFloat_AS_DOUBLE(o));
        }
        if (PyList_Check(o) || PyTuple_Check(o)) {
            return open_sequence(o);
        }
        if (PyDict_Check(o)) {
            return open_dict(o);
        }
        return other(o);
    }

    bool open_sequence(PyObject* o) {
        if (!enter_level()) {
            return false;
        }
        PyObject* items = PySequence_Fast(o, "_iterencode_list needs a sequence");
        if (items == nullptr) {
            return false;
        }
        if (PySequence_Fast_GET_SIZE(items) == 0) {
            Py_DECREF(items);
            out_.put("[]");
            return true;
        }
        if (!push(o, items, kind::sequence)) {
            return false;
        }
        out_.put('[');
        return true;
    }

    bool open_dict(PyObject* o) {
        if (!enter_level()) {
            return false;
        }
        // _json.c tests Py_SIZE(dct), which for a dict object is ma_fill (slots ever used).
        if (reinterpret_cast<PyDictObject*>(o)->ma_fill == 0) {
            out_.put("{}");
            return true;
        }
        const bool exact = PyDict_CheckExact(o);
        if (!push(o, nullptr, exact ? kind::dict : kind::dict_iter)) {
            return false;
        }
        out_.put('{');
        if (!exact) {
            PyObject* it = PyObject_GetIter(o);
            if (it == nullptr) {
                return false;  // the frame is unwound by the caller
            }
            stack_.back().items = it;
        }
        return true;
    }

    /// Decimal as str(d); anything else is JSONEncoder.default's TypeError. Both run where json.dumps
    /// runs its `default` (three recursion levels deeper, with the same RuntimeErrors on the way).
    bool other(PyObject* o) {
        PyObject* decimal = decimal_type();
        if (decimal == nullptr) {
            return false;
        }
        const int is_decimal = PyObject_IsInstance(o, decimal);
        if (is_decimal < 0) {
            return false;
        }
        // The bound method JSONEncoder.default: PyObject_Call of the method, then of its function, then
        // the function's frame; repr() runs in that frame.
        if (python_depth() + 2 > limit_) {
            PyErr_SetString(PyExc_RuntimeError, "maximum recursion depth exceeded while calling a Python object");
            return false;
        }
        if (python_depth() + 3 > limit_) {
            PyErr_SetString(PyExc_RuntimeError, "maximum recursion depth exceeded");
            return false;
        }
        recursion_depth_scope scope(python_depth() + 3);
        if (is_decimal != 0) {
            return append_and_drop(out_, PyObject_Str(o));
        }
        PyObject* repr = PyObject_Repr(o);
        if (repr == nullptr) {
            return false;
        }
        PyString_ConcatAndDel(&repr, PyString_FromString(" is not JSON serializable"));
        if (repr == nullptr) {
            return false;
        }
        PyObject* exc = PyObject_CallFunctionObjArgs(PyExc_TypeError, repr, nullptr);
        Py_DECREF(repr);
        if (exc == nullptr) {
            return false;
        }
        PyErr_SetObject(PyExc_TypeError, exc);
        Py_DECREF(exc);
        return false;
    }

    /// Python's recursion depth at this point of json.dumps (called from C): one level per open container.
    long python_depth() const { return depth_base_ + static_cast<long>(stack_.size()); }

    /// Py_EnterRecursiveCall(" while encoding a JSON object") of _json.c, at the depth it would see.
    bool enter_level() {
        if (python_depth() + 1 > limit_) {
            PyErr_SetString(PyExc_RuntimeError, "maximum recursion depth exceeded while encoding a JSON object");
            return false;
        }
        return true;
    }

    bool is_active(PyObject* o) const {
        const std::size_t n = stack_.size() < kLinearScanDepth ? stack_.size() : kLinearScanDepth;
        for (std::size_t i = 0; i < n; ++i) {
            if (stack_[i].container == o) {
                return true;
            }
        }
        return stack_.size() > kLinearScanDepth && deep_.count(o) != 0;
    }

    static bool circular() {
        PyErr_SetString(PyExc_ValueError, "Circular reference detected");
        return false;
    }

    /// Pushes a container frame (steals `items`), unless the container is already being written.
    bool push(PyObject* container, PyObject* items, kind k) {
        if (is_active(container)) {
            Py_XDECREF(items);
            return circular();
        }
        try {
            if (stack_.size() >= kLinearScanDepth) {
                deep_.insert(container);
            }
            stack_.push_back(frame{container, items, 0, 0, k});
        } catch (...) {
            if (stack_.size() >= kLinearScanDepth) {
                deep_.erase(container);
            }
            Py_XDECREF(items);
            throw;
        }
        Py_INCREF(container);
        return true;
    }

    void pop() noexcept {
        frame& f = stack_.back();
        PyObject* container = f.container;
        PyObject* items = f.items;
        stack_.pop_back();
        if (stack_.size() >= kLinearScanDepth) {
            deep_.erase(container);
        }
        Py_XDECREF(items);
        Py_DECREF(container);
    }

    sink& out_;
    std::vector<frame> stack_;
    std::unordered_set<PyObject*> deep_;  // containers at stack index >= kLinearScanDepth
    long depth_base_ = 0;
    long limit_ = 0;
};

}  // namespace

bool json_dumps(PyObject* obj, std::string& out) {
    try {
        sink s(out);
        encoder e(s);
        return e.run(obj);
    } catch (const std::bad_alloc&) {
        PyErr_NoMemory();
        return false;
    } catch (const std::length_error&) {
        PyErr_NoMemory();
        return false;
    }
}

}  // namespace lambda_py27::python
