// A bootstrap with hooks: everything lambda-py27-bootstrap does, plus
//   - `greeting`, a Boost.Python module built into the executable (LAMBDA_PY27_BUILTIN_MODULE);
//   - before the interpreter: read the configuration (STAGE) while no Python runs;
//   - after it: preload modules and run Python code, before the first event (a failure here is an init
//     error: posted to /runtime/init/error, exit status 1);
//   - around every invocation: C++ hooks (here an invocation counter);
//   - a C++ handler, `native.status`, served without starting Python when it is the handler.
#include <lambda_py27/python/bootstrap.hpp>

#include <boost/python.hpp>

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace {

std::atomic<long> g_invocations{0};
std::string g_stage = "unset";

// Events are decoded as json.loads does: strings are unicode, so take any Python object.
boost::python::object greet(const boost::python::object& name) { return "Hello, " + name + " (from C++)"; }
long invocation_count() { return g_invocations.load(); }
std::string stage() { return g_stage; }

}  // namespace

// `import greeting` in the handler finds this module; no registration call is needed.
LAMBDA_PY27_BUILTIN_MODULE(greeting) {
    boost::python::def("greet", &greet);
    boost::python::def("invocation_count", &invocation_count);
    boost::python::def("stage", &stage);
    boost::python::scope().attr("warmed") = false;
}

int main(int argc, char** argv) {
    lambda_py27::python::bootstrap_options options;

    options.before_interpreter = [] {
        const char* stage = std::getenv("STAGE");
        g_stage = stage != nullptr ? stage : "dev";
    };
    // Imported once, before the handler: a failure is an init error. CUSTOM_HOOKS_PRELOAD adds more.
    options.preload_modules = {"json", "decimal"};
    if (const char* extra = std::getenv("CUSTOM_HOOKS_PRELOAD"); extra != nullptr && *extra != '\0')
        options.preload_modules.emplace_back(extra);
    options.after_interpreter = [] {
        if (std::getenv("CUSTOM_HOOKS_FAIL_INIT") != nullptr) throw std::runtime_error("init hook failed on request");
        namespace bp = boost::python;
        bp::object main = bp::import("__main__");
        bp::exec("import greeting\ngreeting.warmed = True\n", main.attr("__dict__"));
    };
    options.loop.hooks.before = [](const lambda_py27::invocation&) { ++g_invocations; };

    options.handlers.add("native.status", [](const lambda_py27::invocation&) {
        const bool python = lambda_py27::python::interpreter::is_started();
        return lambda_py27::invocation_response::success(std::string(R"({"python_started": )") +
                                                         (python ? "true" : "false") + "}");
    });

    return lambda_py27::python::run_bootstrap(argc, argv, std::move(options));
}
