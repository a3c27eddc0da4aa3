// json_loads / json_dumps against Python 2.7's own json module, in the same process: random values and
// texts (test/data/json_corpus_gen.py), hand-picked edge cases, error tables and nesting limits.
#include "lambda_py27/python/json.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace py = lambda_py27::python;
using namespace std::string_literals;

/// An owned reference.
class ref {
public:
    ref() = default;
    explicit ref(PyObject* o) : p_(o) {}
    ~ref() { Py_XDECREF(p_); }
    ref(ref&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    ref& operator=(ref&& o) noexcept {
        std::swap(p_, o.p_);
        return *this;
    }
    ref(const ref&) = delete;
    ref& operator=(const ref&) = delete;
    PyObject* get() const { return p_; }
    explicit operator bool() const { return p_ != nullptr; }

private:
    PyObject* p_ = nullptr;
};

std::string fetch_python_error();

/// str(o), or a description of why not.
std::string str_of(PyObject* o) {
    ref s(PyObject_Str(o));
    if (!s) {
        PyErr_Clear();
        return "<unprintable>";
    }
    return std::string(PyString_AS_STRING(s.get()), static_cast<std::size_t>(PyString_GET_SIZE(s.get())));
}

std::string repr_of(PyObject* o, std::size_t max = 300) {
    ref s(PyObject_Repr(o));
    if (!s) {
        PyErr_Clear();
        return "<no repr>";
    }
    std::string r(PyString_AS_STRING(s.get()), static_cast<std::size_t>(PyString_GET_SIZE(s.get())));
    return r.size() > max ? r.substr(0, max) + "..." : r;
}

/// The result of one call: a text (dumps), a value (loads) or the exception raised ("Type: message").
struct outcome {
    bool ok = false;
    std::string text;
    ref value;
    std::string error;
};

/// Takes the pending exception as "TypeName: str(exc)" and clears it.
std::string fetch_python_error() {
    PyObject *type = nullptr, *value = nullptr, *tb = nullptr;
    PyErr_Fetch(&type, &value, &tb);
    if (type == nullptr) {
        return "<no exception set>";
    }
    PyErr_NormalizeException(&type, &value, &tb);
    std::string r = reinterpret_cast<PyTypeObject*>(type)->tp_name;
    r += ": ";
    r += value != nullptr ? str_of(value) : "";
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return r;
}

/// Python objects the tests use, created once the interpreter runs.
struct python_objects {
    PyObject* gen = nullptr;              // json_corpus_gen module
    PyObject* json_dumps = nullptr;       // json.dumps
    PyObject* json_loads = nullptr;       // json.loads
    PyObject* reference_dumps = nullptr;  // json.dumps(v, default=<legacy Decimal rule>)
};
python_objects g_py;

class python_environment : public ::testing::Environment {
public:
    void SetUp() override {
        if (!Py_IsInitialized()) {
            Py_InitializeEx(0);
        }
        ref sys(PyImport_ImportModule("sys"));
        ASSERT_TRUE(sys) << fetch_python_error();
        PyObject_SetAttrString(sys.get(), "dont_write_bytecode", Py_True);
        PyObject* path = PySys_GetObject(const_cast<char*>("path"));  // borrowed
        ref dir(PyString_FromString(LAMBDA_PY27_TEST_DATA_DIR));
        ASSERT_EQ(PyList_Insert(path, 0, dir.get()), 0);
        g_py.gen = PyImport_ImportModule("json_corpus_gen");
        ASSERT_NE(g_py.gen, nullptr) << fetch_python_error();
        ref json(PyImport_ImportModule("json"));
        ASSERT_TRUE(json) << fetch_python_error();
        g_py.json_dumps = PyObject_GetAttrString(json.get(), "dumps");
        g_py.json_loads = PyObject_GetAttrString(json.get(), "loads");
        g_py.reference_dumps = PyObject_GetAttrString(g_py.gen, "reference_dumps");
        ASSERT_TRUE(g_py.json_dumps && g_py.json_loads && g_py.reference_dumps) << fetch_python_error();
    }
};

const auto* const g_env = ::testing::AddGlobalTestEnvironment(new python_environment);

ref call(PyObject* fn, PyObject* arg) { return ref(PyObject_CallFunctionObjArgs(fn, arg, nullptr)); }

/// A function of json_corpus_gen called with (int, int).
ref gen_call2(const char* name, long a, long b) {
    ref fn(PyObject_GetAttrString(g_py.gen, name));
    if (!fn) {
        return fn;
    }
    return ref(PyObject_CallFunction(fn.get(), const_cast<char*>("ll"), a, b));
}

outcome ours_dumps(PyObject* v) {
    outcome o;
    o.ok = py::json_dumps(v, o.text);
    if (!o.ok) {
        o.error = fetch_python_error();
    } else if (PyErr_Occurred()) {
        o.error = "success with an exception set: " + fetch_python_error();
        o.ok = false;
    }
    return o;
}

outcome python_dumps(PyObject* fn, PyObject* v) {
    outcome o;
    ref r = call(fn, v);
    if (!r) {
        o.error = fetch_python_error();
        return o;
    }
    o.ok = true;
    o.text.assign(PyString_AS_STRING(r.get()), static_cast<std::size_t>(PyString_GET_SIZE(r.get())));
    return o;
}

outcome ours_loads(const std::string& text) {
    outcome o;
    o.value = ref(py::json_loads(text));
    o.ok = static_cast<bool>(o.value);
    if (!o.ok) {
        o.error = fetch_python_error();
    } else if (PyErr_Occurred()) {
        o.error = "success with an exception set: " + fetch_python_error();
        o.ok = false;
    }
    return o;
}

outcome python_loads(const std::string& text) {
    outcome o;
    ref s(PyString_FromStringAndSize(text.data(), static_cast<Py_ssize_t>(text.size())));
    o.value = call(g_py.json_loads, s.get());
    o.ok = static_cast<bool>(o.value);
    if (!o.ok) {
        o.error = fetch_python_error();
    }
    return o;
}

/// "" when a and b are equal with the same types all the way down (dict iteration order, unicode vs
/// str, int vs long, the sign of zero, NaN); else a description. Iterative: deep values are fine.
std::string typed_diff(PyObject* a, PyObject* b) {
    std::vector<std::pair<PyObject*, PyObject*>> todo{{a, b}};
    while (!todo.empty()) {
        auto [x, y] = todo.back();
        todo.pop_back();
        if (Py_TYPE(x) != Py_TYPE(y)) {
            return "type " + std::string(Py_TYPE(x)->tp_name) + " " + repr_of(x, 80) + " != " + Py_TYPE(y)->tp_name +
                   " " + repr_of(y, 80);
        }
        if (PyFloat_CheckExact(x)) {
            const double dx = PyFloat_AS_DOUBLE(x), dy = PyFloat_AS_DOUBLE(y);
            if (dx != dx && dy != dy) {
                continue;
            }
            if (dx != dy || std::signbit(dx) != std::signbit(dy)) {
                return "float " + repr_of(x) + " != " + repr_of(y);
            }
        } else if (PyList_CheckExact(x)) {
            if (PyList_GET_SIZE(x) != PyList_GET_SIZE(y)) {
                return "list sizes " + repr_of(x, 80) + " != " + repr_of(y, 80);
            }
            for (Py_ssize_t i = 0; i < PyList_GET_SIZE(x); ++i) {
                todo.emplace_back(PyList_GET_ITEM(x, i), PyList_GET_ITEM(y, i));
            }
        } else if (PyDict_CheckExact(x)) {
            if (PyDict_Size(x) != PyDict_Size(y)) {
                return "dict sizes " + repr_of(x, 80) + " != " + repr_of(y, 80);
            }
            Py_ssize_t px = 0, py_ = 0;
            PyObject *kx, *vx, *ky, *vy;
            while (PyDict_Next(x, &px, &kx, &vx)) {
                PyDict_Next(y, &py_, &ky, &vy);
                if (Py_TYPE(kx) != Py_TYPE(ky) || PyObject_RichCompareBool(kx, ky, Py_EQ) != 1) {
                    return "dict keys (iteration order) " + repr_of(kx) + " != " + repr_of(ky);
                }
                todo.emplace_back(vx, vy);
            }
        } else {
            const int eq = PyObject_RichCompareBool(x, y, Py_EQ);
            if (eq != 1) {
                PyErr_Clear();
                return repr_of(x) + " != " + repr_of(y);
            }
        }
    }
    return "";
}

/// "" when both outcomes agree (same text, or typed-equal values, or the same exception and message).
std::string compare(const outcome& ours, const outcome& theirs) {
    if (ours.ok != theirs.ok) {
        return ours.ok ? "ours succeeded, Python raised " + theirs.error
                       : "ours raised " + ours.error + ", Python succeeded";
    }
    if (!ours.ok) {
        return ours.error == theirs.error ? "" : "exceptions differ: ours " + ours.error + " | Python " + theirs.error;
    }
    if (ours.value || theirs.value) {
        return typed_diff(ours.value.get(), theirs.value.get());
    }
    return ours.text == theirs.text
               ? ""
               : "texts differ: ours " + ours.text.substr(0, 400) + " | Python " + theirs.text.substr(0, 400);
}

std::string printable(const std::string& s, std::size_t max = 200) {
    std::string r;
    for (unsigned char c : s.substr(0, max)) {
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            r += static_cast<char>(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            r += buf;
        }
    }
    return s.size() > max ? r + "...(" + std::to_string(s.size()) + " bytes)" : r;
}

/// Asserts our loads agrees with Python's on `text`; returns whether Python accepted it.
bool expect_loads_like_python(const std::string& text, const std::string& label = "") {
    outcome ours = ours_loads(text);
    outcome theirs = python_loads(text);
    const std::string d = compare(ours, theirs);
    EXPECT_EQ(d, "") << label << " input: " << printable(text);
    return theirs.ok;
}

ref nested_lists(long depth, PyObject* innermost) {
    Py_INCREF(innermost);
    ref v(innermost);
    for (long i = 0; i < depth; ++i) {
        PyObject* l = PyList_New(1);
        PyList_SET_ITEM(l, 0, v.get());
        Py_INCREF(v.get());
        v = ref(l);
    }
    return v;
}

ref nested_dicts(long depth, PyObject* innermost) {
    Py_INCREF(innermost);
    ref v(innermost);
    for (long i = 0; i < depth; ++i) {
        PyObject* d = PyDict_New();
        PyDict_SetItemString(d, "k", v.get());
        v = ref(d);
    }
    return v;
}

// ---- json_dumps ----------------------------------------------------------------------------------

TEST(PythonJson, DumpsMatchesPythonOnRandomValues) {
    ref values = gen_call2("make_values", 20240601, 12000);
    ASSERT_TRUE(values) << fetch_python_error();
    const Py_ssize_t n = PyList_GET_SIZE(values.get());
    int failures = 0, raised = 0;
    for (Py_ssize_t i = 0; i < n && failures < 10; ++i) {
        PyObject* v = PyList_GET_ITEM(values.get(), i);
        outcome ours = ours_dumps(v);
        outcome theirs = python_dumps(g_py.reference_dumps, v);
        raised += !theirs.ok;
        const std::string d = compare(ours, theirs);
        if (!d.empty()) {
            ++failures;
            ADD_FAILURE() << "value #" << i << " " << repr_of(v) << ": " << d;
        }
    }
    std::printf("[ info ] %zd random values, %d of them unserializable alike\n", n, raised);
    EXPECT_GE(n, 10000);
}

TEST(PythonJson, DumpsSpecialCasesExactlyAsPython) {
    ref fn(PyObject_GetAttrString(g_py.gen, "special_values"));
    ref cases(PyObject_CallFunctionObjArgs(fn.get(), nullptr));
    ASSERT_TRUE(cases) << fetch_python_error();
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(cases.get()); ++i) {
        PyObject* label = PyTuple_GET_ITEM(PyList_GET_ITEM(cases.get(), i), 0);
        PyObject* v = PyTuple_GET_ITEM(PyList_GET_ITEM(cases.get(), i), 1);
        outcome ours = ours_dumps(v);
        outcome theirs = python_dumps(g_py.reference_dumps, v);
        EXPECT_EQ(compare(ours, theirs), "") << PyString_AS_STRING(label);
    }
}

