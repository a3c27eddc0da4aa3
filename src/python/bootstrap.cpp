#include <lambda_py27/python/bootstrap.hpp>

#include <lambda_py27/python/python_handler.hpp>
#include <lambda_py27/runtime/runtime_client.hpp>

#include <Python.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>

namespace lambda_py27::python {
namespace {

std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

int report_init_error(api_client& client, std::string_view type, std::string_view message, int status) {
    std::fprintf(stderr, "[lambda-py27] %.*s: %.*s\n", static_cast<int>(type.size()), type.data(),
                 static_cast<int>(message.size()), message.data());
    std::error_code ec;
    client.post_init_error("{\"errorMessage\": " + json_string(message) + ", \"errorType\": " + json_string(type) + "}",
                           type, ec);
    return status;
}

}  // namespace

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
    std::optional<runtime_client> client;
    try {
        client.emplace(runtime_client::from_environment());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "[lambda-py27] %s\n", e.what());
        return exit_status::usage;
    }

    std::string handler_spec = options.handler;
    if (handler_spec.empty() && argc > 1 && argv[1] != nullptr) handler_spec = argv[1];
    if (handler_spec.empty()) {
        if (const char* h = std::getenv("_HANDLER")) handler_spec = h;
    }
    if (handler_spec.empty())
        return report_init_error(*client, "Runtime.NoHandler",
                                 "no handler: pass module.function as the first argument or set _HANDLER",
                                 exit_status::usage);

    int status = 0;
    try {
        if (options.before_interpreter) options.before_interpreter();
        interpreter interp(options.interpreter);
        python_handler handler(handler_spec);
        if (options.after_interpreter) options.after_interpreter();
        {
            gil_release unlocked;
            status = run(*client, handler, options.loop);
        }
    } catch (const std::exception& e) {
        return report_init_error(*client, "Runtime.InitError", e.what(), exit_status::handler_fatal);
    }
    run_exit_functions();
    return status;
}

}  // namespace lambda_py27::python
