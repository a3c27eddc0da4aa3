// lambda-py27-bootstrap: the shipped runtime executable. Deploy it as `bootstrap`; the handler is the
// first argument (container images pass it as CMD) or `_HANDLER`.
//
// Local mode (container images, as AWS's base images' /lambda-entrypoint.sh): when AWS_LAMBDA_RUNTIME_API
// is not set and the bundle carries the emulator (bin/lambda-py27-emulator beside this program, as the
// image runtime of `lambda-py27-package --image` does), the bootstrap execs it to serve the invoke endpoint
// on 0.0.0.0:8080, and the emulator starts this program again with the Runtime API set. On Lambda the
// variable is always set: one getenv, nothing else.
#include <lambda_py27/python/bootstrap.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

void serve_locally_if_asked(int argc, char** argv) {
    if (std::getenv("AWS_LAMBDA_RUNTIME_API") != nullptr) return;
    char self[4096];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return;
    const std::string program(self, static_cast<std::size_t>(n));
    const std::string emulator = program.substr(0, program.rfind('/') + 1) + "bin/lambda-py27-emulator";
    if (::access(emulator.c_str(), X_OK) != 0) return;
    std::vector<std::string> args{emulator, "--address", "0.0.0.0", "--port", "8080", "--", program};
    for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
    std::vector<char*> pointers;
    for (auto& a : args) pointers.push_back(a.data());
    pointers.push_back(nullptr);
    ::execv(emulator.c_str(), pointers.data());  // on failure: the runtime reports the missing variable
}

}  // namespace

int main(int argc, char** argv) {
    serve_locally_if_asked(argc, argv);
    return lambda_py27::python::run_bootstrap(argc, argv);
}
