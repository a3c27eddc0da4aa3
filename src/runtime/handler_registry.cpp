#include <lambda_py27/runtime/handler_registry.hpp>

#include "runtime/diagnostic.hpp"
#include "runtime/json_text.hpp"

#include <cstdlib>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>

namespace lambda_py27 {

handler_registry& handler_registry::add(std::string name, handler_function handler) {
    if (name.empty()) throw std::invalid_argument("lambda_py27::handler_registry: a handler name must not be empty");
    if (!handler)
        throw std::invalid_argument("lambda_py27::handler_registry: handler '" + name + "' is an empty function");
    if (handlers_.count(name) != 0)
        throw std::invalid_argument("lambda_py27::handler_registry: handler '" + name + "' is already registered");
    handlers_.emplace(std::move(name), std::move(handler));
    return *this;
}

const handler_function* handler_registry::find(std::string_view name) const noexcept {
    const auto it = handlers_.find(name);
    return it != handlers_.end() ? &it->second : nullptr;
}

std::vector<std::string> handler_registry::names() const {
    std::vector<std::string> out;
    out.reserve(handlers_.size());
    for (const auto& entry : handlers_) out.push_back(entry.first);
    return out;
}

std::string handler_name_from(int argc, char** argv) {
    if (argc > 1 && argv != nullptr && argv[1] != nullptr && argv[1][0] != '\0') return argv[1];
    const char* h = std::getenv("_HANDLER");
    return h != nullptr ? h : "";
}

int report_init_error(api_client& client, std::string_view error_type, std::string_view message, int status) {
    detail::diagnostic(std::string(error_type).append(": ").append(message));
    std::error_code ec;
    const std::string body = "{\"errorMessage\": " + detail::json_string(message) +
                             ", \"errorType\": " + detail::json_string(error_type) + "}";
    client.post_init_error(body, error_type, ec);
    return status;
}

std::optional<runtime_client> client_from_environment() {
    try {
        return runtime_client::from_environment();
    } catch (const std::exception& e) {
        detail::diagnostic(e.what());
        return std::nullopt;
    }
}

int run(int argc, char** argv, const handler_registry& handlers, const run_options& options) {
    std::optional<runtime_client> client = client_from_environment();
    if (!client) return exit_status::usage;
    const std::string name = handler_name_from(argc, argv);
    if (name.empty())
        return report_init_error(*client, "Runtime.NoHandler",
                                 "no handler: pass its name as the first argument or set _HANDLER", exit_status::usage);
    const handler_function* handler = handlers.find(name);
    if (handler == nullptr) {
        std::string known;
        for (const auto& n : handlers.names()) known += (known.empty() ? "" : ", ") + n;
        if (known.empty()) known = "none";
        return report_init_error(*client, "Runtime.HandlerNotFound",
                                 "no C++ handler named '" + name + "' (registered: " + known + ")", exit_status::usage);
    }
    return lambda_py27::run(*client, *handler, options);
}

}  // namespace lambda_py27
