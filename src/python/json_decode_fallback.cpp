// What json_loads leaves to Python: json.loads on what the fast path refuses, and gc's pause.
#include "json_decode_fallback.hpp"

#include "python/collector.hpp"
#include "python/fast_json.hpp"

namespace lambda_py27::python::detail {

PyObject* python_json_loads(std::string_view text) {
    static PyObject* loads = nullptr;  // json.loads, imported once (the interpreter is never finalised)
    if (loads == nullptr) {
        PyObject* json = PyImport_ImportModule("json");
        if (json == nullptr) {
            return nullptr;
        }
        // json's own loads, also when the function's json calls are routed (LAMBDA_PY27_FAST_JSON): the
        // import above may be what installs that routing.
        loads = original_json_loads();
        if (loads != nullptr) {
            Py_INCREF(loads);
        } else {
            loads = PyObject_GetAttrString(json, "loads");
        }
        Py_DECREF(json);
        if (loads == nullptr) {
            return nullptr;
        }
    }
    PyObject* s = PyString_FromStringAndSize(text.data(), static_cast<Py_ssize_t>(text.size()));
    if (s == nullptr) {
        return nullptr;
    }
    PyObject* result = PyObject_CallFunctionObjArgs(loads, s, nullptr);
    Py_DECREF(s);
    return result;
}

gc_pause::gc_pause() {
    // The collector only costs time: a failure here is ignored (and its exception dropped).
    if (functions_ready()) {
        PyObject* enabled = PyObject_CallFunctionObjArgs(isenabled_, nullptr);
        paused_ = enabled == Py_True && call(disable_);
        Py_XDECREF(enabled);
    }
    if (PyErr_Occurred()) {
        PyErr_Clear();
    }
    if (paused_) {
        if (detail::gc_generation* g = detail::gc_generations(); g != nullptr) {
            counter_ = &g[0].count;  // generation 0's allocation count
            saved_count_ = *counter_;
        }
    }
}

gc_pause::~gc_pause() {
    if (paused_) {
        if (counter_ != nullptr && *counter_ > saved_count_) {
            *counter_ = saved_count_;
        }
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        call(enable_);
        PyErr_Clear();
        PyErr_Restore(type, value, tb);
    }
}

bool gc_pause::call(PyObject* fn) {
    PyObject* r = PyObject_CallFunctionObjArgs(fn, nullptr);
    Py_XDECREF(r);
    return r != nullptr;
}

bool gc_pause::functions_ready() {
    if (isenabled_ == nullptr) {
        PyObject* gc = PyImport_ImportModule("gc");
        if (gc == nullptr) {
            return false;
        }
        enable_ = PyObject_GetAttrString(gc, "enable");
        disable_ = PyObject_GetAttrString(gc, "disable");
        isenabled_ = enable_ && disable_ ? PyObject_GetAttrString(gc, "isenabled") : nullptr;
        Py_DECREF(gc);
    }
    return isenabled_ != nullptr;
}

}  // namespace lambda_py27::python::detail