TEST(PythonJson, DumpsErrorsAreTheOnesJsonDumpsRaises) {
    ref fn(PyObject_GetAttrString(g_py.gen, "special_values"));
    ref cases(PyObject_CallFunctionObjArgs(fn.get(), nullptr));
    ASSERT_TRUE(cases) << fetch_python_error();
    auto find = [&](const std::string& label) -> PyObject* {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(cases.get()); ++i) {
            PyObject* item = PyList_GET_ITEM(cases.get(), i);
            if (label == PyString_AS_STRING(PyTuple_GET_ITEM(item, 0))) {
                return PyTuple_GET_ITEM(item, 1);
            }
        }
        ADD_FAILURE() << "no case " << label;
        return Py_None;
    };
    EXPECT_EQ(ours_dumps(find("circular list")).error, "exceptions.ValueError: Circular reference detected");
    EXPECT_EQ(ours_dumps(find("circular dict")).error, "exceptions.ValueError: Circular reference detected");
    EXPECT_EQ(ours_dumps(find("circular dict-list")).error, "exceptions.ValueError: Circular reference detected");
    EXPECT_EQ(ours_dumps(find("key tuple")).error, "exceptions.TypeError: keys must be a string");
    EXPECT_EQ(ours_dumps(find("unserializable set")).error,
              "exceptions.TypeError: set([1, 2]) is not JSON serializable");
    EXPECT_EQ(ours_dumps(find("str '\\xff'")).error,
              "exceptions.UnicodeDecodeError: 'utf8' codec can't decode byte 0xff in position 0: invalid start byte");
    EXPECT_EQ(ours_dumps(find("repr raises")).error, "exceptions.KeyError: 'no repr'");
    outcome shared = ours_dumps(find("shared not circular"));
    EXPECT_TRUE(shared.ok) << shared.error;
    EXPECT_EQ(shared.text, "[[1, 2], [1, 2], {\"a\": [1, 2]}]");
    EXPECT_EQ(ours_dumps(find("decimals")).text,
              "[1.10, 1E+2, -0, NaN, 123456789012345678901234567890.123456789, 3, -3, Infinity, -Infinity, sNaN, "
              "0E-10, 1.000, -0.0125, 0.1, 1E-7, -NaN, 9.999999999999999999999999999999999999999E+138, 7.70]");
}

