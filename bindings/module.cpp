// Module `_lambda_py27`: the context classes and the few native functions the Python-side support code
// uses. Registered as a built-in module by the interpreter guard before Python starts.
#include <lambda_py27/python/json.hpp>
#include <lambda_py27/python/log.hpp>
#include "python/context.hpp"
#include "python/fast_json.hpp"
#include "python/logging_handler.hpp"
#include "python/logging_record.hpp"
#include "python/support.hpp"
#include "runtime/diagnostic.hpp"

#include <boost/python.hpp>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace bp = boost::python;

namespace lambda_py27::python::detail {

namespace {

// The bytes of a record: unicode as UTF-8, anything else as str().
void log_object(PyObject* obj, log_level level = log_level::plain) {
    PyObject* bytes = nullptr;
    if (PyUnicode_Check(obj))
        bytes = PyUnicode_AsUTF8String(obj);
    else
        bytes = PyObject_Str(obj);
    if (bytes == nullptr) bp::throw_error_already_set();
    write_log(std::string_view(PyString_AS_STRING(bytes), static_cast<std::size_t>(PyString_GET_SIZE(bytes))), level);
    Py_DECREF(bytes);
}

// A file-like object whose writes become log records; stands in for sys.stdout/sys.stderr where the
// output must be captured (in-process invocation).
struct log_writer {
    void write(const bp::object& text) { log_object(text.ptr()); }
    void writelines(const bp::object& lines) {
        const bp::object it{bp::handle<>(PyObject_GetIter(lines.ptr()))};
        while (PyObject* line = PyIter_Next(it.ptr())) {
            const bp::object owned{bp::handle<>(line)};
            log_object(line);
        }
        if (PyErr_Occurred()) bp::throw_error_already_set();
    }
    void flush() {}
    bool isatty() const { return false; }
};

// The module's free functions are plain built-in functions (a PyMethodDef table), not Boost.Python's:
// making each of those at start-up (its function object, overload chain and signature docstring) cost
// more than all they are ever asked to convert. Each takes the GIL-holding caller's arguments as
// CPython gives them; `guarded` turns a C++ exception into the Python one, as Boost.Python would.
template <PyObject* (*F)(PyObject*)>
PyObject* guarded(PyObject* /*module*/, PyObject* args) noexcept {
    try {
        return F(args);
    } catch (...) {
        bp::handle_exception();
        return nullptr;
    }
}

PyObject* none() {
    Py_INCREF(Py_None);
    return Py_None;
}

// log(text[, levelno]): a record (with a level: a `logging` record of the JSON format, a levelled frame).
PyObject* native_log(PyObject* args) {
    PyObject* text = nullptr;
    PyObject* levelno = nullptr;
    if (!PyArg_UnpackTuple(args, "log", 1, 2, &text, &levelno)) return nullptr;
    if (levelno == nullptr) {
        log_object(text);
        return none();
    }
    const long level = PyInt_AsLong(levelno);
    if (level == -1 && PyErr_Occurred()) return nullptr;
    log_object(text, log_level_of(static_cast<int>(level)));
    return none();
}

PyObject* native_current_request_id(PyObject* /*no arguments*/) {
    const auto& id = current_request_id();
    return PyString_FromStringAndSize(id.data(), static_cast<Py_ssize_t>(id.size()));
}

PyObject* native_dumps(PyObject* value) {
    std::string out;
    if (!json_dumps(value, out)) return nullptr;
    return PyString_FromStringAndSize(out.data(), static_cast<Py_ssize_t>(out.size()));
}

PyObject* native_loads(PyObject* text) {
    char* data = nullptr;
    Py_ssize_t size = 0;
    if (PyString_AsStringAndSize(text, &data, &size) != 0) return nullptr;
    return json_loads(std::string_view(data, static_cast<std::size_t>(size)));
}

// LAMBDA_PY27_FAST_JSON=1: support.py routes the function's json module when it is first imported; a
// json that cannot be routed stays as it is (the import goes on), with a diagnostic.
PyObject* native_install_fast_json(PyObject* json) {
    const std::string why = install_fast_json(json);
    if (!why.empty()) lambda_py27::detail::diagnostic("LAMBDA_PY27_FAST_JSON: json left as it is: " + why);
    return none();
}

// For the tests: (calls that took the fast path, calls that went to json's own functions).
PyObject* native_fast_json_counts(PyObject* /*no arguments*/) {
    const fast_json_counts c = fast_json_calls();
    return Py_BuildValue("(KK)", c.fast, c.fallen_back);
}

// getenv(name, fallback): os.environ.get for the support code's settings, without importing posix at
// start-up.
PyObject* native_getenv(PyObject* args) {
    const char* name = nullptr;
    PyObject* fallback = nullptr;
    if (!PyArg_ParseTuple(args, "sO:getenv", &name, &fallback)) return nullptr;
    if (const char* value = std::getenv(name)) return PyString_FromString(value);
    Py_INCREF(fallback);
    return fallback;
}

// The start-up path of support.py calls none of str's, list's or file's methods: our Python builds a
// built-in type's dictionary of methods at the first lookup through it (about 20,000 instructions each),
// and a function that never uses them should not pay for them at start. These do what those calls did.

// getenv_upper(name): getenv(name, '').upper(), upper-cased as str.upper does (islower/_toupper per byte).
PyObject* native_getenv_upper(PyObject* args) {
    const char* name = nullptr;
    if (!PyArg_ParseTuple(args, "s:getenv_upper", &name)) return nullptr;
    const char* value = std::getenv(name);
    PyObject* text = PyString_FromString(value != nullptr ? value : "");
    if (text == nullptr) return nullptr;
    char* c = PyString_AS_STRING(text);
    for (Py_ssize_t i = 0, n = PyString_GET_SIZE(text); i < n; ++i) {
        const int byte = Py_CHARMASK(c[i]);
        if (std::islower(byte)) c[i] = static_cast<char>(std::toupper(byte));
    }
    return text;
}

// split_dots(text[, last]): text.split('.'), or text.rsplit('.', 1) when `last` is true: the same list of
// str. Anything but a str goes to its own method.
PyObject* native_split_dots(PyObject* args) {
    PyObject* text = nullptr;
    int last = 0;
    if (!PyArg_ParseTuple(args, "O|i:split_dots", &text, &last)) return nullptr;
    if (!PyString_CheckExact(text)) {
        return last != 0 ? PyObject_CallMethod(text, const_cast<char*>("rsplit"), const_cast<char*>("si"), ".", 1)
                         : PyObject_CallMethod(text, const_cast<char*>("split"), const_cast<char*>("s"), ".");
    }
    const std::string_view s(PyString_AS_STRING(text), static_cast<std::size_t>(PyString_GET_SIZE(text)));
    PyObject* parts = PyList_New(0);
    if (parts == nullptr) return nullptr;
    const auto add = [parts](std::string_view part) {
        PyObject* item = PyString_FromStringAndSize(part.data(), static_cast<Py_ssize_t>(part.size()));
        const bool added = item != nullptr && PyList_Append(parts, item) == 0;
        Py_XDECREF(item);
        return added;
    };
    // The cuts: the last dot only (rsplit('.', 1)), or every dot (split('.')).
    bool added = true;
    std::size_t from = 0;
    if (last != 0) {
        if (const std::size_t dot = s.rfind('.'); dot != std::string_view::npos) {
            added = add(s.substr(0, dot));
            from = dot + 1;
        }
    } else {
        for (std::size_t dot = s.find('.'); added && dot != std::string_view::npos; dot = s.find('.', from)) {
            added = add(s.substr(from, dot - from));
            from = dot + 1;
        }
    }
    if (!added || !add(s.substr(from))) {
        Py_DECREF(parts);
        return nullptr;
    }
    return parts;
}

// native_logging(logging, handler_class, filter_class, formatter): support.py's legacy logging handler,
// its classes' methods made built-in (src/python/logging_handler.hpp).
PyObject* native_logging(PyObject* args) {
    PyObject *logging = nullptr, *handler_class = nullptr, *filter_class = nullptr, *formatter = nullptr;
    if (!PyArg_ParseTuple(args, "OOOO:native_logging", &logging, &handler_class, &filter_class, &formatter))
        return nullptr;
    if (!install_native_logging(logging, handler_class, filter_class, formatter)) return nullptr;
    return none();
}

// native_log_record(logging, on): logging.LogRecord.__init__ built in (on) or the standard library's
// again (src/python/logging_record.hpp).
PyObject* native_log_record(PyObject* args) {
    PyObject* logging = nullptr;
    PyObject* on = nullptr;
    if (!PyArg_ParseTuple(args, "OO:native_log_record", &logging, &on)) return nullptr;
    const int truth = PyObject_IsTrue(on);
    if (truth < 0 || !install_native_log_record(logging, truth != 0)) return nullptr;
    return none();
}

// For the tests: (records the built-in emit wrote, records it gave to the Python emit, records the built-in
// LogRecord.__init__ made, records it gave to the Python one).
PyObject* native_logging_counts_of(PyObject* /*no arguments*/) {
    const native_logging_counts c = native_logging_calls();
    const native_record_counts r = native_record_calls();
    return Py_BuildValue("(KKKK)", c.native, c.python, r.native, r.python);
}

// support.py's units loaded on first need (support.hpp): unit_code(name), unit_source(name).
const support_unit* unit_named(PyObject* args, const char* function) {
    const char* name = nullptr;
    if (!PyArg_ParseTuple(args, "s", &name)) return nullptr;
    for (const support_unit& unit : support_units)
        if (std::strcmp(name, unit.name) == 0) return &unit;
    PyErr_Format(PyExc_ValueError, "%s: no support unit named '%s'", function, name);
    return nullptr;
}
PyObject* native_unit_source(PyObject* args) {
    const support_unit* unit = unit_named(args, "unit_source");
    return unit != nullptr ? PyString_FromString(unit->source) : nullptr;
}
PyObject* native_unit_code(PyObject* args) {
    const support_unit* unit = unit_named(args, "unit_code");
    return unit != nullptr ? PyString_FromStringAndSize(reinterpret_cast<const char*>(unit->code),
                                                        static_cast<Py_ssize_t>(*unit->code_size))
                           : nullptr;
}

PyMethodDef native_functions[] = {
    {"log", guarded<native_log>, METH_VARARGS, nullptr},
    {"current_request_id", guarded<native_current_request_id>, METH_NOARGS, nullptr},
    {"dumps", guarded<native_dumps>, METH_O, nullptr},
    {"loads", guarded<native_loads>, METH_O, nullptr},
    {"install_fast_json", guarded<native_install_fast_json>, METH_O, nullptr},
    {"fast_json_counts", guarded<native_fast_json_counts>, METH_NOARGS, nullptr},
    {"getenv", guarded<native_getenv>, METH_VARARGS, nullptr},
    {"getenv_upper", guarded<native_getenv_upper>, METH_VARARGS, nullptr},
    {"split_dots", guarded<native_split_dots>, METH_VARARGS, nullptr},
    {"native_logging", guarded<native_logging>, METH_VARARGS, nullptr},
    {"native_log_record", guarded<native_log_record>, METH_VARARGS, nullptr},
    {"native_logging_counts", guarded<native_logging_counts_of>, METH_NOARGS, nullptr},
    {"unit_source", guarded<native_unit_source>, METH_VARARGS, nullptr},
    {"unit_code", guarded<native_unit_code>, METH_VARARGS, nullptr},
};

// Module `_lambda_py27`, kept from its initialisation.
bp::object& the_module() {
    static bp::object module;
    return module;
}

}  // namespace

void register_class_on_first_use(on_first_use which) {
    // Made in module `_lambda_py27` as at its import: the same names, __module__ and converters.
    static bool done_flags[3] = {};
    bool& done = done_flags[static_cast<int>(which)];
    if (done) return;
    if (the_module().is_none()) bp::import("_lambda_py27");  // its initialisation sets the_module()
    const bp::scope module{the_module()};
    if (which == on_first_use::identity) {
        bp::class_<cognito_identity>("CognitoIdentity")
            .def_readwrite("cognito_identity_id", &cognito_identity::cognito_identity_id)
            .def_readwrite("cognito_identity_pool_id", &cognito_identity::cognito_identity_pool_id);
    } else if (which == on_first_use::log_writer) {
        bp::class_<log_writer>("LogWriter")
            .def("write", &log_writer::write)
            .def("writelines", &log_writer::writelines)
            .def("flush", &log_writer::flush)
            .def("isatty", &log_writer::isatty);
    } else {
        bp::class_<client_info>("Client")
            .def_readwrite("installation_id", &client_info::installation_id)
            .def_readwrite("app_title", &client_info::app_title)
            .def_readwrite("app_version_name", &client_info::app_version_name)
            .def_readwrite("app_version_code", &client_info::app_version_code)
            .def_readwrite("app_package_name", &client_info::app_package_name);
        bp::class_<client_context>("ClientContext")
            .def_readwrite("client", &client_context::client)
            .def_readwrite("custom", &client_context::custom)
            .def_readwrite("env", &client_context::env);
    }
    done = true;
}

}  // namespace lambda_py27::python::detail

BOOST_PYTHON_MODULE(_lambda_py27) {
    using namespace lambda_py27::python::detail;
    bp::scope().attr("__doc__") = "lambda-py27 runtime internals: the context classes and native helpers.";
    the_module() = bp::scope();

    PyTypeObject* context_type = lambda_context_type();
    if (context_type == nullptr) bp::throw_error_already_set();
    Py_INCREF(context_type);
    if (PyModule_AddObject(bp::scope().ptr(), "LambdaContext", reinterpret_cast<PyObject*>(context_type)) != 0)
        bp::throw_error_already_set();

    const bp::object module_name = bp::scope().attr("__name__");
    for (PyMethodDef& def : native_functions) {
        PyObject* f = PyCFunction_NewEx(&def, nullptr, module_name.ptr());
        if (f == nullptr || PyModule_AddObject(bp::scope().ptr(), def.ml_name, f) != 0) bp::throw_error_already_set();
    }
}
