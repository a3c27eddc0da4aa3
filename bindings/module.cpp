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

#include <chrono>
#include <cstdlib>

namespace bp = boost::python;

namespace lambda_py27::python::detail {

long lambda_context::get_remaining_time_in_millis() const {
    if (deadline_ms <= 0) return 0;
    const auto now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    return deadline_ms > now ? deadline_ms - now : 0;
}

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

void native_log(const bp::object& text) { log_object(text.ptr()); }
// A `logging` record with its level number (the JSON format's records: levelled telemetry frames).
void native_log_levelled(const bp::object& text, int levelno) { log_object(text.ptr(), log_level_of(levelno)); }

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

bp::object native_current_request_id() {
    const auto& id = current_request_id();
    return bp::object(bp::handle<>(PyString_FromStringAndSize(id.data(), static_cast<Py_ssize_t>(id.size()))));
}

bp::object native_dumps(const bp::object& value) {
    std::string out;
    if (!json_dumps(value.ptr(), out)) bp::throw_error_already_set();
    return bp::object(bp::handle<>(PyString_FromStringAndSize(out.data(), static_cast<Py_ssize_t>(out.size()))));
}

// LAMBDA_PY27_FAST_JSON=1: support.py routes the function's json module when it is first imported; a
// json that cannot be routed stays as it is (the import goes on), with a diagnostic.
void native_install_fast_json(const bp::object& json) {
    const std::string why = install_fast_json(json.ptr());
    if (!why.empty()) lambda_py27::detail::diagnostic("LAMBDA_PY27_FAST_JSON: json left as it is: " + why);
}

// For the tests: (calls that took the fast path, calls that went to json's own functions).
bp::object native_fast_json_counts() {
    const fast_json_counts c = fast_json_calls();
    return bp::make_tuple(c.fast, c.fallen_back);
}

// os.environ.get(name, fallback) for the support code's settings, without importing posix at start-up.
bp::object native_getenv(const char* name, const bp::object& fallback) {
    const char* value = std::getenv(name);
    return value != nullptr ? bp::object(bp::handle<>(PyString_FromString(value))) : fallback;
}

// support.py's legacy logging handler: its classes' methods made built-in (src/python/logging_handler.hpp).
void native_logging(const bp::object& logging, const bp::object& handler_class, const bp::object& filter_class,
                    const bp::object& formatter) {
    if (!install_native_logging(logging.ptr(), handler_class.ptr(), filter_class.ptr(), formatter.ptr()))
        bp::throw_error_already_set();
}

// logging.LogRecord.__init__ built in (on) or the standard library's again (src/python/logging_record.hpp).
void native_log_record(const bp::object& logging, bool on) {
    if (!install_native_log_record(logging.ptr(), on)) bp::throw_error_already_set();
}

// For the tests: (records the built-in emit wrote, records it gave to the Python emit, records the built-in
// LogRecord.__init__ made, records it gave to the Python one).
bp::object native_logging_counts_of() {
    const native_logging_counts c = native_logging_calls();
    const native_record_counts r = native_record_calls();
    return bp::make_tuple(c.native, c.python, r.native, r.python);
}

// support.py's units loaded on first need: 'optin' (support_optin.py) and 'errors' (support_errors.py).
const support_unit& unit_named(const std::string& name) {
    for (const support_unit& unit : support_units)
        if (name == unit.name) return unit;
    PyErr_SetString(PyExc_ValueError, ("no support unit named '" + name + "'").c_str());
    throw bp::error_already_set();
}
bp::object native_unit_source(const std::string& name) { return bp::str(unit_named(name).source); }
bp::object native_unit_code(const std::string& name) {
    const support_unit& unit = unit_named(name);
    return bp::str(reinterpret_cast<const char*>(unit.code), static_cast<Py_ssize_t>(*unit.code_size));
}

bp::object native_loads(const bp::object& text) {
    char* data = nullptr;
    Py_ssize_t size = 0;
    if (PyString_AsStringAndSize(text.ptr(), &data, &size) != 0) bp::throw_error_already_set();
    PyObject* result = json_loads(std::string_view(data, static_cast<std::size_t>(size)));
    if (result == nullptr) bp::throw_error_already_set();
    return bp::object(bp::handle<>(result));
}

}  // namespace

void context_log(const lambda_context&, const bp::object& message) {
    PyObject* s = PyObject_Str(message.ptr());
    if (s == nullptr) bp::throw_error_already_set();
    write_log(std::string_view(PyString_AS_STRING(s), static_cast<std::size_t>(PyString_GET_SIZE(s))));
    Py_DECREF(s);
}

}  // namespace lambda_py27::python::detail

BOOST_PYTHON_MODULE(_lambda_py27) {
    using namespace lambda_py27::python::detail;
    bp::scope().attr("__doc__") = "lambda-py27 runtime internals: the context classes and native helpers.";

    bp::class_<cognito_identity>("CognitoIdentity")
        .def_readwrite("cognito_identity_id", &cognito_identity::cognito_identity_id)
        .def_readwrite("cognito_identity_pool_id", &cognito_identity::cognito_identity_pool_id);

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

    bp::class_<lambda_context>("LambdaContext")
        .def_readwrite("aws_request_id", &lambda_context::aws_request_id)
        .def_readwrite("invoked_function_arn", &lambda_context::invoked_function_arn)
        .def_readwrite("function_name", &lambda_context::function_name)
        .def_readwrite("function_version", &lambda_context::function_version)
        .def_readwrite("memory_limit_in_mb", &lambda_context::memory_limit_in_mb)
        .def_readwrite("log_group_name", &lambda_context::log_group_name)
        .def_readwrite("log_stream_name", &lambda_context::log_stream_name)
        .add_property("identity", &context_identity, &set_context_identity)
        .def_readwrite("client_context", &lambda_context::client_context)
        .def_readwrite("tenant_id", &lambda_context::tenant_id)
        .def("get_remaining_time_in_millis", &lambda_context::get_remaining_time_in_millis)
        .def("log", &context_log);

    bp::class_<log_writer>("LogWriter")
        .def("write", &log_writer::write)
        .def("writelines", &log_writer::writelines)
        .def("flush", &log_writer::flush)
        .def("isatty", &log_writer::isatty);

    bp::def("log", &native_log);
    bp::def("log", &native_log_levelled);
    bp::def("current_request_id", &native_current_request_id);
    bp::def("dumps", &native_dumps);
    bp::def("loads", &native_loads);
    bp::def("install_fast_json", &native_install_fast_json);
    bp::def("fast_json_counts", &native_fast_json_counts);
    bp::def("getenv", &native_getenv);
    bp::def("native_logging", &native_logging);
    bp::def("native_log_record", &native_log_record);
    bp::def("native_logging_counts", &native_logging_counts_of);
    bp::def("unit_source", &native_unit_source);
    bp::def("unit_code", &native_unit_code);
}
