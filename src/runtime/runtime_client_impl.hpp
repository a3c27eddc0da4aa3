// What a runtime_client holds, shared by runtime_client.cpp (next and the posts) and
// runtime_client_stream.cpp (the streamed upload).
#pragma once

#include "api_connection.hpp"
#include "request_head.hpp"

#include <lambda_py27/runtime/runtime_client.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace lambda_py27 {

namespace detail {
/// Synchronous events are at most 6 MB; leave room for what a future API may send.
inline constexpr std::uint64_t event_body_limit = 32 * 1024 * 1024;
/// Answers to posts are `{"status":"OK"}` or a short error document.
inline constexpr std::uint64_t answer_body_limit = 1024 * 1024;

/// An endpoint whose text was checked, split for connecting.
struct checked_endpoint {
    std::string endpoint;
    std::string host;
    std::string port;
};
}  // namespace detail

struct runtime_client::impl {
    std::string endpoint;
    detail::api_connection connection;
    detail::request_heads heads;
    std::string answer_body;  // body of the answer to a post, reused
    std::string last_error_type;
    int last_status = 0;  // see api_client::last_api_status

    impl(detail::checked_endpoint ep, const std::string& user_agent)
        : endpoint(std::move(ep.endpoint)),
          connection(std::move(ep.host), std::move(ep.port)),
          heads(endpoint, user_agent) {}

    // Sends `head` (and `request_body`) and reads the answer: headers of `/next` into `inv` (when not
    // null), the body into `body`. Returns the answer's status in `status`. See api_connection::round_trip
    // for when a request goes out twice.
    std::error_code exchange(std::string_view head, std::string_view request_body, bool idempotent, invocation* inv,
                             std::string& body, std::uint64_t body_limit_bytes, int& status);

    // Maps a non-2xx answer to an error and remembers the API's errorType.
    std::error_code status_error(int status, std::string_view body);

    void post(std::string_view path, std::string_view request_id, std::string_view path_suffix, std::string_view body,
              std::string_view content_type, std::string_view error_type, std::string_view xray_cause,
              std::error_code& ec);
};

}  // namespace lambda_py27
