// Graceful shutdown (opt-in, LAMBDA_PY27_GRACEFUL_SHUTDOWN): SIGTERM runs the function's shutdown hooks.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace lambda_py27::python {

/// `LAMBDA_PY27_GRACEFUL_SHUTDOWN` read: true for `1`/`true`/`yes`/`on`, false when unset, empty or
/// `0`/`false`/`no`/`off` (any case); nullopt for another value, which the bootstrap refuses.
std::optional<bool> graceful_shutdown_requested();

/// Makes SIGTERM end the process gracefully, then registers the internal no-op extension at
/// `runtime_api_endpoint` so that Lambda sends SIGTERM (500 ms before SIGKILL) when it ends the
/// execution environment. SIGTERM is taken by a thread of the runtime alone (the calling thread, and the
/// threads it starts later, block it; a forked child gets it back), which then takes the GIL (while the
/// loop waits in `/next` it is free; while a handler runs, Python hands it over between bytecodes or
/// when the handler blocks), calls a SIGTERM handler the function installed with `signal.signal`, the
/// handler module's optional `shutdown()`, then the `atexit` functions, and exits with status 0; an
/// invocation in progress is left unanswered. The interpreter must be running and the
/// handler resolved. Returns false with `what` set when the extension could not be registered (SIGTERM
/// is then still handled, but Lambda will not send it).
bool enable_graceful_shutdown(const std::string& runtime_api_endpoint, std::string& what);

namespace detail {
// enable_graceful_shutdown's steps apart, for the pre-forked pool (whose fork needs no thread running):
// the extension registered before the fork, SIGTERM taken by a thread of each process after it.

/// Registers the internal extension (no thread started); its identifier in `extension_id`.
bool register_shutdown_extension(const std::string& runtime_api_endpoint, std::string& extension_id, std::string& what);

/// SIGTERM ends this process gracefully (the thread, the handler, the mask of enable_graceful_shutdown);
/// `before_exit` runs after the hooks, before the exit.
bool handle_sigterm_gracefully(std::function<void()> before_exit, std::string& what);
}  // namespace detail

}  // namespace lambda_py27::python
