#include <lambda_py27/testing/python_function.hpp>

#include <lambda_py27/python/interpreter.hpp>
#include <lambda_py27/python/log.hpp>
#include <lambda_py27/python/python_handler.hpp>
#include "python/context.hpp"

#include <boost/python.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <random>

namespace bp = boost::python;

namespace lambda_py27::testing {
namespace {

std::mutex g_mutex;  // one invocation at a time: the interpreter and the log sink are process-wide

// The process's interpreter, started by the first python_function and never stopped.
void ensure_interpreter(const std::string& task_root) {
    static std::unique_ptr<python::interpreter> interp;
    if (interp || python::interpreter::is_started()) return;
    python::interpreter_options o;
    o.task_root = task_root;
    o.change_directory = false;  // a test process keeps its working directory
    interp = std::make_unique<python::interpreter>(std::move(o));
    PyEval_SaveThread();  // any thread may now take the GIL
}

std::string random_request_id() {
    static std::mt19937_64 rng{std::random_device{}()};
    const auto a = rng(), b = rng();
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08llx-%04llx-4%03llx-%04llx-%012llx", static_cast<unsigned long long>(a >> 32),
                  static_cast<unsigned long long>((a >> 16) & 0xffff), static_cast<unsigned long long>(a & 0xfff),
                  static_cast<unsigned long long>(0x8000 | ((b >> 48) & 0x3fff)),
                  static_cast<unsigned long long>(b & 0xffffffffffffULL));
    return buf;
}

void set_default_env(const char* name, const std::string& value) {
    if (std::getenv(name) == nullptr) ::setenv(name, value.c_str(), 1);
}

using variables = std::map<std::string, std::optional<std::string>>;  // nullopt: unset

// Sets (or unsets) each variable in os.environ, which also sets the process's (putenv/unsetenv); returns
// what they were. Takes the GIL.
variables put_environment(const variables& vars) {
    variables previous;
    if (vars.empty()) return previous;
    python::gil_acquire gil;
    try {
        bp::object environ = bp::import("os").attr("environ");
        for (const auto& [k, v] : vars) {
            // The process's value is the truth: a test may have set one with setenv() since start-up.
            const char* before = std::getenv(k.c_str());
            previous[k] = before != nullptr ? std::optional<std::string>(before) : std::nullopt;
            if (v)
                environ[k] = *v;
            else if (bp::extract<bool>(environ.attr("__contains__")(k)))
                environ.attr("__delitem__")(k);
            else
                ::unsetenv(k.c_str());
        }
    } catch (const bp::error_already_set&) {
        PyErr_Print();
    }
    return previous;
}

// A function's own variables (`environment`), in force while it loads and while it is invoked, and taken
// back after each (the previous value, or none): one test's environment never leaks into the next.
class environment_scope {
public:
    explicit environment_scope(const variables& vars) : previous_(put_environment(vars)) {}
    ~environment_scope() { put_environment(previous_); }
    environment_scope(const environment_scope&) = delete;
    environment_scope& operator=(const environment_scope&) = delete;

private:
    variables previous_;
};

// Sends log records and sys.stdout/sys.stderr to `out` for its lifetime.
class capture {
public:
    explicit capture(std::string& out) {
        python::set_log_sink([&out](std::string_view s) { out.append(s.data(), s.size()); });
        python::gil_acquire gil;
        bp::object sys = bp::import("sys");
        stdout_ = sys.attr("stdout");
        stderr_ = sys.attr("stderr");
        python::detail::register_class_on_first_use(python::detail::on_first_use::log_writer);
        const bp::object writer = bp::import("_lambda_py27").attr("LogWriter")();
        sys.attr("stdout") = writer;
        sys.attr("stderr") = writer;
    }
    ~capture() {
        {
            python::gil_acquire gil;
            bp::object sys = bp::import("sys");
            sys.attr("stdout") = stdout_;
            sys.attr("stderr") = stderr_;
            stdout_ = bp::object();
            stderr_ = bp::object();
        }
        python::set_log_sink({});
    }
    capture(const capture&) = delete;
    capture& operator=(const capture&) = delete;

private:
    bp::object stdout_;
    bp::object stderr_;
};

}  // namespace

struct python_function::impl {
    std::optional<python::python_handler> handler;
    variables environment;  // the function's own variables
    // Its module, kept alive: another function of the same module replaces the sys.modules entry, and
    // Python 2 empties a module's globals when the module object dies.
    PyObject* module = nullptr;
    std::string function_name;
    ~impl() {
        if (module != nullptr) {
            python::gil_acquire gil;
            Py_DECREF(module);
        }
    }
    std::string load_log;
};

