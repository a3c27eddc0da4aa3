#include "exec_wrapper.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <unistd.h>

namespace lambda_py27::python::detail {
namespace {

// Set only between the exec of the wrapper and the start of the program it execs.
constexpr const char* wrapped_mark = "_LAMBDA_PY27_EXEC_WRAPPED";

// This program's path, for the wrapper to exec: argv[0] may be relative to a directory the wrapper leaves
// or a bare name found in PATH.
std::string own_path(const char* argv0) {
    char self[4096];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) return std::string(self, static_cast<std::size_t>(n));
    return argv0 != nullptr ? argv0 : "";
}

}  // namespace

std::string exec_wrapper_if_asked(int argc, char** argv) {
    if (std::getenv(wrapped_mark) != nullptr) {
        ::unsetenv(wrapped_mark);
        return {};
    }
    const char* wrapper = std::getenv("AWS_LAMBDA_EXEC_WRAPPER");
    if (wrapper == nullptr || *wrapper == '\0') return {};
    // Without a Runtime API the bootstrap only reports that and exits: nothing for a wrapper to wrap.
    if (std::getenv("AWS_LAMBDA_RUNTIME_API") == nullptr) return {};
    const std::string path = wrapper;  // the environment may change under the pointer

    std::vector<std::string> args{path, own_path(argc > 0 ? argv[0] : nullptr)};
    for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
    std::vector<char*> pointers;
    for (auto& a : args) pointers.push_back(a.data());
    pointers.push_back(nullptr);

    ::setenv(wrapped_mark, "1", 1);
    ::execv(path.c_str(), pointers.data());  // returns only on failure
    const int error = errno;
    ::unsetenv(wrapped_mark);
    return "cannot exec AWS_LAMBDA_EXEC_WRAPPER '" + path + "': " + std::strerror(error);
}

}  // namespace lambda_py27::python::detail
