// Python 2.7 extension module `lambda_py27_testing`: in-process invocation of handlers for `unittest`
// code, run by a plain `python`. The same dispatcher as the bootstrap's (lambda_py27::testing::
// python_function): the runtime's context object, JSON rules, error bodies and log format.
//
//     import lambda_py27_testing as lt
//     r = lt.invoke("app.handler", {"key": "value"}, task_root="/path/to/function")
//     r.success, r.response, r.error, r.body, r.log, r.xray_cause, r.exit_status
#include <lambda_py27/python/interpreter.hpp>
#include <lambda_py27/python/json.hpp>
#include <lambda_py27/testing/python_function.hpp>
#include <lambda_py27/version.hpp>

#include <boost/python.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>

extern "C" void init_lambda_py27();  // bindings/module.cpp: BOOST_PYTHON_MODULE(_lambda_py27)

namespace bp = boost::python;
using lambda_py27::testing::invoke_options;
using lambda_py27::testing::local_result;
using lambda_py27::testing::python_function;

namespace {

bp::object py_bytes(const std::string& s) {
    return bp::object(bp::handle<>(PyString_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()))));
}

// JSON text from a Python argument: a str is taken as JSON text already, a unicode as JSON text to be
// UTF-8 encoded, None as "absent" (empty), anything else is encoded as the runtime encodes results.
std::string json_text(const bp::object& value) {
    PyObject* o = value.ptr();
    if (o == Py_None) return {};
    if (PyString_Check(o)) return std::string(PyString_AS_STRING(o), static_cast<std::size_t>(PyString_GET_SIZE(o)));
    if (PyUnicode_Check(o)) {
        const bp::object utf8{bp::handle<>(PyUnicode_AsUTF8String(o))};
        return std::string(PyString_AS_STRING(utf8.ptr()), static_cast<std::size_t>(PyString_GET_SIZE(utf8.ptr())));
    }
    std::string out;
    if (!lambda_py27::python::json_dumps(o, out)) bp::throw_error_already_set();
    return out;
}

std::string optional_string(const bp::object& value) {
    if (value.is_none()) return {};
    return json_text(value);  // a str comes back as is
}

bp::object parse_json(const std::string& text) {
    PyObject* parsed = lambda_py27::python::json_loads(text);
    if (parsed == nullptr) {
        PyErr_Clear();  // not JSON (cannot happen for the runtime's own bodies): leave it unparsed
        return bp::object();
    }
    return bp::object(bp::handle<>(parsed));
}

/// What `invoke` returns: the invocation's outcome as the runtime would have posted it.
struct invoke_result {
    bool success = false;
    bp::object body;         // the posted body: JSON text (str)
    bp::object response;     // the body parsed (json.loads) on success, else None
    bp::object error;        // the error body parsed (a dict with errorMessage, errorType, stackTrace), else None
    bp::object log;          // what was logged (logging, print, context.log, error reports), str
    bp::object xray_cause;   // the X-Ray error cause sent with an error (JSON text), else None
    bp::object exit_status;  // the status the runtime would exit with (sys.exit, fatal init error), else None

    explicit invoke_result(const local_result& r)
        : success(r.success),
          body(py_bytes(r.body)),
          response(r.success ? parse_json(r.body) : bp::object()),
          error(r.success ? bp::object() : parse_json(r.body)),
          log(py_bytes(r.log)),
          xray_cause(r.xray_cause.empty() ? bp::object() : py_bytes(r.xray_cause)),
          exit_status(r.exit_status >= 0 ? bp::object(r.exit_status) : bp::object()) {}

    bp::object repr() const {
        return bp::str("<lambda_py27_testing.InvokeResult success=%r body=%r>") % bp::make_tuple(success, body);
    }
};

