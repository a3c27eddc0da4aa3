// The whole bootstrap in one call: environment in, the loop running, an exit status out.
#pragma once

#include <lambda_py27/python/interpreter.hpp>
#include <lambda_py27/runtime/handler_registry.hpp>
#include <lambda_py27/runtime/run_loop.hpp>

#include <functional>
#include <string>
#include <vector>

namespace lambda_py27::python {

/// What a custom bootstrap may change; everything else comes from the platform's environment.
///
/// The start-up order: the handler name is read; a name registered in `handlers` is served by its C++
/// handler right away (none of the Python steps below happen, the interpreter is never started).
/// Otherwise: `before_interpreter`; the interpreter starts; `preload_modules` are imported; the Python
/// handler is resolved (its faults are answered per invocation, as the legacy runtime did);
/// `after_interpreter`; then the loop, with `loop.hooks` around every invocation.
struct bootstrap_options {
    interpreter_options interpreter;
    /// The handler; default: the first command-line argument, else `_HANDLER`.
    std::string handler;
    /// C++ handlers by name; a name found here is served without Python.
    handler_registry handlers;
    /// Runs before the interpreter starts (register built-in modules, adjust the environment).
    std::function<void()> before_interpreter;
    /// Modules imported once the interpreter runs, before the handler is resolved (e.g. heavy packages
    /// every invocation needs). A failed import is an initialisation error (see `after_interpreter`).
    std::vector<std::string> preload_modules;
    /// Runs after the interpreter started and the handler resolved, before the first `/next`, with the
    /// GIL held (run Python code with `boost::python::exec`, import modules...). An exception here (a C++
    /// one, or a Python one as `boost::python::error_already_set`) is posted to `/runtime/init/error` as
    /// `Runtime.InitError` and the bootstrap exits with 1.
    std::function<void()> after_interpreter;
    /// Loop options (hooks around every invocation, diagnostics); used for C++ handlers too.
    run_options loop;
};

/// Runs the runtime: reads the platform environment, picks the handler, starts the interpreter unless
/// the handler is a registered C++ one, and serves invocations from `AWS_LAMBDA_RUNTIME_API` until the
/// API fails or the handler exits. Returns the process's exit status (see `lambda_py27::exit_status`).
/// A bootstrap's `main` is `return lambda_py27::python::run_bootstrap(argc, argv);`.
///
/// First of all, as Lambda's managed runtimes: when `AWS_LAMBDA_EXEC_WRAPPER` names a wrapper script, the
/// process execs it with this program's path and arguments (once: the program the wrapper execs runs on).
/// A wrapper that cannot be exec'ed is posted to `/runtime/init/error` as `Runtime.InvalidEntrypoint`
/// (exit 1); one that exits instead of exec'ing the runtime leaves the platform to see the exit.
int run_bootstrap(int argc, char** argv, bootstrap_options options = {});

/// Runs the interpreter's exit functions (`atexit`), as a normal interpreter exit would. GIL not held.
void run_exit_functions();

namespace detail {
/// Registers a built-in module while the program starts (before `main`); see LAMBDA_PY27_BUILTIN_MODULE.
/// `name` must be a string with static storage. Once an interpreter runs this cannot work: it then
/// writes a message naming the module to stderr and registers nothing.
struct builtin_module_registrar {
    builtin_module_registrar(const char* name, void (*init_function)()) noexcept;
};
}  // namespace detail

}  // namespace lambda_py27::python

/// Defines a Boost.Python module compiled into the executable and registers it as a built-in module, so
/// that `import name` works in the interpreter the bootstrap starts, with no registration call:
///
///     #include <boost/python.hpp>
///     #include <lambda_py27/python/bootstrap.hpp>
///     LAMBDA_PY27_BUILTIN_MODULE(greeting) { boost::python::def("hello", &hello); }
///
/// Registration runs during static initialisation, so put the module in a source file of the executable
/// itself (a static library's object nobody references may be left out by the linker). Needs
/// <boost/python.hpp> (it expands to BOOST_PYTHON_MODULE); `name` is a plain identifier.
#define LAMBDA_PY27_BUILTIN_MODULE(name)                                                                       \
    extern "C" BOOST_SYMBOL_EXPORT void init##name();                                                          \
    static const ::lambda_py27::python::detail::builtin_module_registrar lambda_py27_builtin_registrar_##name{ \
        #name, &init##name};                                                                                   \
    BOOST_PYTHON_MODULE(name)