TEST(PythonJson, ByteStringsAreDecodedAsPythonDoes) {
    // json.dumps decodes a str as UTF-8 (Python 2's rules); json.loads validates raw bytes in strings.
    ref strings = gen_call2("make_byte_strings", 5, 20000);
    ASSERT_TRUE(strings) << fetch_python_error();
    int accepted = 0, failures = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(strings.get()) && failures < 10; ++i) {
        PyObject* s = PyList_GET_ITEM(strings.get(), i);
        outcome ours = ours_dumps(s);
        outcome theirs = python_dumps(g_py.json_dumps, s);
        accepted += theirs.ok;
        std::string d = compare(ours, theirs);
        const std::string bytes(PyString_AS_STRING(s), static_cast<std::size_t>(PyString_GET_SIZE(s)));
        if (d.empty()) {
            outcome ours_loaded = ours_loads("[\"" + bytes + "\"]");
            outcome their_loaded = python_loads("[\"" + bytes + "\"]");
            d = compare(ours_loaded, their_loaded);
        }
        if (!d.empty()) {
            ++failures;
            ADD_FAILURE() << printable(bytes) << ": " << d;
        }
    }
    std::printf("[ info ] %zd byte strings, %d of them UTF-8 for Python\n", PyList_GET_SIZE(strings.get()), accepted);
}

