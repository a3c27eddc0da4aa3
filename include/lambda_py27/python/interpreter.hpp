// The embedded CPython 2.7 interpreter: one per process, started once, with the legacy runtime's set-up.
#pragma once

#include <string>
#include <vector>

extern "C" {
struct _ts;
}

namespace lambda_py27::python {

/// Where the interpreter finds things, and how the process environment is prepared.
/// Empty strings mean "from the environment / by detection".
struct interpreter_options {
    /// Python's home (prefix holding lib/python2.7). Default: $LAMBDA_PY27_PYTHON_HOME, else
    /// `<dir of the executable>/python` when it holds a standard library (a deployment bundle), else
    /// `<dir of the executable>/../python` (a layer's bin/), else the build-time Python.
    std::string python_home;
    /// The function's code: first on sys.path and the working directory. Default: $LAMBDA_TASK_ROOT,
    /// else the current directory.
    std::string task_root;
    /// The runtime's own folder, after the layers on sys.path. Default: $LAMBDA_RUNTIME_DIR, else /var/runtime.
    std::string runtime_dir;
    /// Root of the layers; `<opt_root>/python/lib/python2.7/site-packages` and `<opt_root>/python` go on
    /// sys.path when PYTHONPATH is unset. Default: $LAMBDA_PY27_OPT_ROOT, else /opt.
    std::string opt_root;
    /// Extra package folders (e.g. a bundled boto3), placed after the runtime folder.
    std::vector<std::string> extra_paths;
    /// chdir() to the task root, as the platform does.
    bool change_directory = true;
};

/// Registers a built-in module (a Boost.Python `BOOST_PYTHON_MODULE(name)` defines `init<name>`) so that
/// `import name` finds it. Must be called before the interpreter starts; throws `std::logic_error` after.
void register_builtin_module(const char* name, void (*init_function)());

/// Owns the process's interpreter. Move-only; a second live instance is refused with `std::logic_error`.
///
/// The constructor starts CPython 2.7 with the legacy python2.7 runtime's set-up: sys.path order, `.pth`
/// files of the task root (and of the layer folders when used), default encoding utf-8, internal
/// `_LAMBDA_*` variables removed from the environment, AWS_SECURITY_TOKEN = AWS_SESSION_TOKEN. It returns
/// holding the GIL. The destructor does not finalise Python (Boost.Python does not support it); it only
/// marks the instance gone.
class interpreter {
public:
    explicit interpreter(interpreter_options options = {});
    ~interpreter();
    interpreter(interpreter&& other) noexcept;
    interpreter& operator=(interpreter&&) = delete;
    interpreter(const interpreter&) = delete;
    interpreter& operator=(const interpreter&) = delete;

    /// True between the start of the first interpreter and process exit.
    static bool is_started() noexcept;

    const interpreter_options& options() const noexcept { return options_; }

private:
    interpreter_options options_;
    bool owner_ = true;
};

/// Releases the GIL for its lifetime (the thread must hold it).
class gil_release {
public:
    gil_release() noexcept;
    ~gil_release();
    gil_release(const gil_release&) = delete;
    gil_release& operator=(const gil_release&) = delete;

private:
    _ts* state_;
};

/// Acquires the GIL for its lifetime, from any thread.
class gil_acquire {
public:
    gil_acquire() noexcept;
    ~gil_acquire();
    gil_acquire(const gil_acquire&) = delete;
    gil_acquire& operator=(const gil_acquire&) = delete;

private:
    int state_;
};

}  // namespace lambda_py27::python
