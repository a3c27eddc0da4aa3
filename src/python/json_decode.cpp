// json_loads: Boost.JSON's SAX parser building Python 2.7 objects, with Python's json.loads as the
// arbiter of everything the fast path does not take.
//
// Why the two paths agree: on a document Boost.JSON accepts (strict RFC 8259, UTF-8 validated, no
// comments, no trailing commas), Python 2.7's C scanner accepts it too and produces the same values,
// provided the construction below mirrors it:
//   * strings: the UTF-8 is decoded to unicode code points (Boost has already turned \uXXXX escapes into
//     UTF-8, a surrogate pair into one non-BMP code point, exactly as the UCS4 Python does);
//   * integers: a literal without fraction or exponent is int(text): PyInt when it fits a C long, else
//     PyLong from the digits (exact for any length); "-0" is int 0;
//   * floats: float(text) through PyOS_string_to_double (David Gay's correctly rounded strtod, the one
//     float() uses; overflow gives +-inf, as in Python);
//   * objects: a fresh dict with the members inserted in document order, one PyDict_SetItem each (so the
//     hash table, hence iteration order, is the one Python builds; a duplicate key keeps its last value).
// Every input Boost.JSON refuses goes to Python's own json.loads: NaN/Infinity/-Infinity, lone surrogate
// escapes (Boost rejects them; Python keeps them), UTF-8 encoded surrogates (Python 2 accepts them),
// invalid UTF-8, exponent overflow in Boost, trailing data, and every malformed input, so results and
// messages are Python's. So does any nesting deeper than 500 levels or than the recursion limit leaves
// comfortable room for: Python then decides whether it is a RuntimeError.
#include "lambda_py27/python/json.hpp"

#include "json_builtin.hpp"
#include "json_decode_fallback.hpp"
#include "json_key_memo.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

namespace lambda_py27::python {
namespace {

namespace bj = boost::json;
using detail::gc_pause;
using detail::key_memo;
using detail::python_json_loads;

// Deepest nesting decoded in C++. Beyond it (or beyond what the current recursion headroom leaves),
// Python's json.loads decides, including its RuntimeError.
constexpr long kFastPathMaxDepth = 500;
// Recursion levels json.loads spends before its first '[' when called from C: PyObject_Call, the frames
// of loads, decode, raw_decode (+ the PyObject_Call of its keyword call) and the scanner's call; plus one
// because objects cost one more. The margin keeps the fast path well inside what Python accepts.
constexpr long kLoadsCallOverhead = 7;
constexpr long kDepthMargin = 16;

/// Decodes UTF-8 that Boost.JSON has validated into a new unicode object. Should the bytes ever not be
/// well-formed, Python's decoder gets them (and its result or exception is the answer).
PyObject* unicode_from_utf8(const char* data, std::size_t size) {
    const auto* s = reinterpret_cast<const unsigned char*>(data);
    std::size_t ascii_prefix = 0;
    for (; ascii_prefix + 8 <= size; ascii_prefix += 8) {
        std::uint64_t word;
        std::memcpy(&word, s + ascii_prefix, 8);
        if ((word & 0x8080808080808080ull) != 0) {
            break;
        }
    }
    if (ascii_prefix < size && ascii_prefix + 8 > size && size >= 8) {  // the tail: the last 8 bytes
        std::uint64_t word;
        std::memcpy(&word, s + size - 8, 8);
        if ((word & 0x8080808080808080ull) == 0) {
            ascii_prefix = size;
        }
    }
    while (ascii_prefix < size && s[ascii_prefix] < 0x80) {
        ++ascii_prefix;
    }
    const bool ascii = ascii_prefix == size;
    std::size_t count = ascii_prefix;
    for (std::size_t i = ascii_prefix; i < size; ++i) {
        count += (s[i] & 0xC0) != 0x80;
    }
    PyObject* u = PyUnicode_FromUnicode(nullptr, static_cast<Py_ssize_t>(count));
    if (u == nullptr || count == 0) {
        return u;
    }
    Py_UNICODE* out = PyUnicode_AS_UNICODE(u);
    if (ascii) {
        for (std::size_t i = 0; i < size; ++i) {
            out[i] = s[i];
        }
        return u;
    }
    std::size_t i = 0;
    while (i < size) {
        std::uint32_t c = s[i];
        std::size_t len = 1;
        if (c >= 0x80) {
            if ((c & 0xE0) == 0xC0) {
                len = 2;
                c &= 0x1F;
            } else if ((c & 0xF0) == 0xE0) {
                len = 3;
                c &= 0x0F;
            } else if ((c & 0xF8) == 0xF0) {
                len = 4;
                c &= 0x07;
            } else {
                len = 0;
            }
            if (len == 0 || size - i < len) {
                Py_DECREF(u);
                return PyUnicode_DecodeUTF8(data, static_cast<Py_ssize_t>(size), "strict");
            }
            for (std::size_t k = 1; k < len; ++k) {
                if ((s[i + k] & 0xC0) != 0x80) {
                    Py_DECREF(u);
                    return PyUnicode_DecodeUTF8(data, static_cast<Py_ssize_t>(size), "strict");
                }
                c = (c << 6) | (s[i + k] & 0x3F);
            }
        }
        *out++ = static_cast<Py_UNICODE>(c);
        i += len;
    }
    return u;
}

/// The Boost.JSON handler: a value stack of new references. A container's members are on the stack when
/// its end event comes (Boost passes their count), so it is built there with no recursion.
class builder {
public:
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    builder() { values_.reserve(64); }
    ~builder() { clear(); }
    builder(const builder&) = delete;
    builder& operator=(const builder&) = delete;