// The platform variables a handler reads from os.environ, with python_function's defaults, for those the
// test did not set: os.environ is a copy made at interpreter start, so they must be put there too.
std::map<std::string, std::string> environment_with_defaults(const bp::object& environment) {
    static const std::pair<const char*, const char*> defaults[] = {
        {"AWS_LAMBDA_FUNCTION_NAME", "test_function"}, {"AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"},
        {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008"},   {"AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/Functions"},
        {"AWS_LAMBDA_LOG_STREAM_NAME", "$LATEST"},     {"AWS_REGION", "us-east-1"},
    };
    std::map<std::string, std::string> out;
    const bp::object os_environ = bp::import("os").attr("environ");
    for (const auto& [name, value] : defaults) {
        if (!os_environ.attr("__contains__")(name)) out[name] = value;
    }
    if (!environment.is_none()) {
        const bp::list items(bp::dict(environment).items());
        for (bp::ssize_t i = 0, n = bp::len(items); i < n; ++i) {
            const bp::object item = items[i];
            out[bp::extract<std::string>(bp::str(item[0]))] = bp::extract<std::string>(bp::str(item[1]));
        }
    }
    return out;
}

std::string absolute_task_root(const bp::object& task_root) {
    std::string root;
    if (!task_root.is_none()) {
        root = bp::extract<std::string>(bp::str(task_root));
    } else {
        const char* env = std::getenv("LAMBDA_TASK_ROOT");
        root = env != nullptr && *env != '\0' ? env : ".";
    }
    std::error_code ec;
    if (auto abs = std::filesystem::absolute(root, ec); !ec) root = abs.lexically_normal().string();
    if (root.size() > 1 && root.back() == '/') root.pop_back();
    return root;
}

/// `Function(handler, task_root=None, environment=None)`: a handler loaded once (its module imported,
/// its `init()` called), invoked any number of times.
class function {
public:
    function(const std::string& handler, const bp::object& task_root, const bp::object& environment) {
        const std::string root = absolute_task_root(task_root);
        auto env = environment_with_defaults(environment);
        lambda_py27::python::gil_release unlocked;  // python_function takes the GIL itself
        fn_ = std::make_shared<python_function>(handler, root, std::move(env));
    }

    invoke_result invoke(const bp::object& event, const bp::object& request_id, const bp::object& client_context,
                         const bp::object& identity, const bp::object& trace_id, long timeout_ms,
                         const bp::object& function_arn) const {
        const std::string event_text = event.is_none() ? std::string("null") : json_text(event);
        invoke_options o;
        o.request_id = optional_string(request_id);
        o.client_context = optional_string(client_context);
        o.cognito_identity = optional_string(identity);
        o.trace_id = optional_string(trace_id);
        o.function_arn = optional_string(function_arn);
        o.timeout = std::chrono::milliseconds(timeout_ms);
        local_result r;
        {
            lambda_py27::python::gil_release unlocked;
            r = fn_->invoke(event_text, o);
        }
        return invoke_result(r);
    }

    bp::object fault() const {
        const std::string& f = fn_->fault();
        return f.empty() ? bp::object() : py_bytes(f);
    }
    bp::object load_log() const { return py_bytes(fn_->load_log()); }

private:
    std::shared_ptr<python_function> fn_;
};

// Handlers loaded by the module-level invoke(), by (handler, task root): a module is imported and its
// init() called once, as in a warm runtime.
// Never destroyed: at process exit Python is already finalised, and the handlers hold Python objects.
std::map<std::pair<std::string, std::string>, std::shared_ptr<function>>& loaded_functions() {
    static auto* loaded = new std::map<std::pair<std::string, std::string>, std::shared_ptr<function>>;
    return *loaded;
}

invoke_result invoke(const std::string& handler, const bp::object& event, const bp::object& task_root,
                     const bp::object& request_id, const bp::object& client_context, const bp::object& identity,
                     const bp::object& trace_id, long timeout_ms, const bp::object& function_arn) {
    auto key = std::make_pair(handler, absolute_task_root(task_root));
    auto& loaded = loaded_functions();
    auto it = loaded.find(key);
    if (it == loaded.end())
        it = loaded.emplace(key, std::make_shared<function>(handler, bp::str(key.second), bp::object())).first;
    return it->second->invoke(event, request_id, client_context, identity, trace_id, timeout_ms, function_arn);
}

// The runtime's internal module is a built-in of the bootstrap; in a plain python it is made here.
void ensure_runtime_module() {
    PyObject* modules = PyImport_GetModuleDict();
    if (PyDict_GetItemString(modules, "_lambda_py27") != nullptr) return;
    init_lambda_py27();
    if (PyErr_Occurred()) bp::throw_error_already_set();
    if (PyDict_GetItemString(modules, "_lambda_py27") == nullptr) {
        PyErr_SetString(PyExc_ImportError, "lambda_py27_testing: cannot create module _lambda_py27");
        bp::throw_error_already_set();
    }
}

}  // namespace

