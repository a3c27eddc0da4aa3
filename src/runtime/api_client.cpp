#include <lambda_py27/runtime/runtime_client.hpp>

#include <array>
#include <system_error>

namespace lambda_py27 {
namespace {

// The characters of the platform's request ids: letters, digits, '-', '_', '.' and ':'.
constexpr std::array<bool, 256> request_id_chars = [] {
    std::array<bool, 256> t{};
    for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (unsigned char c : {'-', '_', '.', ':'}) t[c] = true;
    return t;
}();

void throw_if(const std::error_code& ec, const char* what) {
    if (ec) throw std::system_error(ec, what);
}

}  // namespace

bool is_valid_request_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > 256) return false;
    for (unsigned char c : id)
        if (!request_id_chars[c]) return false;
    // "." and ".." would make a path segment that proxies normalise away.
    return id != "." && id != "..";
}

// The throwing overloads: the error_code ones, with the code thrown as a std::system_error.

invocation api_client::next() {
    invocation inv;
    std::error_code ec;
    next(inv, ec);
    throw_if(ec, "runtime/invocation/next");
    return inv;
}

void api_client::post_response(std::string_view request_id, std::string_view body, std::string_view content_type) {
    std::error_code ec;
    post_response(request_id, body, content_type, ec);
    throw_if(ec, "runtime/invocation/response");
}

void api_client::post_error(std::string_view request_id, std::string_view error_body, std::string_view error_type,
                            std::string_view xray_cause) {
    std::error_code ec;
    post_error(request_id, error_body, error_type, xray_cause, ec);
    throw_if(ec, "runtime/invocation/error");
}

void api_client::post_init_error(std::string_view error_body, std::string_view error_type) {
    std::error_code ec;
    post_init_error(error_body, error_type, ec);
    throw_if(ec, "runtime/init/error");
}

}  // namespace lambda_py27
