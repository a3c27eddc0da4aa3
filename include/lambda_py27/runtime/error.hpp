// Errors of the Runtime API client and the run loop.
#pragma once

#include <string>
#include <system_error>

namespace lambda_py27 {

/// Error conditions reported by `runtime_client` and `run()`.
///
/// Every blocking call of the client has a throwing overload (throws `std::system_error`
/// carrying one of these) and an overload taking a trailing `std::error_code&`.
enum class errc {
    /// The Runtime API could not be reached, or the connection was lost: before the answer (and the
    /// one reconnect allowed failed too) or in the middle of it.
    api_unavailable = 1,
    /// The API answered 500 (or another 5xx, up to 599): the execution environment is broken and the
    /// runtime must exit promptly. `api_client::last_api_status()` tells which.
    container_error,
    /// The API answered 400 `InvalidRequestID`: the id is unknown (or the invocation timed out).
    invalid_request_id,
    /// The API answered 403 `InvalidStateTransition`: the invocation was already answered.
    invalid_state_transition,
    /// The API answered 413, or a payload exceeded the API's limit before it was sent.
    payload_too_large,
    /// A request id contains characters the platform never uses; no request was built with it.
    bad_request_id,
    /// The API's answer could not be understood (malformed HTTP, an over-long head, chunk-size line or
    /// trailer section, too many interim answers, an unexpected status or one above 599, a missing or
    /// repeated request id).
    protocol_error,
};

/// The category of `errc` values, named "lambda_py27.runtime".
const std::error_category& runtime_category() noexcept;

/// Makes an `std::error_code` of `runtime_category()`.
std::error_code make_error_code(errc e) noexcept;

}  // namespace lambda_py27

template <>
struct std::is_error_code_enum<lambda_py27::errc> : std::true_type {};
