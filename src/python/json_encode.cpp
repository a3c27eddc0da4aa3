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

#include "json_encode_fallback.hpp"
#include "json_float_repr.hpp"
#include "json_sink.hpp"

#include <charconv>
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

using detail::append_and_drop;
using detail::append_float;
using detail::json_sink;
using detail::recursion_depth_scope;

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

/// Appends the escaped JSON string of `n` code points: stored straight into the output while nothing
/// needs escaping (room for that case is taken at once), then one character at a time.
void append_code_points(json_sink& out, const Py_UNICODE* s, Py_ssize_t n) {
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
bool append_bytes(json_sink& out, const char* data, std::size_t n) {
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

inline bool append_string_object(json_sink& out, PyObject* o) {
    if (PyUnicode_Check(o)) {
        append_code_points(out, PyUnicode_AS_UNICODE(o), PyUnicode_GET_SIZE(o));
        return true;
    }
    return append_bytes(out, PyString_AS_STRING(o), static_cast<std::size_t>(PyString_GET_SIZE(o)));
}

template <class Int>
inline void append_integer(json_sink& out, Int v) {
    char* p = out.room(24);
    out.advance(std::to_chars(p, p + 24, v).ptr);
}

class encoder {
public:
    explicit encoder(json_sink& out) : out_(out) {
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
                json_sink t(text);
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
    bool scalar_key_text(PyObject* key, json_sink& text) {
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
    bool write_int(json_sink& dst, PyObject* o) {
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

    /// Decimal as str(d); anything else is JSONEncoder.default's TypeError (the rare path, elsewhere).
    bool other(PyObject* o) { return detail::append_unserializable(out_, o, python_depth(), limit_); }

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

    json_sink& out_;
    std::vector<frame> stack_;
    std::unordered_set<PyObject*> deep_;  // containers at stack index >= kLinearScanDepth
    long depth_base_ = 0;
    long limit_ = 0;
};

}  // namespace

bool json_dumps(PyObject* obj, std::string& out) {
    try {
        json_sink s(out);
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
