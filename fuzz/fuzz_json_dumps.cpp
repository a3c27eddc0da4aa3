// Differential fuzzing of the result encoder: lambda_py27::python::json_dumps(value) must produce the bytes
// json.dumps(value) produces, or fail with the same exception type and message.
//
// The first input byte picks where the value comes from:
//   even: Python's own json.loads of the rest of the input (what an echo handler returns);
//   odd:  a value built from the rest of the input by the generator below: byte strings (UTF-8 or not),
//         unicode with any code point (lone surrogates too), ints, longs, floats from raw bits (NaN, inf,
//         -0.0, subnormals), lists, tuples, dicts with keys of every kind (str, unicode, int, long, float,
//         bool, None, and unhashable-free non-string ones that json refuses), subclasses of the basic
//         types (with their own __str__/__repr__), OrderedDict, Decimal (the legacy rule: a bare number
//         with str(d)'s text), objects json cannot encode, shared and circular references, and chains
//         nested deeper than the recursion limit.
// The reference is json.dumps's own path (dumps -> JSONEncoder.encode -> the C encoder) with one change:
// a `default` hook turning a Decimal into an int subclass whose str() is str(d), as the runtime writes it.
#include <lambda_py27/python/json.hpp>

#include "python_support.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr const char* reference_source = R"PY(
import collections
import decimal
import json


class _RawNumber(int):
    def __new__(cls, text):
        self = int.__new__(cls, 0)
        self.text = text
        return self

    def __str__(self):
        return self.text

    __repr__ = __str__


def _default(o):
    if isinstance(o, decimal.Decimal):
        return _RawNumber(str(o))
    raise TypeError(repr(o) + " is not JSON serializable")


_encoder = json.JSONEncoder(default=_default)


def dumps(obj):
    # The same call structure (hence recursion depth) as json.dumps(obj) with every default.
    return _encoder.encode(obj)


class FloatSub(float):
    def __repr__(self):
        return 'FloatSub-repr'


class IntSub(int):
    def __str__(self):
        return 'int-sub\xc3\xa9'


class LongSub(long):
    pass


class StrSub(str):
    def __str__(self):
        return 'not-this'


class UnicodeSub(unicode):
    pass


class ListSub(list):
    pass


class TupleSub(tuple):
    pass


class DictSub(dict):
    pass


class Opaque(object):
    def __repr__(self):
        return '<Opaque>'


def make_subclass(kind, value):
    return [FloatSub, IntSub, LongSub, StrSub, UnicodeSub][kind](value)


def make_container(kind, items):
    if kind == 0:
        return ListSub(items)
    if kind == 1:
        return TupleSub(items)
    pairs = [(items[i], items[i + 1]) for i in range(0, len(items) - 1, 2)]
    return DictSub(pairs) if kind == 2 else collections.OrderedDict(pairs)


def make_decimal(text):
    try:
        return decimal.Decimal(text)
    except Exception:
        return decimal.Decimal('-0E-7')


def make_opaque(kind):
    return [Opaque(), object(), set([1, 2]), complex(1, 2), frozenset(), bytearray('ab')][kind]
)PY";

PyObject* g_dumps = nullptr;
PyObject* g_loads = nullptr;
PyObject* g_make_subclass = nullptr;
PyObject* g_make_container = nullptr;
PyObject* g_make_decimal = nullptr;
PyObject* g_make_opaque = nullptr;

// Calls a factory; a failure (it should not happen) gives None.
PyObject* call(PyObject* f, PyObject* a, PyObject* b = nullptr) {
    PyObject* r = PyObject_CallFunctionObjArgs(f, a, b, nullptr);
    if (r == nullptr) {
        PyErr_Clear();
        Py_INCREF(Py_None);
        return Py_None;
    }
    return r;
}

class generator {
public:
    explicit generator(FuzzedDataProvider& in) : in_(in) {}
    ~generator() {
        for (PyObject* o : made_) Py_DECREF(o);
    }
    generator(const generator&) = delete;
    generator& operator=(const generator&) = delete;

    /// A new reference.
    PyObject* value(int depth) {
        if (in_.remaining_bytes() == 0) return none();
        const int kind = in_.ConsumeIntegralInRange<int>(0, depth > 6 ? 8 : 17);
        switch (kind) {
            case 0: return none();
            case 1: return boolean(true);
            case 2: return boolean(false);
            case 3: return PyInt_FromLong(in_.ConsumeIntegral<long>());
            case 4: return big_long();
            case 5: {
                const std::uint64_t bits = in_.ConsumeIntegral<std::uint64_t>();
                double d;
                std::memcpy(&d, &bits, sizeof d);
                return PyFloat_FromDouble(d);
            }
            case 6: return PyFloat_FromDouble(in_.ConsumeFloatingPoint<double>());
            case 7: {
                const std::string s = in_.ConsumeRandomLengthString(48);
                return PyString_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
            }
            case 8: return unicode();
            case 9: return list(depth);
            case 10: return tuple(depth);
            case 11: return dict(depth);
            case 12: return subclass_instance();
            case 13: return sub_container(depth);
            case 14: {
                const std::string s = in_.ConsumeRandomLengthString(24);
                PyObject* text = PyString_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
                PyObject* d = call(g_make_decimal, text);
                Py_DECREF(text);
                return d;
            }
            case 15: {
                PyObject* k = PyInt_FromLong(in_.ConsumeIntegralInRange<long>(0, 5));
                PyObject* o = call(g_make_opaque, k);
                Py_DECREF(k);
                return o;
            }
            case 16: return reuse();
            default: return deep_chain();
        }
    }

private:
    static PyObject* none() {
        Py_INCREF(Py_None);
        return Py_None;
    }
    static PyObject* boolean(bool b) {
        PyObject* v = b ? Py_True : Py_False;
        Py_INCREF(v);
        return v;
    }

