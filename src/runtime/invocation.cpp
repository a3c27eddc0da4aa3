#include <lambda_py27/runtime/invocation.hpp>

#include <utility>

namespace lambda_py27 {

std::chrono::milliseconds invocation::remaining_time() const noexcept {
    if (deadline_ms <= 0) return std::chrono::milliseconds{0};
    const auto now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
    const auto left = std::chrono::milliseconds{deadline_ms} - now;
    return left.count() > 0 ? left : std::chrono::milliseconds{0};
}

void invocation::clear() noexcept {
    request_id.clear();
    deadline_ms = 0;
    function_arn.clear();
    trace_id.clear();
    client_context.clear();
    cognito_identity.clear();
    tenant_id.clear();
    content_type.clear();
    body.clear();
}

invocation_response invocation_response::success(std::string body, std::string content_type) {
    invocation_response r;
    r.outcome = kind::success;
    r.body = std::move(body);
    r.content_type = std::move(content_type);
    return r;
}

invocation_response invocation_response::failure(std::string error_body, std::string error_type,
                                                 std::string xray_cause) {
    invocation_response r;
    r.outcome = kind::failure;
    r.body = std::move(error_body);
    r.error_type = std::move(error_type);
    r.xray_cause = std::move(xray_cause);
    return r;
}

invocation_response invocation_response::exit(int status) {
    invocation_response r;
    r.outcome = kind::none;
    r.exit_status = status;
    return r;
}

}  // namespace lambda_py27
