// The run loop: next, handle, answer, repeat.
#pragma once

#include <lambda_py27/runtime/invocation.hpp>
#include <lambda_py27/runtime/runtime_client.hpp>

#include <functional>
#include <string_view>

namespace lambda_py27 {

/// A handler: turns one invocation into an answer. It should not throw; if it does, the loop posts
/// a `Runtime.HandlerError` error for the invocation and goes on.
using handler_function = std::function<invocation_response(const invocation&)>;

/// Exit statuses of `run()` (and of the shipped executables). A handler may request any other.
namespace exit_status {
inline constexpr int handler_fatal = 1;    ///< the handler could not be initialised (e.g. a fatal import error)
inline constexpr int usage = 2;            ///< bad configuration or command line
inline constexpr int container_error = 3;  ///< the Runtime API answered 500 (or another 5xx)
inline constexpr int api_unavailable = 4;  ///< the Runtime API could not be reached
inline constexpr int protocol_error = 5;   ///< the Runtime API's answers could not be understood
}  // namespace exit_status

/// Hooks around every invocation. Unset hooks cost one branch each.
struct invocation_hooks {
    /// Runs after `_X_AMZN_TRACE_ID` is set, before the handler. If it throws, the handler is not
    /// called and the invocation is answered as if the handler had thrown.
    std::function<void(const invocation&)> before;
    /// Runs after the answer was posted (or could not be), with the answer as posted (a too large
    /// success is seen as the `Function.ResponseSizeTooLarge` error that replaced it) and the post's
    /// result. What it throws is logged and ignored.
    std::function<void(const invocation&, const invocation_response&, std::error_code post_result)> after;
};

/// Options of `run()`.
struct run_options {
    invocation_hooks hooks;
    /// Where the loop's own diagnostics go (one line each, no newline); default: stderr.
    std::function<void(std::string_view)> log;
    /// Stop after this many invocations (0 = never); for tests and benchmarks.
    unsigned long long max_invocations = 0;
};

/// Serves invocations from `client` with `handler` until the API fails or the handler asks to exit.
/// Returns the exit status (see `exit_status`), or the handler's requested status.
///
/// Per invocation: `next()`; set or unset `_X_AMZN_TRACE_ID`; `before` hook; handler; post the answer
/// (a success body above `max_response_bytes` is posted as a `Function.ResponseSizeTooLarge` error
/// instead); `after` hook. A 400/403/413 answer to a post is logged and the loop goes on.
/// During the handler `response_writer::current()` is the invocation's writer: a handler that began a
/// streamed response with it is answered by ending that stream (see `response_writer`), not by a post.
int run(api_client& client, const handler_function& handler, const run_options& options = {});

}  // namespace lambda_py27