    /// Drops every value built so far.
    void clear() noexcept {
        for (PyObject* o : values_) {
            Py_DECREF(o);
        }
        values_.clear();
        if (values_.capacity() > 4096) {
            std::vector<PyObject*>().swap(values_);
        }
        text_.clear();
        // The key objects are kept for the next documents: events of a function mostly repeat their
        // keys, and a repeated key then costs a table lookup instead of a new unicode object and its
        // hash. Once the memo is full (many distinct keys) it starts over, so it follows a changing shape.
        if (keys_.full()) {
            keys_.clear();
        }
        python_error_ = false;
    }

    /// True when a Python call failed during the parse; the Python exception is then set.
    bool python_error() const noexcept { return python_error_; }

    /// The document's value (new reference), once the parse succeeded.
    PyObject* release() noexcept {
        if (values_.size() != 1) {
            return nullptr;
        }
        PyObject* v = values_.back();
        values_.clear();
        return v;
    }

    bool on_document_begin(bj::error_code&) { return true; }
    bool on_document_end(bj::error_code&) { return true; }
    bool on_array_begin(bj::error_code&) { return true; }
    bool on_object_begin(bj::error_code&) { return true; }
    bool on_comment_part(bj::string_view, bj::error_code&) { return true; }
    bool on_comment(bj::string_view, bj::error_code&) { return true; }

    bool on_array_end(std::size_t n, bj::error_code& ec) {
        PyObject* list = PyList_New(static_cast<Py_ssize_t>(n));
        if (list == nullptr) {
            return fail(ec);
        }
        const std::size_t first = values_.size() - n;
        for (std::size_t i = 0; i < n; ++i) {
            PyList_SET_ITEM(list, static_cast<Py_ssize_t>(i), values_[first + i]);  // steals
        }
        values_.resize(first);
        return push(list, ec);
    }

    bool on_object_end(std::size_t n, bj::error_code& ec) {
        PyObject* dict = PyDict_New();
        if (dict == nullptr) {
            return fail(ec);
        }
        const std::size_t first = values_.size() - 2 * n;
        for (std::size_t i = first; i < values_.size(); i += 2) {
            if (PyDict_SetItem(dict, values_[i], values_[i + 1]) < 0) {
                Py_DECREF(dict);
                return fail(ec);
            }
        }
        for (std::size_t i = first; i < values_.size(); ++i) {
            Py_DECREF(values_[i]);
        }
        values_.resize(first);
        return push(dict, ec);
    }

    bool on_string_part(bj::string_view s, std::size_t, bj::error_code&) {
        text_.append(s.data(), s.size());
        return true;
    }
    bool on_string(bj::string_view s, std::size_t, bj::error_code& ec) { return string(s, ec); }
    bool on_key_part(bj::string_view s, std::size_t, bj::error_code&) {
        text_.append(s.data(), s.size());
        return true;
    }
    bool on_key(bj::string_view s, std::size_t, bj::error_code& ec) {
        if (text_.empty()) {
            return key(s.data(), s.size(), ec);
        }
        text_.append(s.data(), s.size());
        const bool ok = key(text_.data(), text_.size(), ec);
        text_.clear();
        return ok;
    }

