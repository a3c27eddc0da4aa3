// A runtime serving C++ handlers, chosen by name (the first argument, else _HANDLER), with no Python.
#include <lambda_py27/runtime/handler_registry.hpp>

#include <string>

namespace {

// "hello": greets the invocation. The event is passed through as JSON, not parsed: a C++ handler
// chooses its own JSON library, if any.
lambda_py27::invocation_response hello(const lambda_py27::invocation& inv) {
    return lambda_py27::invocation_response::success(R"({"message": "Hello from C++", "request_id": ")" +
                                                     inv.request_id + R"(", "event": )" + inv.body + "}");
}

}  // namespace

int main(int argc, char** argv) {
    lambda_py27::handler_registry handlers;
    handlers.add("hello", hello);
    handlers.add("echo", [](const lambda_py27::invocation& inv) {
        return lambda_py27::invocation_response::success(inv.body, inv.content_type);
    });
    handlers.add("fail", [](const lambda_py27::invocation&) {
        return lambda_py27::invocation_response::failure(R"({"errorMessage": "asked to fail", "errorType": "Failure"})",
                                                         "Failure");
    });
    return lambda_py27::run(argc, argv, handlers);
}
