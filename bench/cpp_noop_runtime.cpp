// The C++ no-op runtime of python_bench: lambda_py27::runtime_client driven by lambda_py27::run() with a
// handler that answers `null` (what a Python handler returning None answers), linking only
// lambda_py27::runtime. `echo` as the first argument answers with the event instead.
#include <lambda_py27/runtime/run_loop.hpp>
#include <lambda_py27/runtime/runtime_client.hpp>

#include <cstdio>
#include <exception>
#include <string_view>

int main(int argc, char** argv) {
    const bool echo = argc > 1 && std::string_view(argv[1]) == "echo";
    try {
        auto client = lambda_py27::runtime_client::from_environment();
        if (echo)
            return lambda_py27::run(client, [](const lambda_py27::invocation& inv) {
                return lambda_py27::invocation_response::success(inv.body);
            });
        return lambda_py27::run(
            client, [](const lambda_py27::invocation&) { return lambda_py27::invocation_response::success("null"); });
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cpp_noop_runtime: %s\n", e.what());
        return 2;
    }
}