    bool on_number_part(bj::string_view s, bj::error_code&) {
        text_.append(s.data(), s.size());
        return true;
    }
    bool on_int64(std::int64_t i, bj::string_view, bj::error_code& ec) {
        text_.clear();
        PyObject* v = (i >= LONG_MIN && i <= LONG_MAX) ? PyInt_FromLong(static_cast<long>(i))
                                                       : PyLong_FromLongLong(static_cast<long long>(i));
        return push(v, ec);
    }
    bool on_uint64(std::uint64_t u, bj::string_view, bj::error_code& ec) {
        text_.clear();
        PyObject* v = u <= static_cast<std::uint64_t>(LONG_MAX)
                          ? PyInt_FromLong(static_cast<long>(u))
                          : PyLong_FromUnsignedLongLong(static_cast<unsigned long long>(u));
        return push(v, ec);
    }
    bool on_double(double, bj::string_view s, bj::error_code& ec) {
        // Boost's double is not always correctly rounded and cannot hold a big integer: the literal's
        // text decides, as in Python.
        text_.append(s.data(), s.size());
        bool is_float = false;
        for (char c : text_) {
            if (c == '.' || c == 'e' || c == 'E') {
                is_float = true;
                break;
            }
        }
        PyObject* v = nullptr;
        if (is_float) {
            const double d = PyOS_string_to_double(text_.c_str(), nullptr, nullptr);
            if (!(d == -1.0 && PyErr_Occurred())) {
                v = PyFloat_FromDouble(d);
            }
        } else {
            v = PyLong_FromString(text_.data(), nullptr, 10);
        }
        text_.clear();
        return push(v, ec);
    }
    bool on_bool(bool b, bj::error_code& ec) {
        PyObject* v = b ? Py_True : Py_False;
        Py_INCREF(v);
        return push(v, ec);
    }
    bool on_null(bj::error_code& ec) {
        Py_INCREF(Py_None);
        return push(Py_None, ec);
    }

private:
    /// An object key: the unicode object made for the same key text earlier (in this document or an
    /// earlier one), else a new one (which later occurrences then share).
    bool key(const char* data, std::size_t size, bj::error_code& ec) {
        PyObject* v = keys_.find(data, size);
        if (v != nullptr) {
            Py_INCREF(v);
        } else {
            v = unicode_from_utf8(data, size);
            if (v == nullptr) {
                return fail(ec);
            }
            try {
                keys_.insert(data, size, v);
            } catch (...) {
                Py_DECREF(v);
                throw;
            }
        }
        return push(v, ec);
    }

    bool string(bj::string_view s, bj::error_code& ec) {
        PyObject* v;
        if (text_.empty()) {
            v = unicode_from_utf8(s.data(), s.size());
        } else {
            text_.append(s.data(), s.size());
            v = unicode_from_utf8(text_.data(), text_.size());
            text_.clear();
        }
        return push(v, ec);
    }

    /// Pushes a new reference; a nullptr means the Python call that made it failed.
    bool push(PyObject* v, bj::error_code& ec) {
        if (v == nullptr) {
            return fail(ec);
        }
        try {
            values_.push_back(v);
        } catch (...) {
            Py_DECREF(v);
            throw;
        }
        return true;
    }

    bool fail(bj::error_code& ec) {
        python_error_ = true;
        ec = bj::error::exception;
        return false;
    }

    std::vector<PyObject*> values_;
    key_memo keys_;
    std::string text_;  // the parts of the current string or number
    bool python_error_ = false;
};

inline bool is_json_whitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// How deep the fast path may go right now: what Python's recursion limit leaves for json.loads called
/// from here, minus a margin, at most kFastPathMaxDepth. 0: no container at all.
std::size_t fast_path_max_depth() {
    const PyThreadState* ts = PyThreadState_GET();
    const long headroom = static_cast<long>(Py_GetRecursionLimit()) - static_cast<long>(ts->recursion_depth) -
                          kLoadsCallOverhead - kDepthMargin;
    if (headroom <= 0) {
        return 0;
    }
    return static_cast<std::size_t>(headroom < kFastPathMaxDepth ? headroom : kFastPathMaxDepth);
}

}  // namespace

namespace {

/// The parser and its builder, kept from one document to the next so that a small event allocates
/// nothing but its Python objects (the value stack, the key table and Boost's own stack keep their
/// capacity). Made again when the depth limit changes; a nested call (a finaliser run by an allocation
/// while a document is built calls _lambda_py27.loads, say) gets a parser of its own.
class parser_cache {
public:
    using parser_type = bj::basic_parser<builder>;