python_function::python_function(std::string handler, std::string task_root,
                                 std::map<std::string, std::string> environment)
    : impl_(std::make_unique<impl>()) {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (task_root.empty()) {
        const char* root = std::getenv("LAMBDA_TASK_ROOT");
        task_root = root != nullptr ? root : ".";
    }
    // Lambda's task root is absolute, and so are the file names in stack traces.
    std::error_code ec;
    if (auto abs = std::filesystem::absolute(task_root, ec); !ec) task_root = abs.lexically_normal().string();
    if (task_root.size() > 1 && task_root.back() == '/') task_root.pop_back();
    set_default_env("AWS_LAMBDA_FUNCTION_NAME", "test_function");
    set_default_env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
    set_default_env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008");
    set_default_env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/Functions");
    set_default_env("AWS_LAMBDA_LOG_STREAM_NAME", "$LATEST");
    set_default_env("AWS_REGION", "us-east-1");
    for (const auto& [k, v] : environment) impl_->environment[k] = v;
    variables before_start;  // the first function's variables are read at start-up too (log format...)
    const bool first = !python::interpreter::is_started();
    if (first) {
        for (const auto& [k, v] : environment) {
            const char* old = std::getenv(k.c_str());
            before_start[k] = old != nullptr ? std::optional<std::string>(old) : std::nullopt;
            ::setenv(k.c_str(), v.c_str(), 1);
        }
    }
    ensure_interpreter(task_root);

    const auto dot = handler.rfind('.');
    const std::string module_name = dot != std::string::npos && dot > 0 ? handler.substr(0, dot) : std::string();
    {
        capture cap(impl_->load_log);
        environment_scope scope(impl_->environment);
        python::gil_acquire gil;
        try {
            bp::object sys = bp::import("sys");
            bp::list path = bp::extract<bp::list>(sys.attr("path"));
            if (!path.count(task_root)) path.insert(0, task_root);
            // A module of its own: another function of the same module (with other variables, say) keeps
            // the one it loaded, as two Lambda functions do.
            if (!module_name.empty()) sys.attr("modules").attr("pop")(module_name, bp::object());
        } catch (const bp::error_already_set&) {
            PyErr_Print();
        }
        impl_->handler.emplace(std::move(handler));
        if (!module_name.empty()) {
            impl_->module = PyDict_GetItemString(PyImport_GetModuleDict(), module_name.c_str());  // borrowed
            Py_XINCREF(impl_->module);
        }
    }
    if (first) put_environment(before_start);  // then taken back like any function's
    const auto name = impl_->environment.find("AWS_LAMBDA_FUNCTION_NAME");
    impl_->function_name =
        name != impl_->environment.end() && name->second ? *name->second : std::getenv("AWS_LAMBDA_FUNCTION_NAME");
}

python_function::~python_function() = default;
python_function::python_function(python_function&&) noexcept = default;
python_function& python_function::operator=(python_function&&) noexcept = default;

const std::string& python_function::fault() const noexcept { return impl_->handler->fault(); }
const std::string& python_function::load_log() const noexcept { return impl_->load_log; }

local_result python_function::invoke(std::string_view event, const invoke_options& options) const {
    std::lock_guard<std::mutex> lock(g_mutex);
    invocation inv;
    inv.request_id = options.request_id.empty() ? random_request_id() : options.request_id;
    inv.deadline_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          (std::chrono::system_clock::now() + options.timeout).time_since_epoch())
                          .count();
    inv.function_arn = options.function_arn.empty()
                           ? "arn:aws:lambda:us-east-1:012345678912:function:" + impl_->function_name
                           : options.function_arn;
    inv.trace_id = options.trace_id;
    inv.client_context = options.client_context;
    inv.cognito_identity = options.cognito_identity;
    inv.content_type = "application/json";
    inv.body.assign(event.data(), event.size());
    if (inv.trace_id.empty())
        ::unsetenv("_X_AMZN_TRACE_ID");
    else
        ::setenv("_X_AMZN_TRACE_ID", inv.trace_id.c_str(), 1);

    local_result result;
    invocation_response res;
    {
        capture cap(result.log);
        environment_scope scope(impl_->environment);
        res = (*impl_->handler)(inv);
    }
    result.success = res.outcome == invocation_response::kind::success;
    result.body = std::move(res.body);
    result.xray_cause = std::move(res.xray_cause);
    result.exit_status = res.exit_status;
    return result;
}

}  // namespace lambda_py27::testing