// The escaping goes a word (8 bytes) at a time through plain runs: every byte value, and every UTF-8
// sequence (valid, truncated, an encoded surrogate), at every offset of plain strs of every length up to
// three words, alone and followed by a second one, as json.dumps writes (or refuses) them, and as
// json.loads reads them inside a JSON string (the decoder also checks for ASCII a word at a time). Code
// points the same way in unicode objects.
TEST(PythonJson, EveryByteAndCodePointAtEveryOffsetIsEscapedAsPython) {
    std::vector<std::string> specials;
    for (int b = 0; b < 256; ++b) specials.push_back(std::string(1, static_cast<char>(b)));
    for (const char* seq : {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xe2\x82", "\xf0\x9f"})
        specials.push_back(seq);
    const std::vector<std::uint32_t> code_points = {0,      0x1f,   ' ',     '"',     '\\',     '~',    0x7f,
                                                    0x80,   0xe9,   0x7ff,   0x800,   0x20ac,   0xd800, 0xdfff,
                                                    0xfffe, 0xffff, 0x10000, 0x1f600, 0x10ffff, '/',    'a'};
    int compared = 0, failures = 0;
    const auto check = [&](PyObject* v, const std::string& label) {
        ASSERT_NE(v, nullptr) << fetch_python_error();
        ref owned(v);
        const std::string d = compare(ours_dumps(v), python_dumps(g_py.json_dumps, v));
        ++compared;
        if (!d.empty() && ++failures <= 10) ADD_FAILURE() << label << ": " << d;
    };
    for (std::size_t length = 1; length <= 24 && failures == 0; ++length) {
        for (std::size_t at = 0; at < length; ++at) {
            for (const std::string& special : specials) {
                for (const bool second : {false, true}) {
                    std::string s(length, 'a');
                    s.replace(at, 1, special);
                    if (second) s.insert(s.size() - (length - at) / 2, special);
                    check(PyString_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size())), printable(s));
                    const std::string text = "[\"" + s + "\"]";  // and read back as raw bytes in a JSON text
                    const std::string d = compare(ours_loads(text), python_loads(text));
                    if (!d.empty() && ++failures <= 10) ADD_FAILURE() << "loads " << printable(text) << ": " << d;
                }
            }
            for (const std::uint32_t c : code_points) {
                std::vector<Py_UNICODE> u(length, 'a');
                u[at] = static_cast<Py_UNICODE>(c);
                check(PyUnicode_FromUnicode(u.data(), static_cast<Py_ssize_t>(u.size())),
                      "unicode of " + std::to_string(length) + " with U+" + std::to_string(c) + " at " +
                          std::to_string(at));
            }
        }
    }
    // Strings whose escapes make the output several times longer than the input, after other output.
    for (const char* expr : {"'\"' * 5000", "'\\x01' * 3000", "'ab\\xe2\\x82\\xac\"' * 2000", "u'\\U0001f600' * 3000",
                             "u'\\x00\"' * 2500", "['x' * 100, '\\x1f' * 4000, u'\\u20ac' * 4000]"}) {
        ref v(PyRun_String(expr, Py_eval_input, PyEval_GetBuiltins(), PyEval_GetBuiltins()));
        ASSERT_TRUE(v) << fetch_python_error();
        outcome theirs = python_dumps(g_py.json_dumps, v.get());
        ASSERT_TRUE(theirs.ok) << theirs.error;
        std::string out = "prefix:";
        ASSERT_TRUE(py::json_dumps(v.get(), out)) << fetch_python_error();
        EXPECT_EQ(out, "prefix:" + theirs.text) << expr;
        ++compared;
    }
    std::printf("[ info ] %d strings compared with json.dumps\n", compared);
}

TEST(PythonJson, DumpsAppendsToTheOutput) {
    ref v(PyRun_String("[1.5, u'\\xe9', {'a': None}, (True, False), 2 ** 64, 1e16, float('-inf')]", Py_eval_input,
                       PyEval_GetBuiltins(), PyEval_GetBuiltins()));
    ASSERT_TRUE(v) << fetch_python_error();
    std::string out = "prefix:";
    ASSERT_TRUE(py::json_dumps(v.get(), out)) << fetch_python_error();
    EXPECT_EQ(out, "prefix:[1.5, \"\\u00e9\", {\"a\": null}, [true, false], 18446744073709551616, 1e+16, -Infinity]");
}

// Floats are written with std::to_chars' shortest digits laid out as float.__repr__ does: compared with
// Python's repr on random bit patterns (every exponent, subnormals, both signs) and on decimal-looking
// values around every layout boundary (1e-5, 1e-4, 1e15, 1e16, 1e17).
TEST(PythonJson, FloatsAreWrittenAsFloatReprOnRandomBitPatterns) {
    std::mt19937_64 rng(20261126);
    int compared = 0;
    auto check = [&](double d) {
        ref f(PyFloat_FromDouble(d));
        std::string ours;
        ASSERT_TRUE(py::json_dumps(f.get(), ours)) << fetch_python_error();
        std::string theirs = "NaN";
        if (std::isinf(d)) {
            theirs = d > 0 ? "Infinity" : "-Infinity";
        } else if (!std::isnan(d)) {
            theirs = repr_of(f.get());
        }
        ASSERT_EQ(ours, theirs) << "bits " << std::hex << [&] {
            std::uint64_t b;
            std::memcpy(&b, &d, 8);
            return b;
        }();
        ++compared;
    };
    for (int i = 0; i < 200000; ++i) {
        const std::uint64_t bits = rng();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        check(d);
    }
    // Decimals such as prices and coordinates (the short-decimal path): N / 10^k for random N and k.
    std::uniform_int_distribution<int> digits(1, 17), scale(0, 22);
    for (int i = 0; i < 200000; ++i) {
        std::int64_t n = 0;
        for (int d = digits(rng); d > 0; --d) n = n * 10 + static_cast<std::int64_t>(rng() % 10);
        const double v = static_cast<double>(n) / std::pow(10.0, scale(rng));
        check(v);
        check(-v);
        check(std::nextafter(v, HUGE_VAL));
    }
    for (int e = -60; e <= 60; ++e) {
        check(std::ldexp(1.0, e));
        check(std::ldexp(1.0, e) * 3);
    }
    for (int e = -330; e <= 310; ++e) {
        for (double m : {1.0, 1.5, 9.999999999999999, 2.5, 7.0, 1.2345678901234567, 0.1, 0.3, 4.35, 123.25}) {
            const double d = m * std::pow(10.0, e);
            check(d);
            check(-d);
            check(std::nextafter(d, 0.0));
            check(std::nextafter(d, HUGE_VAL));
        }
    }
    std::printf("[ info ] %d floats compared with repr()\n", compared);
}

