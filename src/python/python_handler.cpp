#include <lambda_py27/python/python_handler.hpp>

#include <lambda_py27/python/interpreter.hpp>
#include <lambda_py27/python/json.hpp>
#include <lambda_py27/python/log.hpp>
#include "python/collector.hpp"
#include "python/context.hpp"
#include "python/streaming.hpp"
#include "python/support.hpp"
#include "runtime/diagnostic.hpp"

#include <marshal.h>
#include <boost/python.hpp>

#include <cstdlib>
#include <optional>
#include <stdexcept>

namespace bp = boost::python;

namespace lambda_py27::python {
namespace {

bp::object py_str(std::string_view s) {
    return bp::object(bp::handle<>(PyString_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()))));
}

bp::object env_str(const char* name) {
    const char* v = std::getenv(name);
    return py_str(v != nullptr ? std::string_view(v) : std::string_view());
}

std::string as_string(const bp::object& o) {
    char* data = nullptr;
    Py_ssize_t size = 0;
    if (PyString_AsStringAndSize(o.ptr(), &data, &size) != 0) bp::throw_error_already_set();
    return std::string(data, static_cast<std::size_t>(size));
}

// Borrowed item of a dict, or None.
bp::object dict_get(PyObject* dict, const char* key) {
    PyObject* v = PyDict_GetItemString(dict, key);
    return v != nullptr ? bp::object(bp::handle<>(bp::borrowed(v))) : bp::object();
}

}  // namespace

struct python_handler::state {
    std::string spec;
    std::string fault;
    bool fatal = false;
    std::string fault_body;
    std::string fault_cause;
    std::string fault_type;  // set under the modern error profile: the fault is an init error
    bp::object function;
    bp::object support;
    bp::object errors;  // support_errors.py's module and its three formatters, from the first fault on
    bp::object format_exception;
    bp::object format_runtime_error;
    bp::object system_exit_status;
    // The same for every invocation: made once, shared by every context.
    bp::object function_name, function_version, memory_limit_in_mb, log_group_name, log_stream_name;
    bp::object environ;  // os.environ.data (what os.environ reads), once the function imported os
    std::string trace_id;
    bool trace_id_set = false;
    bool streaming = false;  // LAMBDA_PY27_RESPONSE_STREAMING=1: a returned generator is streamed

    // What only a fault needs is loaded at the first (support.py's _errors).
    const bp::object& errors_unit() {
        if (errors.is_none()) {
            bp::object unit = support.attr("_errors")();
            format_exception = unit.attr("format_exception");
            format_runtime_error = unit.attr("format_runtime_error");
            system_exit_status = unit.attr("system_exit_status");
            errors = unit;
        }
        return errors;
    }

    // (body, log, cause) from a support formatter, logged, as a failure answer.
    invocation_response failure_from(const bp::object& formatted) {
        const std::string log = as_string(formatted[1]);
        write_log(log, log_level::error);
        return invocation_response::failure(as_string(formatted[0]), {}, as_string(formatted[2]));
    }

    // The pending Python exception as an error answer; `prefix` set: an error of the runtime's own steps.
    invocation_response answer_exception(const char* prefix) {
        PyObject *type = nullptr, *value = nullptr, *tb = nullptr;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        // An exception raised by C code may come without a value or a traceback.
        const auto own = [](PyObject* o) { return o != nullptr ? bp::object(bp::handle<>(o)) : bp::object(); };
        bp::object t = own(type);
        bp::object v = own(value);
        bp::object b = own(tb);
        if (PyErr_GivenExceptionMatches(type, PyExc_SystemExit)) {
            errors_unit();
            const int status = bp::extract<int>(system_exit_status(v));
            return invocation_response::exit(status);
        }
        try {
            errors_unit();
            if (prefix != nullptr) return failure_from(format_runtime_error(t, v, prefix));
            return failure_from(format_exception(t, v, b));
        } catch (const bp::error_already_set&) {
            PyErr_Clear();
            write_log(std::string(lambda_py27::detail::diagnostic_prefix) + "could not format an exception\n",
                      log_level::error);
            return invocation_response::failure(
                R"({"errorMessage": "unformattable exception", "errorType": "Runtime.Unknown"})");
        }
    }

