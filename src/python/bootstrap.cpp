#include <lambda_py27/python/bootstrap.hpp>

#include "exec_wrapper.hpp"

#include <lambda_py27/python/graceful_shutdown.hpp>
#include <lambda_py27/python/log.hpp>
#include <lambda_py27/python/python_handler.hpp>
#include <lambda_py27/runtime/extension_client.hpp>
#include <lambda_py27/runtime/runtime_client.hpp>
#include "python/prefork.hpp"
#include "python/support.hpp"
#include "runtime/diagnostic.hpp"

#include <boost/python.hpp>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <optional>
#include <stdexcept>

namespace bp = boost::python;

namespace lambda_py27::python {
namespace {

// Thrown by the start-up steps that run Python code: the pending Python exception, already reported
// with its traceback on stderr, as one line ("ImportError: No module named x").
struct python_init_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void preload(const std::vector<std::string>& modules) {
    for (const auto& name : modules) {
        PyObject* m = PyImport_ImportModule(name.c_str());
        if (m == nullptr)
            throw python_init_error("cannot preload module '" + name + "': " + detail::print_pending_exception());
        Py_DECREF(m);
    }
}

}  // namespace

namespace detail {

builtin_module_registrar::builtin_module_registrar(const char* name, void (*init_function)()) noexcept {
    if (Py_IsInitialized()) {
        lambda_py27::detail::diagnostic(std::string("cannot register built-in module '") + name +
                                        "': the interpreter is already running (LAMBDA_PY27_BUILTIN_MODULE must be "
                                        "in the executable, not in a library loaded later)");
        return;
    }
    // The name is a string literal: it outlives the interpreter, as CPython requires.
    if (PyImport_AppendInittab(const_cast<char*>(name), init_function) != 0)
        lambda_py27::detail::diagnostic(std::string("cannot register built-in module '") + name + "': out of memory");
}

}  // namespace detail

void run_exit_functions() {
    if (!Py_IsInitialized()) return;
    gil_acquire gil;
    // Python 2's atexit hooks itself into sys.exitfunc, which Py_Finalize would call.
    if (PyObject* f = PySys_GetObject(const_cast<char*>("exitfunc"))) {
        Py_INCREF(f);
        PySys_SetObject(const_cast<char*>("exitfunc"), nullptr);
        if (PyObject* r = PyObject_CallObject(f, nullptr))
            Py_DECREF(r);
        else
            PyErr_Clear();
        Py_DECREF(f);
    }
    if (PyObject* out = PySys_GetObject(const_cast<char*>("stdout")))
        if (PyObject* r = PyObject_CallMethod(out, const_cast<char*>("flush"), nullptr)) Py_DECREF(r);
    PyErr_Clear();
}

int run_bootstrap(int argc, char** argv, bootstrap_options options) {
    // Before anything is opened that the wrapper's exec would carry along.
    const std::string wrapper_failure = detail::exec_wrapper_if_asked(argc, argv);
    std::optional<runtime_client> client = client_from_environment();
    if (!client) return exit_status::usage;
    if (!wrapper_failure.empty())
        return report_init_error(*client, "Runtime.InvalidEntrypoint", wrapper_failure, exit_status::handler_fatal);
    adopt_telemetry_log();  // after the wrapper: the descriptor and its variable pass through it

    const std::string handler_spec = options.handler.empty() ? handler_name_from(argc, argv) : options.handler;
    if (handler_spec.empty())
        return report_init_error(*client, "Runtime.NoHandler",
                                 "no handler: pass module.function as the first argument or set _HANDLER",
                                 exit_status::usage);

    // A C++ handler: no interpreter, no Python step at all.
    if (const handler_function* native = options.handlers.find(handler_spec))
        return run(*client, *native, options.loop);

    // The opt-in settings of the Python runtime; a value that means nothing is refused, not guessed at.
    const char* profile = std::getenv("LAMBDA_PY27_ERROR_PROFILE");
    if (profile != nullptr && std::string_view(profile) != "legacy" && std::string_view(profile) != "modern")
        return report_init_error(
            *client, "Runtime.InvalidConfiguration",
            std::string("LAMBDA_PY27_ERROR_PROFILE must be legacy or modern, not '") + profile + "'",
            exit_status::usage);
    // support.py reads these two: FAST_JSON is on at "1", NATIVE_LOGGING off at "0".
    for (const char* name : {"LAMBDA_PY27_FAST_JSON", "LAMBDA_PY27_NATIVE_LOGGING"}) {
        const char* value = std::getenv(name);
        if (value != nullptr && *value != '\0' && std::string_view(value) != "0" && std::string_view(value) != "1")
            return report_init_error(*client, "Runtime.InvalidConfiguration",
                                     std::string(name) + " must be 1 or 0, not '" + value + "'", exit_status::usage);
    }
    const auto graceful = graceful_shutdown_requested();
    if (!graceful)
        return report_init_error(*client, "Runtime.InvalidConfiguration",
                                 "LAMBDA_PY27_GRACEFUL_SHUTDOWN must be 1, true, yes, on, 0, false, no or off",
                                 exit_status::usage);

    int status = 0;
    try {
        if (options.before_interpreter) options.before_interpreter();
        interpreter interp(options.interpreter);
        preload(options.preload_modules);
        python_handler handler(handler_spec);
        if (!handler.fault_type().empty()) {  // modern error profile: a load fault is an init error
            std::error_code ec;
            client->post_init_error(handler.fault_body(), handler.fault_type(), ec);
            return exit_status::handler_fatal;
        }
        if (options.after_interpreter) {
            try {
                options.after_interpreter();
            } catch (const bp::error_already_set&) {
                throw python_init_error(detail::print_pending_exception());
            }
        }
        const unsigned processes = detail::requested_processes();
        detail::pool_hooks hooks;
        const auto unavailable = [](const std::string& why) {
            lambda_py27::detail::diagnostic("graceful shutdown unavailable: " + why);
        };
        if (*graceful && processes == 1) {
            std::string why;
            if (!enable_graceful_shutdown(client->endpoint(), why)) unavailable(why);
        } else if (*graceful) {
            // A pool forks only while no other thread runs: the extension is registered now (before any
            // /next), its thread and each process's SIGTERM thread start after the forks. The parent
            // forwards SIGTERM to the workers, runs its own hooks, then waits for theirs.
            std::string id, why;
            if (!detail::register_shutdown_extension(client->endpoint(), id, why)) unavailable(why);
            hooks.in_parent = [endpoint = client->endpoint(), id, unavailable] {
                std::string what;
                if (!detail::handle_sigterm_gracefully([] { detail::wait_for_pool_workers(std::chrono::seconds(2)); },
                                                       what))
                    unavailable(what);
                if (!id.empty()) wait_for_extension_events(endpoint, id);
            };
            hooks.in_worker = [unavailable] {
                std::string what;
                if (!detail::handle_sigterm_gracefully({}, what)) unavailable("in a worker: " + what);
            };
        }
        if (processes > 1) {
            status = detail::serve_preforked(
                processes, *client, [&](api_client& c) { return run(c, handler, options.loop); }, hooks);
        } else {
            gil_release unlocked;
            status = run(*client, handler, options.loop);
        }
    } catch (const std::exception& e) {
        return report_init_error(*client, "Runtime.InitError", e.what(), exit_status::handler_fatal);
    } catch (const bp::error_already_set&) {  // from before_interpreter or a preload's own C++ code
        const std::string what = Py_IsInitialized() ? detail::print_pending_exception() : std::string("Python error");
        return report_init_error(*client, "Runtime.InitError", what, exit_status::handler_fatal);
    } catch (...) {
        return report_init_error(*client, "Runtime.InitError", "unknown exception during initialisation",
                                 exit_status::handler_fatal);
    }
    run_exit_functions();
    return status;
}

}  // namespace lambda_py27::python