// Key objects are shared within a document and kept for the next documents (a function's events repeat
// their keys; Python 2.7's scanner made equal copies, and the values compare equal either way, as every
// differential test here checks). String values are never shared. A memo that filled up with distinct
// keys starts over.
TEST(PythonJson, LoadsSharesKeyObjectsWithinAndAcrossDocuments) {
    const char* text = R"([{"id": 1, "name": "a"}, {"id": 2, "name": "a"}])";
    const auto sorted_keys = [](PyObject* dict) {
        ref keys(PyDict_Keys(dict));
        EXPECT_EQ(PyList_Sort(keys.get()), 0);
        return keys;
    };
    ref v(py::json_loads(text));
    ASSERT_TRUE(v) << fetch_python_error();
    ref theirs = call(g_py.json_loads, ref(PyString_FromString(text)).get());
    ASSERT_TRUE(theirs) << fetch_python_error();
    EXPECT_EQ(PyObject_RichCompareBool(v.get(), theirs.get(), Py_EQ), 1);
    ref k0 = sorted_keys(PyList_GET_ITEM(v.get(), 0)), k1 = sorted_keys(PyList_GET_ITEM(v.get(), 1));
    EXPECT_EQ(PyList_GET_ITEM(k0.get(), 0), PyList_GET_ITEM(k1.get(), 0));
    EXPECT_EQ(PyList_GET_ITEM(k0.get(), 1), PyList_GET_ITEM(k1.get(), 1));
    EXPECT_NE(PyDict_GetItemString(PyList_GET_ITEM(v.get(), 0), "name"),
              PyDict_GetItemString(PyList_GET_ITEM(v.get(), 1), "name"));
    // The next document gets the same key objects.
    ref w(py::json_loads(text));
    ref k2 = sorted_keys(PyList_GET_ITEM(w.get(), 0));
    EXPECT_EQ(PyList_GET_ITEM(k0.get(), 0), PyList_GET_ITEM(k2.get(), 0));
    EXPECT_EQ(PyList_GET_ITEM(k0.get(), 1), PyList_GET_ITEM(k2.get(), 1));
    // A document with more distinct keys than the memo holds is still json.loads's value; after it the
    // memo starts over, so the next "id" is a new object.
    std::string many = "{";
    for (int i = 0; i < 3000; ++i) many += "\"key-" + std::to_string(i) + "\": " + std::to_string(i) + ", ";
    many += "\"id\": 0}";
    ref m(py::json_loads(many));
    ASSERT_TRUE(m) << fetch_python_error();
    ref m_theirs = call(g_py.json_loads, ref(PyString_FromString(many.c_str())).get());
    EXPECT_EQ(PyObject_RichCompareBool(m.get(), m_theirs.get(), Py_EQ), 1);
    ref after(py::json_loads(text));
    ref k3 = sorted_keys(PyList_GET_ITEM(after.get(), 0));
    EXPECT_NE(PyList_GET_ITEM(k0.get(), 0), PyList_GET_ITEM(k3.get(), 0));
    EXPECT_EQ(PyObject_RichCompareBool(PyList_GET_ITEM(k0.get(), 0), PyList_GET_ITEM(k3.get(), 0), Py_EQ), 1);
}

// A large event is built with the collector paused and not counted as allocations: no collection runs
// while it is built, none is due because of it afterwards, and the collector still finds a cycle made of
// its containers later.
TEST(PythonJson, LargeEventsLeaveTheCollectorAsTheyFoundIt) {
    ref gcmod(PyImport_ImportModule("gc"));
    ASSERT_TRUE(gcmod) << fetch_python_error();
    ref collected(PyObject_CallMethod(gcmod.get(), const_cast<char*>("collect"), nullptr));
    auto count0 = [&] {
        ref c(PyObject_CallMethod(gcmod.get(), const_cast<char*>("get_count"), nullptr));
        return PyInt_AsLong(PyTuple_GET_ITEM(c.get(), 0));
    };
    std::string text = "[";
    for (int i = 0; i < 5000; ++i) {
        text += (i ? ", " : "") + std::string(R"({"k": [1, 2], "n": {"x": [3]}})");
    }
    text += "]";
    const long before = count0();
    ref v(py::json_loads(text));
    ASSERT_TRUE(v) << fetch_python_error();
    const long after = count0();
    EXPECT_LE(after, before + 10) << "the 15,000 containers built count as allocations";
    ref enabled(PyObject_CallMethod(gcmod.get(), const_cast<char*>("isenabled"), nullptr));
    EXPECT_EQ(enabled.get(), Py_True);
    // A cycle through the event's containers is still collected once the event is dropped.
    ASSERT_EQ(PyDict_SetItemString(PyList_GET_ITEM(v.get(), 0), "self", v.get()), 0);
    v = ref();  // only the cycle holds the event now
    ref n(PyObject_CallMethod(gcmod.get(), const_cast<char*>("collect"), nullptr));
    ASSERT_TRUE(n) << fetch_python_error();
    EXPECT_GE(PyInt_AsLong(n.get()), 20000);  // the list, 5,000 records, their lists and inner dicts
}

TEST(PythonJson, LoadsMatchesPythonOnDumpedRandomValues) {
    ref values = gen_call2("make_values", 20240601, 12000);
    ASSERT_TRUE(values) << fetch_python_error();
    int checked = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(values.get()); ++i) {
        outcome dumped = python_dumps(g_py.reference_dumps, PyList_GET_ITEM(values.get(), i));
        if (!dumped.ok) {
            continue;
        }
        expect_loads_like_python(dumped.text, "value #" + std::to_string(i));
        ++checked;
        if (::testing::Test::HasFailure() && checked > 10) {
            break;
        }
    }
    std::printf("[ info ] %d texts of json.dumps(random value) decoded alike\n", checked);
    EXPECT_GE(checked, 10000);
}

TEST(PythonJson, LoadsMatchesPythonOnRandomAndMutatedTexts) {
    ref texts = gen_call2("make_texts", 99, 40000);
    ASSERT_TRUE(texts) << fetch_python_error();
    int accepted = 0, rejected = 0, failures = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(texts.get()) && failures < 10; ++i) {
        PyObject* t = PyList_GET_ITEM(texts.get(), i);
        const std::string text(PyString_AS_STRING(t), static_cast<std::size_t>(PyString_GET_SIZE(t)));
        outcome ours = ours_loads(text);
        outcome theirs = python_loads(text);
        (theirs.ok ? accepted : rejected) += 1;
        const std::string d = compare(ours, theirs);
        if (!d.empty()) {
            ++failures;
            ADD_FAILURE() << "text #" << i << " " << printable(text) << ": " << d;
        }
    }
    std::printf("[ info ] %d texts accepted alike, %d rejected with the same exception\n", accepted, rejected);
    EXPECT_GE(accepted, 10000);
    EXPECT_GE(rejected, 5000);
}