    // os.environ is a snapshot Python takes when `os` is imported; the run loop keeps the C environment
    // current. Until the function imports os there is no snapshot to mend.
    void sync_trace_id(const std::string& id) {
        if (trace_id_set && id == trace_id) return;
        if (environ.is_none()) {
            // Until the function imports os there is no os.environ to update (it is then made from the
            // process environment, where the run loop has put the id). Looked up with a key made once.
            static PyObject* const os_name = PyString_InternFromString("os");
            PyObject* os = PyDict_GetItem(PyImport_GetModuleDict(), os_name);  // borrowed
            if (os == nullptr) return;
            PyObject* env = PyObject_GetAttrString(os, "environ");
            PyObject* data = env != nullptr ? PyObject_GetAttrString(env, "data") : nullptr;
            Py_XDECREF(env);
            if (data == nullptr || !PyDict_Check(data)) {
                Py_XDECREF(data);
                PyErr_Clear();
                return;
            }
            environ = bp::object(bp::handle<>(data));
        }
        static PyObject* const key = PyString_InternFromString("_X_AMZN_TRACE_ID");
        if (id.empty()) {
            if (PyDict_DelItem(environ.ptr(), key) != 0) PyErr_Clear();
        } else {
            PyDict_SetItem(environ.ptr(), key, py_str(id).ptr());
        }
        trace_id = id;
        trace_id_set = true;
    }

    // None without a header; throws error_already_set (ValueError) when it is not JSON.
    static bp::object make_client_context(const std::string& header) {
        if (header.empty()) return bp::object();
        PyObject* parsed = json_loads(header);
        if (parsed == nullptr) bp::throw_error_already_set();
        bp::object doc{bp::handle<>(parsed)};
        if (parsed == Py_None) return bp::object();  // `null`: no client context, as the legacy runtime had it
        detail::register_class_on_first_use(detail::on_first_use::client_context);
        detail::client_context cc;
        if (PyDict_Check(parsed)) {
            cc.custom = dict_get(parsed, "custom");
            cc.env = dict_get(parsed, "env");
            PyObject* client = PyDict_GetItemString(parsed, "client");
            if (client != nullptr && PyDict_Check(client)) {
                detail::client_info ci;
                ci.installation_id = dict_get(client, "installation_id");
                ci.app_title = dict_get(client, "app_title");
                ci.app_version_name = dict_get(client, "app_version_name");
                ci.app_version_code = dict_get(client, "app_version_code");
                ci.app_package_name = dict_get(client, "app_package_name");
                cc.client = bp::object(ci);
            }
        }
        return bp::object(cc);
    }

    invocation_response invoke(const invocation& inv) {
        set_current_request_id(inv.request_id);
        sync_trace_id(inv.trace_id);

        if (!fault.empty()) {
            auto res = invocation_response::failure(fault_body, fault_type, fault_cause);
            if (fatal) res.exit_status = 1;
            return res;
        }

        PyObject* event = json_loads(inv.body);
        if (event == nullptr) return answer_exception("Unable to parse input as json: ");
        bp::object event_obj{bp::handle<>(event)};

        bp::object context;
        try {
            detail::lambda_context* c = detail::new_lambda_context();
            if (c == nullptr) bp::throw_error_already_set();
            context = bp::object(bp::handle<>(reinterpret_cast<PyObject*>(c)));
            const auto own = [](const bp::object& o) { return bp::incref(o.ptr()); };
            c->aws_request_id = own(py_str(inv.request_id));
            c->invoked_function_arn = own(py_str(inv.function_arn));
            c->function_name = own(function_name);
            c->function_version = own(function_version);
            c->memory_limit_in_mb = own(memory_limit_in_mb);
            c->log_group_name = own(log_group_name);
            c->log_stream_name = own(log_stream_name);
            if (!inv.cognito_identity.empty()) c->identity_header = own(py_str(inv.cognito_identity));
            c->client_context = own(make_client_context(inv.client_context));
            if (!inv.tenant_id.empty()) c->tenant_id = own(py_str(inv.tenant_id));
            c->deadline_ms = inv.deadline_ms;
        } catch (const bp::error_already_set&) {
            return answer_exception("Unable to parse client context as json: ");
        }

        PyObject* result = PyObject_CallFunctionObjArgs(function.ptr(), event, context.ptr(), nullptr);
        if (result == nullptr) return answer_exception(nullptr);
        bp::object result_obj{bp::handle<>(result)};
        if (streaming && PyGen_Check(result))
            return detail::stream_generator(result, [this] { return answer_exception(nullptr); });

        // Sized for an answer as large as the event (echo-like handlers), so a large answer is not copied
        // over and over while it grows; pages never written are never touched.
        std::string body;
        body.reserve(inv.body.size() < 256 ? 256 : inv.body.size() + inv.body.size() / 8);
        if (!json_dumps(result, body))
            return answer_exception("An error occurred during JSON serialization of response: ");
        return invocation_response::success(std::move(body));
    }
};

