// The request heads the Runtime API client sends: `GET /next` made once, the posts' heads made in one
// reused string, and the header lines both carry.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lambda_py27::detail {

/// Appends `name: value\r\n` when `value` is non-empty and can go into a header line as is (see
/// is_header_value); drops it otherwise. `name` is written as given.
void append_optional_header(std::string& out, std::string_view name, std::string_view value);

/// Post bodies up to this size are copied behind the headers and sent with them in one buffer.
inline constexpr std::size_t inline_body_bytes = 16 * 1024;

/// Builds the heads of the requests to the Runtime API at one endpoint.
class request_heads {
public:
    /// `endpoint` and `user_agent` have been checked: no control character in either.
    request_heads(std::string_view endpoint, std::string_view user_agent);

    /// The whole `GET /2018-06-01/runtime/invocation/next` request, made once.
    const std::string& next() const noexcept { return get_next_; }

    /// The head of a post to `/2018-06-01/runtime/<path><request_id><path_suffix>` carrying a body of
    /// `body_size` bytes, blank line included; empty or unsendable values (see append_optional_header)
    /// send no header, nor does an `xray_cause` above `max_xray_cause_bytes`. Returned in a string reused
    /// from post to post, which the caller may append a small body to.
    std::string& post(std::string_view path, std::string_view request_id, std::string_view path_suffix,
                      std::string_view content_type, std::size_t body_size, std::string_view error_type,
                      std::string_view xray_cause);

    /// The head of a streamed `POST .../invocation/<request_id>/response` (chunked, with the error
    /// trailers announced), blank line included. In the same reused string as post().
    const std::string& streamed_response(std::string_view request_id, std::string_view content_type);

private:
    void start_post(std::string_view path, std::string_view request_id, std::string_view path_suffix,
                    std::string_view content_type);

    std::string common_;    // "Host: ...\r\nUser-Agent: ...\r\n", shared by every request
    std::string get_next_;  // the whole GET /next request
    std::string post_;      // request line and headers of the current post, reused
};

}  // namespace lambda_py27::detail
