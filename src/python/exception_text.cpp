// The current Python exception as text: the one place that turns a pending Python exception into a C++
// string (CONTRIBUTING.md, the error model).
#include "python/support.hpp"

#include <boost/python.hpp>

#include <cstdio>
#include <string>

namespace bp = boost::python;

namespace lambda_py27::python::detail {
namespace {

// The bytes of a str, or a unicode's UTF-8.
std::string utf8(const bp::object& text) {
    if (PyUnicode_Check(text.ptr()))
        return bp::extract<std::string>(bp::object(bp::handle<>(PyUnicode_AsUTF8String(text.ptr()))));
    return bp::extract<std::string>(text);
}

}  // namespace

std::string pending_exception_text() {
    PyObject *type = nullptr, *value = nullptr, *tb = nullptr;
    PyErr_Fetch(&type, &value, &tb);
    std::string text = "unknown Python error";
    if (value != nullptr || type != nullptr) {
        PyObject* s = PyObject_Str(value != nullptr ? value : type);
        if (s != nullptr && PyString_Check(s)) text = PyString_AS_STRING(s);
        Py_XDECREF(s);
        PyErr_Clear();
    }
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return text;
}

std::string print_pending_exception() {
    PyObject *type = nullptr, *value = nullptr, *tb = nullptr;
    PyErr_Fetch(&type, &value, &tb);
    if (type == nullptr) return "unknown Python error";
    PyErr_NormalizeException(&type, &value, &tb);
    std::string line = "unknown Python error";
    try {
        const auto own = [](PyObject* o) { return o != nullptr ? bp::object(bp::handle<>(o)) : bp::object(); };
        const bp::object t = own(type), v = own(value), b = own(tb);
        const bp::object traceback = bp::import("traceback");
        const bp::object text = bp::str("").join(traceback.attr("format_exception")(t, v, b));
        const bp::object last = bp::str("").join(traceback.attr("format_exception_only")(t, v)).attr("strip")();
        std::fputs(utf8(text).c_str(), stderr);
        line = utf8(last);
    } catch (const bp::error_already_set&) {
        PyErr_Clear();
    }
    return line;
}

}  // namespace lambda_py27::python::detail
