// Streamed responses: the Runtime API's streaming mode, for C++ and Python handlers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

namespace lambda_py27 {

class api_client;

/// Largest streamed response, counted in all (Lambda: 200 MB). A write beyond it is refused.
inline constexpr std::uint64_t max_streamed_response_bytes = 200ULL * 1024 * 1024;
/// Content type of a Function URL response that starts with the HTTP-integration prelude.
inline constexpr std::string_view http_integration_content_type = "application/vnd.awslambda.http-integration-response";

/// One response being uploaded to `/response` in streaming mode (`Lambda-Runtime-Function-Response-Mode:
/// streaming`, `Transfer-Encoding: chunked`, trailers `Lambda-Runtime-Function-Error-Type` and
/// `-Error-Body`). Made by `api_client::begin_stream`; it must end (finish or fail) before the client is
/// used again. Destroyed before it ended, it abandons the request (the connection is closed).
class response_stream {
public:
    virtual ~response_stream() = default;
    /// Sends `data` as one chunk (an empty `data` sends nothing).
    virtual void write(std::string_view data, std::error_code& ec) = 0;
    /// Ends the stream and reads the API's answer.
    virtual void finish(std::error_code& ec) = 0;
    /// Ends the stream with an error: `error_type` (dropped when it has control characters) and base64 of
    /// `error_body` (the error JSON) go into the trailers. Then reads the API's answer.
    virtual void fail(std::string_view error_type, std::string_view error_body, std::error_code& ec) = 0;
};

/// What a handler streams with. Inside `run()`, `response_writer::current()` is the writer of the
/// invocation being served; it opens the stream at the first `begin()` or `write()`. Once it has begun,
/// the handler's returned `invocation_response` ends the stream: a success finishes it (a non-empty body
/// is written as a last chunk), a failure goes into the trailers (error type `Unhandled` when empty), an
/// exit leaves it unfinished. A handler that never begins is answered as usual.
///
///     handlers.add("count", [](const lambda_py27::invocation&) {
///         auto& w = *lambda_py27::response_writer::current();
///         w.begin("text/plain");
///         for (int i = 0; i < 3; ++i) w.write(std::to_string(i) + "\n");
///         return lambda_py27::invocation_response::success({}, {});
///     });
///
/// A stream above `max_streamed_response_bytes` is cut: the write that would pass it sends nothing,
/// ends the stream with `Function.ResponseSizeTooLarge` in the trailers and fails with
/// `errc::payload_too_large`. Not thread-safe; one writer per invocation.
class response_writer {
public:
    response_writer(api_client& client, std::string request_id);
    ~response_writer();
    response_writer(const response_writer&) = delete;
    response_writer& operator=(const response_writer&) = delete;

    /// The writer of the invocation the calling thread serves in `run()`; nullptr outside a handler.
    static response_writer* current() noexcept;

    /// Opens the stream with `content_type` (once; a second call does nothing).
    void begin(std::string_view content_type, std::error_code& ec);
    void begin(std::string_view content_type = "application/octet-stream");
    /// Sends one chunk; begins with `application/octet-stream` first when needed.
    void write(std::string_view data, std::error_code& ec);
    void write(std::string_view data);
    /// Ends the stream (no-op when it already ended or never began).
    void finish(std::error_code& ec);
    /// Ends the stream with an error in the trailers (no-op when it already ended or never began).
    void fail(std::string_view error_type, std::string_view error_body, std::error_code& ec);

    bool started() const noexcept { return started_; }
    bool ended() const noexcept { return ended_; }
    std::uint64_t bytes_written() const noexcept { return written_; }
    const std::string& request_id() const noexcept { return request_id_; }
    /// The error that ended the stream on the writer's own initiative (too large, connection lost).
    std::error_code error() const noexcept { return error_; }

    /// Makes the writer serve another invocation (the run loop reuses one writer); an unended stream is
    /// abandoned.
    void reset(std::string_view request_id);

    /// Makes `w` the calling thread's current writer for its lifetime (the run loop does this).
    class scope {
    public:
        explicit scope(response_writer& w) noexcept;
        ~scope();
        scope(const scope&) = delete;
        scope& operator=(const scope&) = delete;

    private:
        response_writer* previous_;
    };

private:
    api_client& client_;
    std::string request_id_;
    std::unique_ptr<response_stream> stream_;
    bool started_ = false;
    bool ended_ = false;
    std::uint64_t written_ = 0;
    std::error_code error_;
};

namespace detail {
/// The HTTP-integration prelude: `prelude_json`, then 8 NUL bytes.
std::string http_integration_prelude(std::string_view prelude_json);
}  // namespace detail

}  // namespace lambda_py27
