// The rare paths of json_dumps: Decimal, the TypeError of anything else, str() of odd integers.
#include "json_encode_fallback.hpp"

#include <cstddef>

namespace lambda_py27::python::detail {
namespace {

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

}  // namespace

bool append_and_drop(json_sink& out, PyObject* s) {
    if (s == nullptr) {
        return false;
    }
    out.put(PyString_AS_STRING(s), static_cast<std::size_t>(PyString_GET_SIZE(s)));
    Py_DECREF(s);
    return true;
}

bool append_unserializable(json_sink& out, PyObject* o, long depth, long limit) {
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
    if (depth + 2 > limit) {
        PyErr_SetString(PyExc_RuntimeError, "maximum recursion depth exceeded while calling a Python object");
        return false;
    }
    if (depth + 3 > limit) {
        PyErr_SetString(PyExc_RuntimeError, "maximum recursion depth exceeded");
        return false;
    }
    recursion_depth_scope scope(depth + 3);
    if (is_decimal != 0) {
        return append_and_drop(out, PyObject_Str(o));
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

}  // namespace lambda_py27::python::detail
