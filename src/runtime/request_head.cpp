#include "request_head.hpp"

namespace lambda_py27::detail {

request_heads::request_heads(std::string_view endpoint, std::string_view user_agent) {
    common_.append("Host: ").append(endpoint).append("\r\nUser-Agent: ").append(user_agent).append("\r\n");
    get_next_.append("GET ").append(api_prefix).append("invocation/next HTTP/1.1\r\n");
    get_next_.append(common_).append("\r\n");
    post_.reserve(1024 + inline_body_bytes);
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
