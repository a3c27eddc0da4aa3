#include "request_head.hpp"

#include "header_text.hpp"

#include <lambda_py27/runtime/runtime_client.hpp>

#include <charconv>

namespace lambda_py27::detail {
namespace {

constexpr std::string_view api_prefix = "/2018-06-01/runtime/";

void append_decimal(std::string& out, std::size_t n) {
    char digits[24];
    const auto [end, err] = std::to_chars(digits, digits + sizeof digits, n);
    (void)err;  // 24 digits always suffice
    out.append(digits, static_cast<std::size_t>(end - digits));
}

}  // namespace

void append_optional_header(std::string& out, std::string_view name, std::string_view value) {
    if (!value.empty() && is_header_value(value)) out.append(name).append(": ").append(value).append("\r\n");
}

request_heads::request_heads(std::string_view endpoint, std::string_view user_agent) {
    common_.append("Host: ").append(endpoint).append("\r\nUser-Agent: ").append(user_agent).append("\r\n");
    get_next_.append("GET ").append(api_prefix).append("invocation/next HTTP/1.1\r\n");
    get_next_.append(common_).append("\r\n");
    post_.reserve(1024 + inline_body_bytes);
}

void request_heads::start_post(std::string_view path, std::string_view request_id, std::string_view path_suffix,
                               std::string_view content_type) {
    post_.clear();
    post_.append("POST ").append(api_prefix).append(path).append(request_id).append(path_suffix);
    post_.append(" HTTP/1.1\r\n").append(common_);
    append_optional_header(post_, "Content-Type", content_type);
}

std::string& request_heads::post(std::string_view path, std::string_view request_id, std::string_view path_suffix,
                                 std::string_view content_type, std::size_t body_size, std::string_view error_type,
                                 std::string_view xray_cause) {
    start_post(path, request_id, path_suffix, content_type);
    post_.append("Content-Length: ");
    append_decimal(post_, body_size);
    post_.append("\r\n");
    append_optional_header(post_, "Lambda-Runtime-Function-Error-Type", error_type);
    if (xray_cause.size() <= max_xray_cause_bytes)
        append_optional_header(post_, "Lambda-Runtime-Function-XRay-Error-Cause", xray_cause);
    post_.append("\r\n");
    return post_;
}

const std::string& request_heads::streamed_response(std::string_view request_id, std::string_view content_type) {
    start_post("invocation/", request_id, "/response", content_type);
    post_.append(
        "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
        "Transfer-Encoding: chunked\r\n"
        "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n");
    return post_;
}

}  // namespace lambda_py27::detail