TEST(PythonJson, LoadsRejectsInvalidInputExactlyAsPython) {
    const std::string deep_open(100000, '[');
    std::string deep_objects;
    for (int i = 0; i < 100000; ++i) {
        deep_objects += "{\"a\":";
    }
    // clang-format off: a table, laid out by hand
    const std::vector<std::string> inputs = {
        ""s,
        " "s,
        "\t\n\r "s,
        "["s,
        "]"s,
        "{"s,
        "}"s,
        "[1"s,
        "[1,"s,
        "{\"a\""s,
        "{\"a\":"s,
        "{\"a\":1"s,
        "{\"a\":1,"s,
        "[1,]"s,
        "{\"a\":1,}"s,
        "{\"a\"}"s,
        "{a:1}"s,
        "{'a':1}"s,
        "'a'"s,
        "\"abc"s,
        "\"\\"s,
        "\"\\x\""s,
        "\"\\u12\""s,
        "\"\\u12g4\""s,
        "\"\\uXXXX\""s,
        "\"\\U0041\""s,
        "\"\\ud83d\\ude0\""s,
        "\"\\ud83d\\ude00"s,
        "\"\\ud83d\\u\""s,
        "\"a\x01"
        "b\""s,
        "\"tab\there\""s,
        "\"nl\nhere\""s,
        "\"a\0b\""s,
        "\"\x1f\""s,
        "\"\xff\""s,
        "\"\xc3\""s,
        "[\"\xc3\xa9\", \"\xe9\"]"s,
        "\"\xc0\x80\""s,
        "\"\xf4\x90\x80\x80\""s,
        "\xff"s,
        "\xef\xbb\xbf{}"s,
        "[1] x"s,
        "1 2"s,
        "{} {}"s,
        "[]]"s,
        "01"s,
        "-01"s,
        "00"s,
        "1."s,
        "1.e5"s,
        ".5"s,
        "+1"s,
        "1e"s,
        "1e+"s,
        "1E-"s,
        "-"s,
        "--1"s,
        "-a"s,
        "0x10"s,
        "1_000"s,
        "tru"s,
        "nul"s,
        "fals"s,
        "True"s,
        "None"s,
        "nan"s,
        "inf"s,
        "-NaN"s,
        "+Infinity"s,
        "Infinity1"s,
        "-Infinityx"s,
        "[NaN,]"s,
        "\"\\u0000\" x"s,
        "[1 2]"s,
        "{\"a\" 1}"s,
        "{\"a\":1 \"b\":2}"s,
        "[\"a\":1]"s,
        "{1:2}"s,
        "{\"a\":1}}"s,
        "[1]\0"s,
        "/*c*/1"s,
        "1 //c"s,
        "\xc2\xa0"
        "1"s,
        "\x0b"
        "1"s,
        "\f1"s,
        "[\f]"s,
        "{\"a\":[1,{\"b\":}]}"s,
        "[1,\n2,\n3,\n]"s,
        "{\n\"x\": tru\n}"s,
        deep_open,
        deep_objects,
        deep_open + std::string(100000, ']'),
    };
    // clang-format on
    ASSERT_GE(inputs.size(), 40u);
    for (const std::string& text : inputs) {
        EXPECT_FALSE(expect_loads_like_python(text)) << "the table holds invalid inputs: " << printable(text);
    }
    // The messages are Python's: a few spelled out.
    EXPECT_EQ(ours_loads("").error, "exceptions.ValueError: No JSON object could be decoded");
    EXPECT_EQ(ours_loads("[1,]").error, "exceptions.ValueError: No JSON object could be decoded");
    EXPECT_EQ(ours_loads("{\"a\":1, x}").error,
              "exceptions.ValueError: Expecting property name: line 1 column 9 (char 8)");
    EXPECT_EQ(ours_loads("[1] [2]").error,
              "exceptions.ValueError: Extra data: line 1 column 5 - line 1 column 8 (char 4 - 7)");
    // (Python 2.7's C scanner has no "Expecting object": a missing value is a StopIteration, so:)
    EXPECT_EQ(ours_loads("{\"a\": x}").error, "exceptions.ValueError: No JSON object could be decoded");
    EXPECT_EQ(ours_loads("[1 2]").error, "exceptions.ValueError: Expecting , delimiter: line 1 column 4 (char 3)");
    EXPECT_EQ(ours_loads("\"\xff\"").error,
              "exceptions.UnicodeDecodeError: 'utf8' codec can't decode byte 0xff in position 0: invalid start byte");
    EXPECT_EQ(ours_loads(deep_open).error,
              "exceptions.RuntimeError: maximum recursion depth exceeded while decoding a JSON array from a byte "
              "string");
}

