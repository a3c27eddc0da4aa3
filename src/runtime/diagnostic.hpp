// The library's own diagnostics: one line on stderr, one prefix (private to lambda_py27; the layers above
// the runtime reach it through their PRIVATE include of src/).
#pragma once

#include <string_view>

namespace lambda_py27::detail {

/// The prefix of every diagnostic line the library writes itself.
inline constexpr std::string_view diagnostic_prefix = "[lambda-py27] ";

/// Writes "[lambda-py27] <message>\n" to stderr with one write(2), so that lines of concurrent processes
/// (prefork children) stay whole. Async-signal-unsafe only in that it allocates; never throws; errors of
/// the write are ignored (there is nowhere else to report them).
void diagnostic(std::string_view message) noexcept;

}  // namespace lambda_py27::detail