    PyObject* big_long() {
        const std::string bytes = in_.ConsumeRandomLengthString(40);
        if (bytes.empty()) return PyLong_FromLong(0);
        return _PyLong_FromByteArray(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), 1, 1);
    }

    PyObject* unicode() {
        const std::size_t n = in_.ConsumeIntegralInRange<std::size_t>(0, 12);
        std::vector<Py_UNICODE> units;
        for (std::size_t i = 0; i < n && in_.remaining_bytes() > 0; ++i) {
            switch (in_.ConsumeIntegralInRange<int>(0, 3)) {
                case 0:
                    units.push_back(static_cast<Py_UNICODE>(in_.ConsumeIntegralInRange<std::uint32_t>(0, 0x7f)));
                    break;
                case 1:
                    units.push_back(static_cast<Py_UNICODE>(in_.ConsumeIntegralInRange<std::uint32_t>(0xd7f0, 0xe010)));
                    break;
                case 2:
                    units.push_back(static_cast<Py_UNICODE>(in_.ConsumeIntegralInRange<std::uint32_t>(0, 0xffff)));
                    break;
                default:
                    units.push_back(static_cast<Py_UNICODE>(in_.ConsumeIntegralInRange<std::uint32_t>(0, 0x10ffff)));
                    break;
            }
        }
        return PyUnicode_FromUnicode(units.data(), static_cast<Py_ssize_t>(units.size()));
    }

    // Containers are registered while their members are made, so `reuse` can put an ancestor inside
    // (a cycle) or an earlier value elsewhere (a shared, acyclic reference).
    PyObject* list(int depth) {
        PyObject* l = PyList_New(0);
        keep(l);
        const int n = in_.ConsumeIntegralInRange<int>(0, 4);
        for (int i = 0; i < n; ++i) {
            PyObject* v = value(depth + 1);
            PyList_Append(l, v);
            Py_DECREF(v);
        }
        Py_INCREF(l);
        return l;
    }

    PyObject* tuple(int depth) {
        const int n = in_.ConsumeIntegralInRange<int>(0, 4);
        PyObject* t = PyTuple_New(n);
        for (int i = 0; i < n; ++i) PyTuple_SET_ITEM(t, i, value(depth + 1));
        return t;
    }

    PyObject* key() {
        switch (in_.ConsumeIntegralInRange<int>(0, 9)) {
            case 0:
            case 1: {
                const std::string s = in_.ConsumeRandomLengthString(16);
                return PyString_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
            }
            case 2:
            case 3: return unicode();
            case 4: return PyInt_FromLong(in_.ConsumeIntegral<long>());
            case 5: return big_long();
            case 6: {
                const std::uint64_t bits = in_.ConsumeIntegral<std::uint64_t>();
                double d;
                std::memcpy(&d, &bits, sizeof d);
                return PyFloat_FromDouble(d);
            }
            case 7: return boolean(in_.ConsumeBool());
            case 8: return none();
            default: return tuple(7);  // hashable, not a string: json refuses it
        }
    }

    PyObject* dict(int depth) {
        PyObject* d = PyDict_New();
        keep(d);
        const int n = in_.ConsumeIntegralInRange<int>(0, 4);
        for (int i = 0; i < n; ++i) {
            PyObject* k = key();
            PyObject* v = value(depth + 1);
            if (PyDict_SetItem(d, k, v) != 0) PyErr_Clear();  // an unhashable key (a tuple holding a list)
            Py_DECREF(k);
            Py_DECREF(v);
        }
        Py_INCREF(d);
        return d;
    }

    PyObject* subclass_instance() {
        const long kind = in_.ConsumeIntegralInRange<long>(0, 4);
        PyObject* base = nullptr;
        switch (kind) {
            case 0: base = PyFloat_FromDouble(in_.ConsumeFloatingPoint<double>()); break;
            case 1: base = PyInt_FromLong(in_.ConsumeIntegral<int>()); break;
            case 2: base = big_long(); break;
            case 3: {
                const std::string s = in_.ConsumeRandomLengthString(16);
                base = PyString_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
                break;
            }
            default: base = unicode(); break;
        }
        PyObject* k = PyInt_FromLong(kind);
        PyObject* v = call(g_make_subclass, k, base);
        Py_DECREF(k);
        Py_DECREF(base);
        return v;
    }

    PyObject* sub_container(int depth) {
        const long kind = in_.ConsumeIntegralInRange<long>(0, 3);
        PyObject* items = PyList_New(0);
        const int n = in_.ConsumeIntegralInRange<int>(0, 6);
        for (int i = 0; i < n; ++i) {
            PyObject* v = (kind >= 2 && i % 2 == 0) ? key() : value(depth + 1);
            PyList_Append(items, v);
            Py_DECREF(v);
        }
        PyObject* k = PyInt_FromLong(kind);
        PyObject* c = call(g_make_container, k, items);
        Py_DECREF(k);
        Py_DECREF(items);
        return c;
    }

    PyObject* reuse() {
        if (made_.empty()) return none();
        PyObject* o = made_[in_.ConsumeIntegralInRange<std::size_t>(0, made_.size() - 1)];
        Py_INCREF(o);
        return o;
    }

    // A list nested 1..1400 levels deep: around the recursion limit, where json.dumps raises RuntimeError.
    PyObject* deep_chain() {
        const int levels = in_.ConsumeIntegralInRange<int>(1, 1400);
        PyObject* v = in_.ConsumeBool() ? PyInt_FromLong(1) : PyDict_New();
        for (int i = 0; i < levels && v != nullptr; ++i) {
            PyObject* l = PyList_New(1);
            PyList_SET_ITEM(l, 0, v);
            v = l;
        }
        return v;
    }

    void keep(PyObject* o) {
        Py_INCREF(o);
        made_.push_back(o);
    }

    FuzzedDataProvider& in_;
    std::vector<PyObject*> made_;
};