TEST(PythonJson, LoadsValidEdgeCasesExactlyAsPython) {
    // clang-format off: a table, laid out by hand
    std::vector<std::string> inputs = {
        "\"\\ud83d\\ude00\""s,
        "\"\\uD83D\\uDE00\""s,
        "[\"\\ud83d\\ude00\"]"s,
        "\"\\ud800\""s,
        "\"\\udc00\""s,
        "\"\\ud800\\u0041\""s,
        "\"\\ud800\\ud800\""s,
        "\"\\udbff\\udfff\""s,
        "\"\\ud800x\""s,
        "\"\\u0000\""s,
        "\"\\/\\b\\f\\n\\r\\t\\\"\\\\\""s,
        "\"\xed\xa0\x80\""s,
        "\"\xf0\x9f\x98\x80\""s,
        "\"\xe2\x80\xa8\""s,
        "\"\x7f\""s,
        "\"\xc3\xa9\\u00e9\xc3\xa9\""s,
        "NaN"s,
        "-Infinity"s,
        "Infinity"s,
        "[Infinity, NaN, -Infinity]"s,
        "{\"NaN\": NaN}"s,
        "{\"a\":1,\"a\":2}"s,
        "{\"a\":1,\"b\":2,\"a\":3}"s,
        " \t\n\r[ 1 , 2 ]\r\n\t "s,
        "true"s,
        "false"s,
        "null"s,
        "[]"s,
        "{}"s,
        "\"\""s,
        "[[[]]]"s,
        "{\"\":{\"\":{}}}"s,
        "[true,false,null]"s,
        "{\"k\": \"\\u00e9\", \"k2\": [1, 2.5, \"x\"]}"s,
        "[1, 1.0, 1e400, -0, -0.0, 99999999999999999999]"s,
    };
    // clang-format on
    ref numbers(PyObject_GetAttrString(g_py.gen, "NUMBER_TEXTS"));
    ASSERT_TRUE(numbers) << fetch_python_error();
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(numbers.get()); ++i) {
        const std::string n = PyString_AS_STRING(PyList_GET_ITEM(numbers.get(), i));
        inputs.push_back(n);
        inputs.push_back("[" + n + "," + n + "]");
        inputs.push_back("{\"" + n + "\":" + n + "}");
    }
    // Long strings: Boost hands them over in parts.
    std::string escaped = "\"", raw = "\"";
    for (int i = 0; i < 20000; ++i) {
        escaped += i % 97 == 0 ? "\\n\\u00e9\\ud83d\\ude00" : "ab";
        raw += i % 89 == 0 ? "\xe2\x82\xac" : "cd";
    }
    inputs.push_back(escaped + "\"");
    inputs.push_back(raw + "\"");
    inputs.push_back("{" + escaped + "\": " + raw + "\"}");
    // Many keys: the dict's iteration order must be the one Python builds.
    std::string many = "{";
    for (int i = 0; i < 3000; ++i) {
        many += (i ? ", \"" : "\"") + std::to_string((i * 7919) % 5003) + "\": " + std::to_string(i);
    }
    inputs.push_back(many + "}");
    // Nesting around Boost's default limit and the fast path's.
    for (int depth : {31, 32, 33, 100, 480, 499, 500, 501, 600, 900}) {
        inputs.push_back(std::string(depth, '[') + "1" + std::string(depth, ']'));
        std::string objects;
        for (int i = 0; i < depth; ++i) {
            objects += "{\"a\":";
        }
        inputs.push_back(objects + "[]" + std::string(depth, '}'));
    }
    for (const std::string& text : inputs) {
        EXPECT_TRUE(expect_loads_like_python(text)) << "the table holds valid inputs: " << printable(text);
    }
}

TEST(PythonJson, LoadsGivesPythonTypes) {
    ref v(
        py::json_loads("[1, 1.0, 1e400, -0, -0.0, 99999999999999999999, \"s\", -9223372036854775808, "
                       "9223372036854775808, {\"k\": null}]"));
    ASSERT_TRUE(v) << fetch_python_error();
    PyObject* l = v.get();
    EXPECT_TRUE(PyInt_CheckExact(PyList_GET_ITEM(l, 0)));
    EXPECT_TRUE(PyFloat_CheckExact(PyList_GET_ITEM(l, 1)));
    EXPECT_TRUE(std::isinf(PyFloat_AS_DOUBLE(PyList_GET_ITEM(l, 2))));
    EXPECT_TRUE(PyInt_CheckExact(PyList_GET_ITEM(l, 3)));
    EXPECT_EQ(PyInt_AS_LONG(PyList_GET_ITEM(l, 3)), 0);
    EXPECT_TRUE(std::signbit(PyFloat_AS_DOUBLE(PyList_GET_ITEM(l, 4))));
    EXPECT_TRUE(PyLong_CheckExact(PyList_GET_ITEM(l, 5)));
    EXPECT_TRUE(PyUnicode_CheckExact(PyList_GET_ITEM(l, 6)));
    EXPECT_TRUE(PyInt_CheckExact(PyList_GET_ITEM(l, 7)));
    EXPECT_TRUE(PyLong_CheckExact(PyList_GET_ITEM(l, 8)));
    PyObject* d = PyList_GET_ITEM(l, 9);
    ASSERT_TRUE(PyDict_CheckExact(d));
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    ASSERT_TRUE(PyDict_Next(d, &pos, &key, &value));
    EXPECT_TRUE(PyUnicode_CheckExact(key));
    EXPECT_EQ(value, Py_None);
}

// ---- nesting limits --------------------------------------------------------------------------------

TEST(PythonJson, LoadsNestingBoundaryIsPythons) {
    const int saved = Py_GetRecursionLimit();
    for (int limit : {1000, 120, 40}) {
        Py_SetRecursionLimit(limit);
        for (int depth = limit - 40 > 0 ? limit - 40 : 1; depth <= limit + 5; ++depth) {
            expect_loads_like_python(std::string(depth, '[') + std::string(depth, ']'),
                                     "limit " + std::to_string(limit));
            std::string objects;
            for (int i = 0; i < depth; ++i) {
                objects += "{\"a\":";
            }
            expect_loads_like_python(objects + "0" + std::string(depth, '}'), "limit " + std::to_string(limit));
        }
    }
    Py_SetRecursionLimit(saved);
}