namespace detail {

bp::object make_identity(const std::string& header) {
    register_class_on_first_use(on_first_use::identity);
    cognito_identity identity;
    if (!header.empty()) {
        PyObject* parsed = json_loads(header);
        if (parsed == nullptr) {
            PyErr_Clear();  // an unreadable identity is an absent one
        } else {
            bp::object doc{bp::handle<>(parsed)};
            if (PyDict_Check(parsed)) {
                identity.cognito_identity_id = dict_get(parsed, "cognitoIdentityId");
                identity.cognito_identity_pool_id = dict_get(parsed, "cognitoIdentityPoolId");
            }
        }
    }
    return bp::object(identity);
}

bp::object support_module() {
    static bp::object module;
    if (!module.is_none()) return module;
    // Python 2.7 declares the buffer char* but only reads it.
    PyObject* code = PyMarshal_ReadObjectFromString(const_cast<char*>(reinterpret_cast<const char*>(support_code)),
                                                    static_cast<Py_ssize_t>(support_code_size));
    if (code == nullptr || !PyCode_Check(code)) {  // cannot happen with the same Python: compile instead
        Py_XDECREF(code);
        PyErr_Clear();
        code = Py_CompileString(support_source, "lambda_py27/support.py", Py_file_input);
    }
    if (code == nullptr) bp::throw_error_already_set();
    bp::object code_obj{bp::handle<>(code)};
    PyObject* mod = PyImport_ExecCodeModuleEx(const_cast<char*>("_lambda_py27_support"), code,
                                              const_cast<char*>("lambda_py27/support.py"));
    if (mod == nullptr) bp::throw_error_already_set();
    module = bp::object(bp::handle<>(mod));
    return module;
}

}  // namespace detail

// The handler's Python objects are released with the GIL held, whichever thread drops the last copy.
python_handler::python_handler(std::string spec)
    : state_(new state, [](state* s) {
          gil_acquire gil;
          delete s;
      }) {
    if (!interpreter::is_started()) throw std::logic_error("lambda_py27: python_handler needs a running interpreter");
    auto& s = *state_;
    s.spec = std::move(spec);
    try {
        // Importing the support code and the function's module: no collection meanwhile (collector.hpp).
        std::optional<detail::startup_collection_pause> no_collection_during_import{std::in_place};
        s.support = detail::support_module();
        s.function_name = env_str("AWS_LAMBDA_FUNCTION_NAME");
        s.function_version = env_str("AWS_LAMBDA_FUNCTION_VERSION");
        s.memory_limit_in_mb = env_str("AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
        s.log_group_name = env_str("AWS_LAMBDA_LOG_GROUP_NAME");
        s.log_stream_name = env_str("AWS_LAMBDA_LOG_STREAM_NAME");
        s.streaming = detail::response_streaming_enabled();
        if (s.streaming) detail::register_streaming_module();  // before the function's module imports it

        const bp::object loaded = s.support.attr("load_handler")(py_str(s.spec));
        no_collection_during_import.reset();
        const bp::object function = loaded[0], fault = loaded[1], fatal = loaded[3], log = loaded[5],
                         error_type = loaded[6], error_body = loaded[7];
        if (fault.is_none()) {
            s.function = function;
            return;
        }
        s.fault = as_string(fault);
        s.fatal = bp::extract<bool>(fatal);
        write_log(as_string(log), log_level::error);
        if (!error_type.is_none()) {  // modern error profile
            s.fault_type = as_string(error_type);
            s.fault_body = as_string(error_body);
            return;
        }
        bp::dict body;
        body["errorMessage"] = fault;
        s.fault_body = as_string(s.support.attr("_native").attr("dumps")(body));
        s.fault_cause = as_string(s.errors_unit().attr("fault_cause")(fault));
    } catch (const bp::error_already_set&) {
        throw std::runtime_error("lambda_py27: the runtime's Python support failed: " +
                                 detail::pending_exception_text());
    }
}

invocation_response python_handler::operator()(const invocation& inv) const {
    gil_acquire gil;
    try {
        return state_->invoke(inv);
    } catch (const bp::error_already_set&) {
        return state_->answer_exception(nullptr);
    }
}

const std::string& python_handler::spec() const noexcept { return state_->spec; }
const std::string& python_handler::fault() const noexcept { return state_->fault; }
bool python_handler::fault_is_fatal() const noexcept { return state_->fatal; }
const std::string& python_handler::fault_type() const noexcept { return state_->fault_type; }
const std::string& python_handler::fault_body() const noexcept { return state_->fault_body; }

}  // namespace lambda_py27::python
