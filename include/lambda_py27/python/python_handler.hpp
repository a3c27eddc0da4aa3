// A Python 2.7 `module.function` handler, resolved and run as the legacy python2.7 runtime did.
#pragma once

#include <lambda_py27/runtime/invocation.hpp>

#include <memory>
#include <string>

namespace lambda_py27::python {

/// Serves invocations with a Python handler. Copyable (copies share one resolved handler), so it can
/// be stored in a `lambda_py27::handler_function`.
///
/// Construction resolves `spec` (the interpreter must be running and the calling thread must hold the
/// GIL): the module is imported, its optional `init()` called. A resolution fault does not throw: it is
/// logged (`<fault>: <cause>`) and every invocation is then answered with the fault, or, for the fatal
/// "module initialization error", the first invocation is answered and the loop ends with status 1.
///
/// Calling it takes the GIL for the duration of the invocation, so the caller should not hold it.
class python_handler {
public:
    explicit python_handler(std::string spec);

    /// Runs one invocation: decode the event, build the context, call, encode the result.
    invocation_response operator()(const invocation& inv) const;

    const std::string& spec() const noexcept;
    /// The resolution fault (e.g. `Unable to import module 'app'`), empty when the handler resolved.
    const std::string& fault() const noexcept;
    /// True when the fault ends the process after the first invocation.
    bool fault_is_fatal() const noexcept;
    /// Under the modern error profile (`LAMBDA_PY27_ERROR_PROFILE=modern`), the fault's error type
    /// (`Runtime.ImportModuleError`, ...): the fault is an init error, to be posted to
    /// `/runtime/init/error` with `fault_body()` before the process exits with 1. Empty otherwise.
    const std::string& fault_type() const noexcept;
    /// The error document answered (legacy) or posted as the init error (modern) for the fault.
    const std::string& fault_body() const noexcept;

private:
    struct state;
    std::shared_ptr<state> state_;
};

}  // namespace lambda_py27::python
