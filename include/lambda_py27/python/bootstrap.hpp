// The whole bootstrap in one call: environment in, the loop running, an exit status out.
#pragma once

#include <lambda_py27/python/interpreter.hpp>
#include <lambda_py27/runtime/run_loop.hpp>

#include <functional>
#include <string>

namespace lambda_py27::python {

/// What a custom bootstrap may change; everything else comes from the platform's environment.
struct bootstrap_options {
    interpreter_options interpreter;
    /// `module.function`; default: the first command-line argument, else `_HANDLER`.
    std::string handler;
    /// Runs before the interpreter starts (register built-in modules, adjust the environment).
    std::function<void()> before_interpreter;
    /// Runs after the interpreter started and the handler resolved, before the first `/next`, with the
    /// GIL held. An exception here is posted to `/runtime/init/error` and the bootstrap exits with 1.
    std::function<void()> after_interpreter;
    /// Loop options (hooks around every invocation, diagnostics).
    run_options loop;
};

/// Runs the Python 2.7 runtime: reads the platform environment, starts the interpreter, resolves the
/// handler, serves invocations from `AWS_LAMBDA_RUNTIME_API` until the API fails or the handler exits.
/// Returns the process's exit status (see `lambda_py27::exit_status`). A bootstrap's `main` is
/// `return lambda_py27::python::run_bootstrap(argc, argv);`.
int run_bootstrap(int argc, char** argv, bootstrap_options options = {});

/// Runs the interpreter's exit functions (`atexit`), as a normal interpreter exit would. GIL not held.
void run_exit_functions();

}  // namespace lambda_py27::python
