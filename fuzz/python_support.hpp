// What the Python-side fuzz targets share: the interpreter (started once, as the runtime starts it), the
// outcome of a call (a value or an exception), and a strict comparison of two outcomes.
#pragma once

#include <lambda_py27/python/interpreter.hpp>

#include <Python.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace lambda_py27_fuzz {

/// Starts CPython 2.7 with the runtime's own set-up and keeps the GIL for the fuzzer's single thread.
inline void start_python() {
    static std::unique_ptr<lambda_py27::python::interpreter> interp;
    if (interp) return;
    lambda_py27::python::interpreter_options o;
    o.change_directory = false;
    interp = std::make_unique<lambda_py27::python::interpreter>(std::move(o));
}

/// Runs Python source in a fresh module namespace and returns one of its globals (new reference). Aborts
/// when the code fails: a fuzz target without its reference is useless.
inline PyObject* python_global(const char* source, const char* name) {
    static PyObject* globals = nullptr;
    if (globals == nullptr) {
        globals = PyDict_New();
        PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins());
    }
    if (source != nullptr) {
        PyObject* r = PyRun_String(source, Py_file_input, globals, globals);
        if (r == nullptr) {
            PyErr_Print();
            std::abort();
        }
        Py_DECREF(r);
    }
    PyObject* v = PyDict_GetItemString(globals, name);
    if (v == nullptr) {
        std::fprintf(stderr, "fuzz support: no global %s\n", name);
        std::abort();
    }
    Py_INCREF(v);
    return v;
}

inline std::string text_of(PyObject* o, bool use_repr) {
    if (o == nullptr) return "<null>";
    PyObject* s = use_repr ? PyObject_Repr(o) : PyObject_Str(o);
    if (s == nullptr) {
        PyErr_Clear();
        return "<unprintable>";
    }
    std::string out;
    if (PyString_Check(s)) {
        out.assign(PyString_AS_STRING(s), static_cast<std::size_t>(PyString_GET_SIZE(s)));
    } else if (PyUnicode_Check(s)) {
        if (PyObject* b = PyUnicode_AsUTF8String(s)) {
            out.assign(PyString_AS_STRING(b), static_cast<std::size_t>(PyString_GET_SIZE(b)));
            Py_DECREF(b);
        } else {
            PyErr_Clear();
            out = "<unicode>";
        }
    }
    Py_DECREF(s);
    return out;
}

/// A call's result: a value (owned), or the exception's type name and str().
struct outcome {
    PyObject* value = nullptr;
    std::string error_type;
    std::string error_message;

    outcome() = default;
    outcome(const outcome&) = delete;
    outcome& operator=(const outcome&) = delete;
    ~outcome() { Py_XDECREF(value); }

    bool failed() const { return value == nullptr; }

    /// Takes `result` (a new reference or nullptr with the exception set).
    static void capture(outcome& out, PyObject* result) {
        out.value = result;
        if (result != nullptr) return;
        PyObject *type = nullptr, *value = nullptr, *tb = nullptr;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        if (type == nullptr) {
            out.error_type = "<no exception set>";
        } else {
            const char* name = PyExceptionClass_Check(type) ? PyExceptionClass_Name(type) : "<not a class>";
            out.error_type = name != nullptr ? name : "<unnamed>";
            out.error_message = text_of(value, false);
        }
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
    }

    std::string describe() const {
        return failed() ? error_type + ": " + error_message : "value " + text_of(value, true);
    }
};

/// True when `a` and `b` are the same value in every way json cares about: the same exact types all
/// the way down, floats bit for bit (so -0.0 differs from 0.0 and NaN equals NaN), dict members in the
/// same iteration order.
inline bool same_value(PyObject* a, PyObject* b) {
    if (Py_TYPE(a) != Py_TYPE(b)) return false;
    if (PyFloat_CheckExact(a)) {
        const double x = PyFloat_AS_DOUBLE(a), y = PyFloat_AS_DOUBLE(b);
        return std::memcmp(&x, &y, sizeof x) == 0;
    }
    if (PyList_CheckExact(a)) {
        if (PyList_GET_SIZE(a) != PyList_GET_SIZE(b)) return false;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(a); ++i)
            if (!same_value(PyList_GET_ITEM(a, i), PyList_GET_ITEM(b, i))) return false;
        return true;
    }
    if (PyDict_CheckExact(a)) {
        if (PyDict_Size(a) != PyDict_Size(b)) return false;
        Py_ssize_t pa = 0, pb = 0;
        PyObject *ka, *va, *kb, *vb;
        while (PyDict_Next(a, &pa, &ka, &va)) {
            if (!PyDict_Next(b, &pb, &kb, &vb)) return false;
            if (!same_value(ka, kb) || !same_value(va, vb)) return false;
        }
        return true;
    }
    const int eq = PyObject_RichCompareBool(a, b, Py_EQ);
    if (eq < 0) {
        PyErr_Clear();
        return false;
    }
    return eq == 1;
}

/// Both outcomes are the same value, or the same exception type with the same message.
inline bool same_outcome(const outcome& a, const outcome& b) {
    if (a.failed() != b.failed()) return false;
    if (a.failed()) return a.error_type == b.error_type && a.error_message == b.error_message;
    return same_value(a.value, b.value);
}

[[noreturn]] inline void report_difference(const char* what, const char* input, std::size_t size,
                                           const std::string& ours, const std::string& reference) {
    std::fprintf(
        stderr,
        "\n==== %s: lambda-py27 and Python differ\ninput (%zu bytes): %.*s\nours:      %.2000s\nreference: %.2000s\n",
        what, size, static_cast<int>(size < 2000 ? size : 2000), input, ours.c_str(), reference.c_str());
    std::abort();
}

}  // namespace lambda_py27_fuzz