    /// A reset parser for `max_depth`, or nullptr when the cached one is in use.
    parser_type* acquire(std::size_t max_depth) {
        if (in_use_) {
            return nullptr;
        }
        if (parser_ == nullptr || max_depth_ != max_depth) {
            bj::parse_options options;
            options.max_depth = max_depth;
            parser_ = std::make_unique<parser_type>(options);
            max_depth_ = max_depth;
        } else {
            parser_->reset();
            parser_->handler().clear();  // empty unless an exception cut the last document short
        }
        in_use_ = true;
        return parser_.get();
    }
    void release() noexcept { in_use_ = false; }

private:
    std::unique_ptr<parser_type> parser_;
    std::size_t max_depth_ = 0;
    bool in_use_ = false;
};

parser_cache& cached_parser() {
    static parser_cache* cache = new parser_cache;  // never destroyed: the interpreter is never finalised
    return *cache;
}

enum class fast_outcome { value, python_error, not_taken };

/// Parses with the cached parser (or a fresh one when it is busy): the value (`out`, a new reference), a
/// Python exception the builder met, or "not taken" (Python's json.loads then decides).
fast_outcome parse_fast(std::string_view text, PyObject*& out) {
    const std::size_t max_depth = fast_path_max_depth();
    parser_cache& cache = cached_parser();
    std::unique_ptr<parser_cache::parser_type> own;
    parser_cache::parser_type* parser = cache.acquire(max_depth);
    struct releaser {
        parser_cache* cache;
        ~releaser() {
            if (cache != nullptr) cache->release();
        }
    } release_on_exit{parser != nullptr ? &cache : nullptr};
    if (parser == nullptr) {
        bj::parse_options options;
        options.max_depth = max_depth;
        own = std::make_unique<parser_cache::parser_type>(options);
        parser = own.get();
    }
    bj::error_code ec;
    std::size_t end = parser->write_some(false, text.data(), text.size(), ec);
    builder& b = parser->handler();
    if (b.python_error()) {
        b.clear();
        return fast_outcome::python_error;
    }
    // write_some stops after one value: anything but whitespace after it is Python's "Extra data".
    while (end < text.size() && is_json_whitespace(text[end])) {
        ++end;
    }
    out = (!ec && end == text.size()) ? b.release() : nullptr;
    b.clear();  // whatever a refused document left (the key memo stays, see builder::clear)
    return out != nullptr ? fast_outcome::value : fast_outcome::not_taken;
}

/// parse_fast with the collector paused for a large document; a std::bad_alloc as a MemoryError.
fast_outcome decode_fast(std::string_view text, PyObject*& out) {
    try {
        // Fewer than 700 containers (Python's gen-0 threshold) cannot start a collection by themselves;
        // pausing gc costs three Python calls, so only larger documents pay for it.
        std::optional<gc_pause> no_collection_while_building;
        if (text.size() >= 1400) no_collection_while_building.emplace();
        return parse_fast(text, out);
    } catch (const std::bad_alloc&) {
        PyErr_NoMemory();
        return fast_outcome::python_error;
    }
}

}  // namespace

PyObject* json_loads(std::string_view text) {
    PyObject* v = nullptr;
    switch (decode_fast(text, v)) {
        case fast_outcome::value: return v;
        case fast_outcome::python_error: return nullptr;
        case fast_outcome::not_taken: break;
    }
    return python_json_loads(text);
}

PyObject* detail::json_loads_taken(std::string_view text) {
    PyObject* v = nullptr;
    if (decode_fast(text, v) == fast_outcome::value) {
        return v;
    }
    PyErr_Clear();
    return nullptr;
}

}  // namespace lambda_py27::python