// Breaks the cycles a generated value may hold, so that it is freed.
void clear_containers(PyObject* o, int depth = 0) {
    if (depth > 50) return;
    if (PyList_Check(o)) {
        PyObject* items = PySequence_List(o);
        if (items == nullptr) return PyErr_Clear();
        PyList_SetSlice(o, 0, PyList_GET_SIZE(o), nullptr);
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); ++i) clear_containers(PyList_GET_ITEM(items, i), depth + 1);
        Py_DECREF(items);
    } else if (PyDict_Check(o)) {
        PyObject* values = PyDict_Values(o);
        if (values == nullptr) return PyErr_Clear();
        PyDict_Clear(o);
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(values); ++i)
            clear_containers(PyList_GET_ITEM(values, i), depth + 1);
        Py_DECREF(values);
    } else if (PyTuple_Check(o)) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(o); ++i) clear_containers(PyTuple_GET_ITEM(o, i), depth + 1);
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    lambda_py27_fuzz::start_python();
    using lambda_py27_fuzz::python_global;
    g_dumps = python_global(reference_source, "dumps");
    g_make_subclass = python_global(nullptr, "make_subclass");
    g_make_container = python_global(nullptr, "make_container");
    g_make_decimal = python_global(nullptr, "make_decimal");
    g_make_opaque = python_global(nullptr, "make_opaque");
    g_loads = python_global(nullptr, "json");
    PyObject* loads = PyObject_GetAttrString(g_loads, "loads");
    Py_DECREF(g_loads);
    g_loads = loads;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using lambda_py27_fuzz::outcome;
    if (size == 0) return 0;
    PyObject* value = nullptr;
    if ((data[0] & 1) == 0) {
        PyObject* text =
            PyString_FromStringAndSize(reinterpret_cast<const char*>(data + 1), static_cast<Py_ssize_t>(size - 1));
        value = PyObject_CallFunctionObjArgs(g_loads, text, nullptr);
        Py_DECREF(text);
        if (value == nullptr) {  // not JSON: nothing to encode
            PyErr_Clear();
            return 0;
        }
    } else {
        FuzzedDataProvider in(data + 1, size - 1);
        generator g(in);
        value = g.value(0);
    }

    std::string ours_text;
    const bool ok = lambda_py27::python::json_dumps(value, ours_text);
    outcome ours;
    if (ok && PyErr_Occurred()) {
        ours.error_type = "<succeeded with an exception set>";
        PyErr_Clear();
    } else {
        outcome::capture(
            ours,
            ok ? PyString_FromStringAndSize(ours_text.data(), static_cast<Py_ssize_t>(ours_text.size())) : nullptr);
    }
    outcome reference;
    outcome::capture(reference, PyObject_CallFunctionObjArgs(g_dumps, value, nullptr));

    // LP27_FUZZ_SHOW=1 prints what each input became (to read a corpus, or a finding).
    static const bool show = std::getenv("LP27_FUZZ_SHOW") != nullptr;
    if (show)
        std::fprintf(stderr, "value:     %.300s\nours:      %.300s\nreference: %.300s\n",
                     lambda_py27_fuzz::text_of(value, true).c_str(), ours.describe().c_str(),
                     reference.describe().c_str());
    if (!lambda_py27_fuzz::same_outcome(ours, reference))
        lambda_py27_fuzz::report_difference("json_dumps", reinterpret_cast<const char*>(data), size, ours.describe(),
                                            reference.describe());
    clear_containers(value);
    Py_DECREF(value);
    return 0;
}
