// One invocation as the Runtime API hands it to the runtime.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace lambda_py27 {

/// The event and metadata of one invocation, as read from `GET /runtime/invocation/next`.
///
/// Header values are kept as the raw strings the API sent (JSON ones are parsed by whoever needs them).
/// Headers the API omitted are empty strings.
struct invocation {
    std::string request_id;        ///< `Lambda-Runtime-Aws-Request-Id` (always present).
    std::int64_t deadline_ms = 0;  ///< `Lambda-Runtime-Deadline-Ms`: Unix epoch ms; 0 when absent or not a number.
    std::string function_arn;      ///< `Lambda-Runtime-Invoked-Function-Arn`.
    std::string trace_id;          ///< `Lambda-Runtime-Trace-Id`.
    std::string client_context;    ///< `Lambda-Runtime-Client-Context` (JSON text).
    std::string cognito_identity;  ///< `Lambda-Runtime-Cognito-Identity` (JSON text).
    std::string tenant_id;         ///< `Lambda-Runtime-Aws-Tenant-Id`.
    std::string content_type;      ///< `Content-Type` of the event; `application/json` when absent.
    std::string body;              ///< The event.

    /// Time left until the deadline, never below zero (zero when the deadline is unknown).
    std::chrono::milliseconds remaining_time() const noexcept;

    /// Empties every field but keeps the strings' capacity, so a reused invocation does not allocate.
    void clear() noexcept;
};

/// What a handler produced for one invocation, and what the run loop must do with it.
struct invocation_response {
    enum class kind {
        success,  ///< post `body` to `/response`
        failure,  ///< post `body` (error JSON) to `/error`
        none,     ///< post nothing (the process is about to exit, e.g. Python's `SystemExit`)
    };

    kind outcome = kind::success;
    std::string body;
    std::string content_type = "application/json";  ///< for success
    std::string error_type;  ///< for failure: `Lambda-Runtime-Function-Error-Type` (omitted when empty)
    std::string xray_cause;  ///< for failure: `Lambda-Runtime-Function-XRay-Error-Cause` (omitted when empty)
    int exit_status = -1;    ///< >= 0: after answering (or not), the loop ends and returns this status

    /// A successful answer with the given body.
    static invocation_response success(std::string body, std::string content_type = "application/json");
    /// A function error: `error_body` is the error JSON document.
    static invocation_response failure(std::string error_body, std::string error_type = {},
                                       std::string xray_cause = {});
    /// No answer at all; the loop ends with `status`.
    static invocation_response exit(int status);

    bool is_success() const noexcept { return outcome == kind::success; }
};

}  // namespace lambda_py27
