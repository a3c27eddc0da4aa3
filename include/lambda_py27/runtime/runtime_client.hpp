// The Lambda Runtime API client (protocol version 2018-06-01).
#pragma once

#include <lambda_py27/runtime/error.hpp>
#include <lambda_py27/runtime/invocation.hpp>
#include <lambda_py27/runtime/response_stream.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

namespace lambda_py27 {

/// Largest response body the Runtime API accepts: 6 MiB + 100 bytes (it answers 413 above).
inline constexpr std::size_t max_response_bytes = 6 * 1024 * 1024 + 100;
/// Largest X-Ray error cause header a runtime sends; a larger one is dropped, not truncated.
inline constexpr std::size_t max_xray_cause_bytes = 1024 * 1024;

/// True when `id` is non-empty and uses only letters, digits, `-`, `_`, `.` and `:`,
/// the characters of the platform's request ids; only such ids are put into a URL path.
bool is_valid_request_id(std::string_view id) noexcept;

/// The interface the run loop talks to. `runtime_client` speaks HTTP; tests may inject their own.
///
/// Each operation has an `error_code&` overload (virtual) and a throwing one (`std::system_error`).
class api_client {
public:
    virtual ~api_client() = default;

    /// Blocks until the next invocation arrives (no read timeout) and fills `out`.
    virtual void next(invocation& out, std::error_code& ec) = 0;
    /// Posts a successful result for `request_id`. A body above `max_response_bytes` is not sent
    /// (`errc::payload_too_large`); an empty `content_type` sends no `Content-Type`.
    virtual void post_response(std::string_view request_id, std::string_view body, std::string_view content_type,
                               std::error_code& ec) = 0;
    /// Posts a function error for `request_id`. Empty `error_type`/`xray_cause` send no header;
    /// an `xray_cause` above `max_xray_cause_bytes` is dropped. A header value with a control character
    /// (CR, LF...) is dropped too, never sent.
    virtual void post_error(std::string_view request_id, std::string_view error_body, std::string_view error_type,
                            std::string_view xray_cause, std::error_code& ec) = 0;
    /// Reports a non-recoverable initialisation error; the runtime should exit afterwards.
    virtual void post_init_error(std::string_view error_body, std::string_view error_type, std::error_code& ec) = 0;

    /// The `errorType` of the API's answer to the last call when that answer was a 4xx/5xx
    /// (e.g. `InvalidStateTransition`); empty when the last call got none.
    virtual std::string last_api_error_type() const { return {}; }
    /// The status of the API's answer to the last call when it was not a 2xx (e.g. 503, or 999 that HTTP
    /// does not define); 0 when the last call got a 2xx answer or none. For diagnostics: the error code
    /// says what the status means.
    virtual int last_api_status() const { return 0; }

    /// Opens a streamed response for `request_id` (see `response_stream`). The default buffers the
    /// chunks and posts them with `post_response` at `finish` (`post_error` at `fail`), so any client can
    /// serve a streaming handler; `runtime_client` streams for real.
    virtual std::unique_ptr<response_stream> begin_stream(std::string_view request_id, std::string_view content_type,
                                                          std::error_code& ec);

    invocation next();
    void post_response(std::string_view request_id, std::string_view body,
                       std::string_view content_type = "application/json");
    void post_error(std::string_view request_id, std::string_view error_body, std::string_view error_type = {},
                    std::string_view xray_cause = {});
    void post_init_error(std::string_view error_body, std::string_view error_type = {});
};

/// The Runtime API client over one persistent HTTP/1.1 keep-alive connection (Boost.Beast).
///
/// Not thread-safe: one client per thread. Buffers are reused across calls, so a steady-state `next()`
/// allocates nothing. When the peer closed an idle keep-alive connection, the client reconnects once
/// and goes on: before a post it checks the idle connection and replaces it if closed; a `GET /next`
/// that got no byte of answer is sent once more. A post that may have reached the API is never sent
/// twice: losing the connection after sending one is an error (`errc::api_unavailable`).
class runtime_client final : public api_client {
public:
    /// `endpoint` is `host:port`, as in `AWS_LAMBDA_RUNTIME_API`.
    explicit runtime_client(std::string endpoint, std::string user_agent = default_user_agent());
    ~runtime_client() override;
    runtime_client(const runtime_client&) = delete;
    runtime_client& operator=(const runtime_client&) = delete;
    runtime_client(runtime_client&&) noexcept;
    runtime_client& operator=(runtime_client&&) noexcept;

    /// A client for `AWS_LAMBDA_RUNTIME_API`; throws `std::runtime_error` when it is unset.
    static runtime_client from_environment();
    /// `lambda-py27/<version>`.
    static std::string default_user_agent();

    const std::string& endpoint() const noexcept;

    using api_client::next;
    using api_client::post_error;
    using api_client::post_init_error;
    using api_client::post_response;

    void next(invocation& out, std::error_code& ec) override;
    void post_response(std::string_view request_id, std::string_view body, std::string_view content_type,
                       std::error_code& ec) override;
    void post_error(std::string_view request_id, std::string_view error_body, std::string_view error_type,
                    std::string_view xray_cause, std::error_code& ec) override;
    void post_init_error(std::string_view error_body, std::string_view error_type, std::error_code& ec) override;
    std::string last_api_error_type() const override;
    int last_api_status() const override;
    /// A chunked `POST /response` in streaming mode. Until the stream ends, use the client for nothing else.
    std::unique_ptr<response_stream> begin_stream(std::string_view request_id, std::string_view content_type,
                                                  std::error_code& ec) override;

private:
    class stream;
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace lambda_py27
