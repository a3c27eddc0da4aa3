// The floor of a runtime process: the raw-socket client of support/floor_client.hpp as its own
// executable, linking nothing of lambda_py27. python_bench measures its cold start (exec to the first
// GET /next) as the floor's and serves it like any other runtime.
//
//   AWS_LAMBDA_RUNTIME_API=127.0.0.1:PORT floor_runtime [echo]
#include "support/floor_client.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

int main(int argc, char** argv) {
    const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
    const char* colon = api != nullptr ? std::strrchr(api, ':') : nullptr;
    if (colon == nullptr || std::string_view(api, static_cast<std::size_t>(colon - api)) != "127.0.0.1") {
        std::fprintf(stderr, "floor_runtime: AWS_LAMBDA_RUNTIME_API must be 127.0.0.1:PORT\n");
        return 2;
    }
    const bool echo = argc > 1 && std::string_view(argv[1]) == "echo";
    lambda_py27_bench::run_floor_client(static_cast<std::uint16_t>(std::atoi(colon + 1)), 0, echo);
    return 0;
}