BOOST_PYTHON_MODULE(lambda_py27_testing) {
    ensure_runtime_module();
    const bp::docstring_options docstrings(true, true, false);  // no C++ signatures in help()

    bp::scope().attr("__doc__") =
        "In-process invocation of Python 2.7 Lambda handlers, exactly as lambda-py27's runtime runs them.\n\n"
        "invoke(handler, event, task_root=None, ...) loads the handler once per (handler, task_root) and\n"
        "returns an InvokeResult; Function(handler, task_root=None, environment=None) is the same, explicit.";
    bp::scope().attr("__version__") = lambda_py27::version_string;

    bp::class_<invoke_result>("InvokeResult", "The outcome of one invocation, as the runtime would have posted it.",
                              bp::no_init)
        .def_readonly("success", &invoke_result::success)
        .def_readonly("body", &invoke_result::body)
        .def_readonly("response", &invoke_result::response)
        .def_readonly("error", &invoke_result::error)
        .def_readonly("log", &invoke_result::log)
        .def_readonly("xray_cause", &invoke_result::xray_cause)
        .def_readonly("exit_status", &invoke_result::exit_status)
        .def("__repr__", &invoke_result::repr);

    bp::class_<function, std::shared_ptr<function>, boost::noncopyable>(
        "Function",
        "Function(handler, task_root=None, environment=None): a handler loaded into this interpreter.\n"
        "environment: a dict of variables in force (os.environ and the process's) while the handler loads and\n"
        "while it is invoked, taken back after each: one test's variables never reach another. Each Function\n"
        "loads its module afresh and keeps it.",
        bp::init<std::string, bp::object, bp::object>(
            (bp::arg("handler"), bp::arg("task_root") = bp::object(), bp::arg("environment") = bp::object())))
        .def("invoke", &function::invoke,
             (bp::arg("event"), bp::arg("request_id") = bp::object(), bp::arg("client_context") = bp::object(),
              bp::arg("identity") = bp::object(), bp::arg("trace_id") = bp::object(), bp::arg("timeout_ms") = 3000L,
              bp::arg("function_arn") = bp::object()),
             "invoke(event, request_id=None, client_context=None, identity=None, trace_id=None, timeout_ms=3000,\n"
             "       function_arn=None) -> InvokeResult\n"
             "event: JSON text (str or unicode) or a Python value encoded as the runtime encodes results;\n"
             "client_context, identity: JSON text or a dict.")
        .add_property("fault", &function::fault)
        .add_property("load_log", &function::load_log);

    bp::def("invoke", &invoke,
            (bp::arg("handler"), bp::arg("event"), bp::arg("task_root") = bp::object(),
             bp::arg("request_id") = bp::object(), bp::arg("client_context") = bp::object(),
             bp::arg("identity") = bp::object(), bp::arg("trace_id") = bp::object(), bp::arg("timeout_ms") = 3000L,
             bp::arg("function_arn") = bp::object()),
            "invoke(handler, event, task_root=None, request_id=None, client_context=None, identity=None,\n"
            "       trace_id=None, timeout_ms=3000, function_arn=None) -> InvokeResult");
}