TEST(PythonJson, DumpsNestingBoundaryIsPythons) {
    // Innermost values: containers, str() of ints (PyObject_Str has its own recursion check), user
    // __str__ code, json's `default` (TypeError), scalars without checks.
    ref innermost(
        PyRun_String("[1, 2 ** 80, [], {}, [1], {'k': 1}, {7: 1}, {True: 1}, IntSub(3), {IntSub(4): 1}, "
                     "set(), object(), 2.5, u'x', 'y', None]",
                     Py_eval_input, PyModule_GetDict(g_py.gen), PyModule_GetDict(g_py.gen)));
    ASSERT_TRUE(innermost) << fetch_python_error();
    const int saved = Py_GetRecursionLimit();
    for (int limit : {1000, 100, 20}) {
        Py_SetRecursionLimit(limit);
        for (int depth = limit - 12 > 0 ? limit - 12 : 0; depth <= limit + 1; ++depth) {
            std::vector<ref> values;
            for (Py_ssize_t i = 0; i < PyList_GET_SIZE(innermost.get()); ++i) {
                values.push_back(nested_lists(depth, PyList_GET_ITEM(innermost.get(), i)));
                values.push_back(nested_dicts(depth, PyList_GET_ITEM(innermost.get(), i)));
            }
            for (const ref& v : values) {
                outcome ours = ours_dumps(v.get());
                outcome theirs = python_dumps(g_py.json_dumps, v.get());
                EXPECT_EQ(compare(ours, theirs), "")
                    << "limit " << limit << " depth " << depth << " " << repr_of(v.get(), 20);
            }
        }
    }
    Py_SetRecursionLimit(saved);
}

TEST(PythonJson, HundredThousandLevelsDoNotCrash) {
    const std::string open(100000, '['), close(100000, ']');
    expect_loads_like_python(open + close);
    expect_loads_like_python(open);
    ref deep = nested_lists(100000, Py_None);
    outcome ours = ours_dumps(deep.get());
    outcome theirs = python_dumps(g_py.json_dumps, deep.get());
    EXPECT_EQ(compare(ours, theirs), "");
    EXPECT_EQ(ours.error, "exceptions.RuntimeError: maximum recursion depth exceeded while encoding a JSON object");
}

// ---- speed (not run by default: --gtest_also_run_disabled_tests) ---------------------------------------

TEST(PythonJson, DISABLED_SpeedOfASmallEvent) {
    ref event = gen_call2("make_event", 4, 1500);
    ASSERT_TRUE(event) << fetch_python_error();
    const std::string text(PyString_AS_STRING(event.get()), static_cast<std::size_t>(PyString_GET_SIZE(event.get())));
    using clock = std::chrono::steady_clock;
    const int rounds = 20000;
    auto t0 = clock::now();
    for (int i = 0; i < rounds; ++i) {
        ref v(py::json_loads(text));
        std::string out;
        ASSERT_TRUE(v && py::json_dumps(v.get(), out)) << fetch_python_error();
    }
    auto t1 = clock::now();
    for (int i = 0; i < rounds; ++i) {
        ref s(PyString_FromStringAndSize(text.data(), static_cast<Py_ssize_t>(text.size())));
        ref v = call(g_py.json_loads, s.get());
        ref out = call(g_py.json_dumps, v.get());
        ASSERT_TRUE(out) << fetch_python_error();
    }
    auto t2 = clock::now();
    auto us = [&](clock::duration d) { return std::chrono::duration<double, std::micro>(d).count() / rounds; };
    std::printf("[ speed ] %zu-byte event, loads + dumps: ours %.2f us, Python %.2f us\n", text.size(), us(t1 - t0),
                us(t2 - t1));
}

TEST(PythonJson, DISABLED_SpeedOfAOneMegabyteEvent) {
    ref event = gen_call2("make_event", 3, 1 << 20);
    ASSERT_TRUE(event) << fetch_python_error();
    const std::string text(PyString_AS_STRING(event.get()), static_cast<std::size_t>(PyString_GET_SIZE(event.get())));
    using clock = std::chrono::steady_clock;
    using ms = std::chrono::duration<double, std::milli>;
    const int rounds = 20;
    struct timing {
        double total = 0, best = 1e300;
        void add(clock::duration d) {
            const double t = ms(d).count();
            total += t;
            best = t < best ? t : best;
        }
    } ours_loads_t, ours_dumps_t, py_loads_t, py_dumps_t;
    for (int i = 0; i <= rounds; ++i) {  // round 0 warms up
        auto t0 = clock::now();
        ref v(py::json_loads(text));
        auto t1 = clock::now();
        std::string out;
        ASSERT_TRUE(v && py::json_dumps(v.get(), out)) << fetch_python_error();
        auto t2 = clock::now();
        ref s(PyString_FromStringAndSize(text.data(), static_cast<Py_ssize_t>(text.size())));
        auto t3 = clock::now();
        ref pv = call(g_py.json_loads, s.get());
        auto t4 = clock::now();
        ref ps = call(g_py.json_dumps, pv.get());
        auto t5 = clock::now();
        ASSERT_TRUE(pv && ps) << fetch_python_error();
        ASSERT_EQ(out,
                  std::string(PyString_AS_STRING(ps.get()), static_cast<std::size_t>(PyString_GET_SIZE(ps.get()))));
        ASSERT_EQ(typed_diff(v.get(), pv.get()), "");
        if (i > 0) {
            ours_loads_t.add(t1 - t0);
            ours_dumps_t.add(t2 - t1);
            py_loads_t.add(t4 - t3);
            py_dumps_t.add(t5 - t4);
        }
    }
    std::printf(
        "[ speed ] %zu-byte event, %d rounds, mean (best) in ms:\n"
        "[ speed ]   json_loads %7.2f (%7.2f)   Python json.loads %7.2f (%7.2f)\n"
        "[ speed ]   json_dumps %7.2f (%7.2f)   Python json.dumps %7.2f (%7.2f)\n",
        text.size(), rounds, ours_loads_t.total / rounds, ours_loads_t.best, py_loads_t.total / rounds, py_loads_t.best,
        ours_dumps_t.total / rounds, ours_dumps_t.best, py_dumps_t.total / rounds, py_dumps_t.best);
}
}  // namespace
