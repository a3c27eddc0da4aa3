// The Lambda Extensions API (version 2020-01-01), as much of it as an internal extension needs.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace lambda_py27 {

/// What the Extensions API answers to a registration.
struct extension_registration {
    std::string id;    ///< `Lambda-Extension-Identifier`: names the extension in its later calls
    std::string body;  ///< the answer's JSON (`functionName`, `functionVersion`, `handler`)
};

/// Registers an internal extension named `name` that subscribes to no events
/// (`POST /2020-01-01/extension/register`, body `{"events": []}`) at `endpoint` (`host:port`, as in
/// `AWS_LAMBDA_RUNTIME_API`). Lambda sends SIGTERM to a runtime that registered an extension before it
/// ends the execution environment (and SIGKILL once the shutdown budget, 500 ms with an internal
/// extension, is spent). Must happen during init, before the runtime's first `/next`.
/// On failure `ec` is set (`errc::api_unavailable`, `errc::protocol_error`) and `what` says why.
extension_registration register_extension(std::string_view endpoint, std::string_view name, std::error_code& ec,
                                          std::string& what);

/// Starts a detached thread that tells the API the extension is ready by calling
/// `GET /2020-01-01/extension/event/next`; with no events subscribed it is never answered, so the thread
/// stays blocked until the process ends (as the Extensions API expects of a registered extension).
void wait_for_extension_events(std::string endpoint, std::string id);

}  // namespace lambda_py27
