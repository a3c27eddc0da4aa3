#include "diagnostic.hpp"

#include <string>

#include <unistd.h>

namespace lambda_py27::detail {

void diagnostic(std::string_view message) noexcept {
    try {
        std::string line;
        line.reserve(diagnostic_prefix.size() + message.size() + 1);
        line.append(diagnostic_prefix).append(message).push_back('\n');
        const ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
        (void)ignored;
    } catch (...) {  // out of memory: the line is lost, the caller goes on
    }
}

}  // namespace lambda_py27::detail
