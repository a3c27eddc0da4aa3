// A local Lambda: the Runtime API served to a runtime process, and the invoke endpoint for callers.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lambda_py27::testing {

/// Configuration of an `emulator`. Defaults are those of AWS's Runtime Interface Emulator.
struct emulator_options {
    /// The runtime's argv. Empty: no process is started and an external runtime (a test's
    /// `runtime_client`) is expected to connect to `runtime_api_endpoint()`.
    std::vector<std::string> runtime_command;
    std::string invoke_address = "127.0.0.1";  ///< where the invoke endpoint listens
    std::uint16_t invoke_port = 8080;          ///< 0 picks an ephemeral port
    std::string runtime_api_address = "127.0.0.1";
    std::string task_root;  ///< LAMBDA_TASK_ROOT and the runtime's working directory (default: current dir)
    std::string handler;    ///< _HANDLER
    std::string function_name = "test_function";
    std::string function_version = "$LATEST";
    unsigned memory_mb = 3008;
    std::chrono::milliseconds timeout{300000};  ///< AWS_LAMBDA_FUNCTION_TIMEOUT
    std::string region = "us-east-1";
    std::string log_group = "/aws/lambda/Functions";
    std::string log_stream = "$LATEST";
    std::map<std::string, std::string> environment;  ///< extra variables for the runtime
    std::size_t max_event_bytes = 6 * 1024 * 1024;    ///< larger invoke bodies get 413
    /// Where START/END/REPORT lines go; nullptr = stdout.
    std::ostream* report = nullptr;
};

/// Result of `invoke()`: what a caller of the invoke endpoint sees.
struct invoke_result {
    int status = 0;              ///< HTTP status of the invoke endpoint
    std::string body;            ///< the response or error body
    std::string function_error;  ///< `X-Amz-Function-Error` (empty on success)
    std::map<std::string, std::string> headers;
};

/// The emulator. `start()` binds both listeners and serves on background threads until `stop()`
/// or destruction. The runtime process is started at the first invoke (so its init is measured, as
/// Lambda does), and started again after it exits or is killed for a timeout.
class emulator {
public:
    explicit emulator(emulator_options options);
    ~emulator();
    emulator(const emulator&) = delete;
    emulator& operator=(const emulator&) = delete;

    void start();
    void stop();

    std::uint16_t invoke_port() const;
    /// `host:port` of the Runtime API, as given to the runtime in AWS_LAMBDA_RUNTIME_API.
    std::string runtime_api_endpoint() const;

    /// Blocks until `stop()` is called (from a signal handler's thread, say).
    void wait();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// A minimal HTTP/1.1 client for the invoke endpoint (tests and tools): POSTs `event` to
/// `/2015-03-31/functions/function/invocations` on `host:port` and returns what came back.
invoke_result invoke(const std::string& host, std::uint16_t port, const std::string& event,
                     const std::map<std::string, std::string>& headers = {},
                     std::chrono::milliseconds timeout = std::chrono::milliseconds{600000});

}  // namespace lambda_py27::testing
