// The request heads the Runtime API client sends: `GET /next` made once, the posts' heads made in one
// reused string. The posts' are built inline: they are on every invocation's path.
#pragma once

#include "header_text.hpp"

#include <lambda_py27/runtime/runtime_client.hpp>

#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>

namespace lambda_py27::detail {

/// Post bodies up to this size are copied behind the headers and sent with them in one buffer.
inline constexpr std::size_t inline_body_bytes = 16 * 1024;

/// Builds the heads of the requests to the Runtime API at one endpoint.
class request_heads {
public:
    static constexpr std::string_view api_prefix = "/2018-06-01/runtime/";

    /// `endpoint` and `user_agent` have been checked: no control character in either.
    request_heads(std::string_view endpoint, std::string_view user_agent);

    /// The whole `GET /2018-06-01/runtime/invocation/next` request, made once.
    const std::string& next() const noexcept { return get_next_; }

    /// The head of a post to `/2018-06-01/runtime/<path><request_id><path_suffix>` carrying a body of
    /// `body_size` bytes, blank line included. Empty or unsendable values send no header (see
    /// append_optional_header), nor does an `xray_cause` above `max_xray_cause_bytes`. Returned in a string
    /// reused from post to post, which the caller may append a small body to.
    std::string& post(std::string_view path, std::string_view request_id, std::string_view path_suffix,
                      std::string_view content_type, std::size_t body_size, std::string_view error_type,
                      std::string_view xray_cause) {
        start_post(path, request_id, path_suffix, content_type);
        post_.append("Content-Length: ");
        char digits[24];
        const auto [end, err] = std::to_chars(digits, digits + sizeof digits, body_size);
        (void)err;  // 24 digits always suffice
        post_.append(digits, static_cast<std::size_t>(end - digits));
        post_.append("\r\n");
        append_optional_header(post_, "Lambda-Runtime-Function-Error-Type: ", error_type);
        if (xray_cause.size() <= max_xray_cause_bytes)
            append_optional_header(post_, "Lambda-Runtime-Function-XRay-Error-Cause: ", xray_cause);
        post_.append("\r\n");
        return post_;
    }

    /// The head of a streamed `POST .../invocation/<request_id>/response` (chunked, with the error
    /// trailers announced), blank line included. In the same reused string as post().
    const std::string& streamed_response(std::string_view request_id, std::string_view content_type);

private:
    void start_post(std::string_view path, std::string_view request_id, std::string_view path_suffix,
                    std::string_view content_type) {
        post_.clear();
        post_.append("POST ").append(api_prefix).append(path).append(request_id).append(path_suffix);
        post_.append(" HTTP/1.1\r\n").append(common_);
        append_optional_header(post_, "Content-Type: ", content_type);
    }

    std::string common_;    // "Host: ...\r\nUser-Agent: ...\r\n", shared by every request
    std::string get_next_;  // the whole GET /next request
    std::string post_;      // request line and headers of the current post, reused
};

}  // namespace lambda_py27::detail
