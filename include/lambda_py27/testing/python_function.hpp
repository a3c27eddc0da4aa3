// In-process invocation of a Python handler: no HTTP, no child process. For unit tests of handlers.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace lambda_py27::testing {

/// The invocation's metadata; empty strings are left out, as the platform leaves out absent headers.
struct invoke_options {
    std::string request_id;                   ///< default: a fresh UUID-shaped id per invocation
    std::chrono::milliseconds timeout{3000};  ///< the deadline is now + timeout
    std::string function_arn;                 ///< default: arn:aws:lambda:us-east-1:012345678912:function:<name>
    std::string trace_id;                     ///< becomes _X_AMZN_TRACE_ID; empty removes it
    std::string client_context;               ///< JSON text, as in Lambda-Runtime-Client-Context
    std::string cognito_identity;             ///< JSON text, as in Lambda-Runtime-Cognito-Identity
};

/// What one invocation produced, exactly as the runtime would have posted it.
struct local_result {
    bool success = false;  ///< true: `body` is the response; false: `body` is the legacy error body
    std::string body;
    std::string xray_cause;  ///< the X-Ray error cause the runtime would send with an error
    std::string log;         ///< everything logged during the invocation (logging, print, context.log, errors)
    int exit_status = -1;    ///< >= 0 when the runtime would now exit (SystemExit, fatal init error)
};

/// A Python handler loaded into this process's interpreter (started on first use; it stays up until the
/// process exits, so every `python_function` of a process shares it).
///
/// The platform variables (`AWS_LAMBDA_FUNCTION_NAME`, ..., memory, log group) get the emulator's defaults
/// unless already set or given in `environment`. The task root is put first on `sys.path`.
/// `environment` is the function's own: in force (in `os.environ` and the process's) while it loads and
/// while it is invoked, and taken back after each, so no variable of one function reaches another. Each
/// `python_function` loads its module afresh (another one of the same module does not touch it).
class python_function {
public:
    explicit python_function(std::string handler, std::string task_root = {},
                             std::map<std::string, std::string> environment = {});
    ~python_function();
    python_function(python_function&&) noexcept;
    python_function& operator=(python_function&&) noexcept;

    /// Invokes with `event` (JSON text) and returns the answer and the captured log.
    local_result invoke(std::string_view event, const invoke_options& options = {}) const;

    /// The handler-resolution fault (e.g. "Unable to import module 'app'"), empty if it resolved.
    const std::string& fault() const noexcept;
    /// What was logged while the handler was resolved (import-time prints, fault reports).
    const std::string& load_log() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace lambda_py27::testing
