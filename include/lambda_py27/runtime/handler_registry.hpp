// C++ handlers by name, and the bootstrap of a runtime made of them alone (no Python).
#pragma once

#include <lambda_py27/runtime/run_loop.hpp>
#include <lambda_py27/runtime/runtime_client.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lambda_py27 {

/// Maps handler names (what `_HANDLER` or the bootstrap's first argument says) to C++ handlers.
///
/// A bootstrap that also embeds Python (`lambda_py27::python::run_bootstrap`) serves a registered name
/// with its C++ handler without starting the interpreter, and any other name as a Python
/// `module.function`; one executable can thus serve either kind of function.
///
///     lambda_py27::handler_registry handlers;
///     handlers.add("native.echo", [](const lambda_py27::invocation& inv) {
///         return lambda_py27::invocation_response::success(inv.body);
///     });
class handler_registry {
public:
    /// Registers `handler` under `name` and returns `*this` (calls chain). Throws `std::invalid_argument`
    /// for an empty name, an empty function, or a name that is already registered.
    handler_registry& add(std::string name, handler_function handler);

    /// The handler registered under `name`, or nullptr.
    const handler_function* find(std::string_view name) const noexcept;
    bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }

    /// The registered names, sorted.
    std::vector<std::string> names() const;
    std::size_t size() const noexcept { return handlers_.size(); }
    bool empty() const noexcept { return handlers_.empty(); }

private:
    std::map<std::string, handler_function, std::less<>> handlers_;
};

/// The handler a bootstrap serves: its first command-line argument (container images pass the handler
/// as CMD), else `_HANDLER`; empty when neither is given.
std::string handler_name_from(int argc, char** argv);

/// Reports a failed initialisation as the platform expects: a line on stderr, then
/// `POST /runtime/init/error` with `{"errorMessage": message, "errorType": error_type}` (a failed post
/// is ignored: the process is about to exit anyway). Returns `status`, for `return report_init_error(...)`.
int report_init_error(api_client& client, std::string_view error_type, std::string_view message, int status);

/// The client for `AWS_LAMBDA_RUNTIME_API`, or none (with the reason written to stderr) when it is unset or
/// malformed: a bootstrap then exits with `exit_status::usage`, having no API to report to.
std::optional<runtime_client> client_from_environment();

/// The whole bootstrap of a C++-only runtime: connects to `AWS_LAMBDA_RUNTIME_API`, picks the handler
/// named by `handler_name_from(argc, argv)` in `handlers` and serves invocations with it until the API
/// fails or the handler asks to exit. Returns the exit status: the loop's (see `exit_status`), or
/// `exit_status::usage` when the API variable is unset or the name is missing or unknown (the latter two
/// are posted to `/runtime/init/error` as `Runtime.NoHandler` / `Runtime.HandlerNotFound`).
///
///     int main(int argc, char** argv) { return lambda_py27::run(argc, argv, handlers); }
int run(int argc, char** argv, const handler_registry& handlers, const run_options& options = {});

}  // namespace lambda_py27
