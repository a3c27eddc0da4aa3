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
// For the function's own json calls (json_builtin.hpp) the same encoder takes exact built-in types only
// and stops, with no exception set, at anything else.
#include "lambda_py27/python/json.hpp"

#include "json_builtin.hpp"
#include "json_encode_fallback.hpp"
#include "json_escape.hpp"
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
using detail::append_bytes;
using detail::append_code_points;
using detail::append_float;
using detail::append_string_object;
using detail::json_sink;
using detail::recursion_depth_scope;

// Recursion levels json.dumps spends before its top-level value when called from C (PyObject_Call of
// dumps, the frames of dumps, encode and iterencode, the call of the C encoder; measured by the test).
// A container at nesting level L raises RuntimeError when depth + overhead + L exceeds the recursion
// limit, as Py_EnterRecursiveCall does in _json.c; str() of an int one level deeper.
constexpr long kDumpsCallOverhead = 5;

// The function's own json calls: levels the fast path leaves unused, so that Python's json decides
// wherever its recursion limit could be near (json.dump's pure-Python encoder counts its levels otherwise).
constexpr long kBuiltinDepthMargin = 48;

// Containers deeper than this are also tracked in a hash set for the circular check.
constexpr std::size_t kLinearScanDepth = 32;

template <class Int>
inline void append_integer(json_sink& out, Int v) {
    char* p = out.room(24);
    out.advance(std::to_chars(p, p + 24, v).ptr);
}

/// BuiltinOnly false: every value json.dumps takes (the runtime's results); true: for the function's own
/// json calls, exact built-in types only, so that no code of the function's runs (json_builtin.hpp), with
/// kBuiltinDepthMargin levels taken as already spent. A compile-time choice: the results' encoder stays
/// as it was.
template <bool BuiltinOnly>
class encoder {
public:
    /// `lowercase_bool_keys` (BuiltinOnly only): a True key is "true", as json.dump's pure-Python encoder
    /// writes it.
    explicit encoder(json_sink& out, bool lowercase_bool_keys = false)
        : out_(out), lowercase_bool_keys_(lowercase_bool_keys) {
        const PyThreadState* ts = PyThreadState_GET();
        depth_base_ = static_cast<long>(ts->recursion_depth) + kDumpsCallOverhead;
        if constexpr (BuiltinOnly) {
            depth_base_ += kBuiltinDepthMargin;
        }
        limit_ = static_cast<long>(Py_GetRecursionLimit());
        stack_.reserve(8);  // one allocation for the usual depth, not one per doubling
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
        if constexpr (BuiltinOnly) {
            if (!builtin_key(key)) {
                return refuse();
            }
        }
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
        } else if (BuiltinOnly && lowercase_bool_keys_ && (key == Py_True || key == Py_False)) {
            if (key == Py_True) {
                out_.put("\"true\"");
            } else {
                out_.put("\"false\"");
            }
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
        if constexpr (BuiltinOnly) {
            if (!builtin_value(o)) {
                return refuse();
            }
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

    /// A type json's encoders write without running code of its own: a subclass may override __str__,
    /// __repr__, __iter__ or __getitem__, anything else goes to `default`.
    static bool builtin_value(PyObject* o) {
        const PyTypeObject* t = Py_TYPE(o);
        return t == &PyUnicode_Type || t == &PyString_Type || t == &PyInt_Type || t == &PyLong_Type ||
               t == &PyFloat_Type || t == &PyList_Type || t == &PyDict_Type || t == &PyTuple_Type;
    }
    static bool builtin_key(PyObject* o) {
        const PyTypeObject* t = Py_TYPE(o);
        return t == &PyUnicode_Type || t == &PyString_Type || t == &PyInt_Type || t == &PyLong_Type ||
               t == &PyFloat_Type || o == Py_None || o == Py_True || o == Py_False;
    }

    /// Stops without an exception: the value is not one the BuiltinOnly encoder writes.
    static bool refuse() { return false; }

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
    const bool lowercase_bool_keys_;
    std::vector<frame> stack_;
    std::unordered_set<PyObject*> deep_;  // containers at stack index >= kLinearScanDepth
    long depth_base_ = 0;
    long limit_ = 0;
};

}  // namespace

bool json_dumps(PyObject* obj, std::string& out) {
    try {
        json_sink s(out);
        encoder<false> e(s);
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

namespace lambda_py27::python::detail {

bool json_dumps_builtin(PyObject* obj, std::string& out, json_bool_keys keys) {
    try {
        json_sink s(out);
        encoder<true> e(s, keys == json_bool_keys::python_encoder);
        if (e.run(obj)) {
            return true;
        }
    } catch (const std::bad_alloc&) {
    } catch (const std::length_error&) {
    }
    PyErr_Clear();
    return false;
}

}  // namespace lambda_py27::python::detail
