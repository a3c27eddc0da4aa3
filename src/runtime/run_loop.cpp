#include <lambda_py27/runtime/run_loop.hpp>

#include "runtime/diagnostic.hpp"
#include "runtime/json_text.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <string>

#include <unistd.h>  // environ

namespace lambda_py27 {
namespace {

// Sets or removes _X_AMZN_TRACE_ID for one invocation.
//
// Not with setenv(): glibc keeps every string setenv() ever made (an earlier getenv() may still point
// at it), so a new trace id per invocation would grow the heap by ~150 bytes each time, for the life
// of the process. Instead the variable's "name=value" string is a buffer of ours given to putenv()
// and rewritten in place while new values fit. It is never freed while the environment may hold it.
void set_trace_id(const std::string& trace_id) {
    static constexpr char name[] = "_X_AMZN_TRACE_ID";
    static constexpr std::size_t prefix = sizeof name;  // "_X_AMZN_TRACE_ID="
    static std::mutex mutex;
    static char* entry = nullptr;
    static std::size_t capacity = 0;

    const std::lock_guard<std::mutex> lock(mutex);
    if (trace_id.empty()) {
        ::unsetenv(name);
        return;
    }
    const std::size_t needed = prefix + trace_id.size() + 1;
    if (needed > capacity) {
        const std::size_t grown = std::max<std::size_t>(needed, std::max<std::size_t>(2 * capacity, 256));
        char* fresh = new char[grown];
        std::memcpy(fresh, name, prefix - 1);
        fresh[prefix - 1] = '=';
        std::memcpy(fresh + prefix, trace_id.c_str(), trace_id.size() + 1);
        ::putenv(fresh);  // replaces whatever string held the variable, ours included
        delete[] entry;
        entry = fresh;
        capacity = grown;
        return;
    }
    // Someone else may have set or removed the variable since: then ours is no longer in environ.
    bool in_environment = false;
    for (char** e = environ; *e != nullptr && !in_environment; ++e) in_environment = *e == entry;
    std::memcpy(entry + prefix, trace_id.c_str(), trace_id.size() + 1);
    if (!in_environment) ::putenv(entry);
}

int status_for(const std::error_code& ec) {
    if (ec == errc::container_error) return exit_status::container_error;
    if (ec == errc::api_unavailable) return exit_status::api_unavailable;
    return exit_status::protocol_error;
}

// The answer for a handler (or before hook) that threw.
invocation_response handler_error(std::string_view what) {
    return invocation_response::failure(R"({"errorMessage": ")" + detail::json_escape(what) +
                                            R"(", "errorType": "Runtime.HandlerError", "stackTrace": []})",
                                        "Runtime.HandlerError");
}

// Runs the before hook and the handler. An exception from either is answered as a handler error: the
// invocation still gets an answer, and the loop goes on.
invocation_response call_handler(const handler_function& handler, const std::function<void(const invocation&)>& before,
                                 const invocation& inv) {
    try {
        if (before) before(inv);
        return handler(inv);
    } catch (const std::exception& e) {
        return handler_error(e.what());
    } catch (...) {
        return handler_error("unknown C++ exception");
    }
}

// Ends a stream the handler began, as its answer says. The error that ended it earlier, if any.
std::error_code end_stream(response_writer& writer, const invocation_response& res) {
    std::error_code ec;
    if (writer.ended()) return writer.error();
    switch (res.outcome) {
        case invocation_response::kind::success:
            if (!res.body.empty()) writer.write(res.body, ec);
            if (!ec)
                writer.finish(ec);
            else if (writer.ended())
                ec = writer.error();
            break;
        case invocation_response::kind::failure: writer.fail(res.error_type, res.body, ec); break;
        case invocation_response::kind::none: break;  // the process exits: the API sees the stream cut
    }
    return ec;
}

// What went wrong with the API, for the log: the error, the status the API answered when it was not a
// 2xx (the error's message names only the statuses it stands for), and the API's errorType.
std::string api_failure_text(const std::error_code& ec, const api_client& client) {
    std::string text = ec.message();
    if (const int status = client.last_api_status(); status != 0) {
        if (ec == errc::container_error)
            text = "the Runtime API reported a container error (" + std::to_string(status) + ")";
        else if (ec == errc::protocol_error)
            text += " (status " + std::to_string(status) + ")";
    }
    const auto type = client.last_api_error_type();
    return type.empty() ? text : text + " (" + type + ")";
}

}  // namespace

int run(api_client& client, const handler_function& handler, const run_options& options) {
    const auto log = [&](const std::string& line) {
        if (options.log)
            options.log(line);
        else
            detail::diagnostic(line);
    };

    invocation inv;
    std::error_code ec;
    response_writer writer(client, {});
    for (unsigned long long served = 0; options.max_invocations == 0 || served < options.max_invocations;) {
        client.next(inv, ec);
        if (ec) {
            if (ec == errc::bad_request_id) {
                // Nothing can be posted for an id that cannot go into a URL; the platform times it out.
                log("dropped an invocation whose request id cannot be used in a URL");
                continue;
            }
            log("runtime/invocation/next failed: " + api_failure_text(ec, client));
            return status_for(ec);
        }
        ++served;
        set_trace_id(inv.trace_id);

        writer.reset(inv.request_id);
        invocation_response res = [&] {
            const response_writer::scope current(writer);
            return call_handler(handler, options.hooks.before, inv);
        }();

        std::error_code post_ec;
        if (writer.started()) {
            post_ec = end_stream(writer, res);
        } else if (res.outcome == invocation_response::kind::success && res.body.size() > max_response_bytes) {
            const std::string msg = "Response payload size (" + std::to_string(res.body.size()) +
                                    " bytes) exceeded maximum allowed payload size (" +
                                    std::to_string(max_response_bytes) + " bytes).";
            log(msg);
            const int status = res.exit_status;
            res = invocation_response::failure(
                R"({"errorMessage": ")" + msg + R"(", "errorType": "Function.ResponseSizeTooLarge", "stackTrace": []})",
                "Function.ResponseSizeTooLarge");
            res.exit_status = status;
        }

        if (!writer.started()) {
            switch (res.outcome) {
                case invocation_response::kind::success:
                    client.post_response(inv.request_id, res.body, res.content_type, post_ec);
                    break;
                case invocation_response::kind::failure:
                    client.post_error(inv.request_id, res.body, res.error_type, res.xray_cause, post_ec);
                    break;
                case invocation_response::kind::none: break;
            }
        }
        if (options.hooks.after) {
            try {
                options.hooks.after(inv, res, post_ec);
            } catch (const std::exception& e) {
                log(std::string("the after-invocation hook threw: ") + e.what());
            } catch (...) {
                log("the after-invocation hook threw an unknown C++ exception");
            }
        }

        if (post_ec) {
            if (post_ec == errc::invalid_request_id || post_ec == errc::invalid_state_transition ||
                post_ec == errc::payload_too_large) {
                log("answer for " + inv.request_id + " refused: " + api_failure_text(post_ec, client));
            } else {
                log("answer for " + inv.request_id + " failed: " + api_failure_text(post_ec, client));
                return status_for(post_ec);
            }
        }
        if (res.exit_status >= 0) return res.exit_status;
    }
    return 0;
}

}  // namespace lambda_py27
