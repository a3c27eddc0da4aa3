// AWS_LAMBDA_EXEC_WRAPPER, honoured as Lambda's managed runtimes honour it: the platform starts their
// runtime through the script the variable names; a provided.* runtime must do that itself. Internal.
#pragma once

#include <string>

namespace lambda_py27::python::detail {

/// When AWS_LAMBDA_EXEC_WRAPPER names a wrapper and this process was not started by it, execs the wrapper
/// in place of this process with this program's command line as its arguments (`wrapper /path/to/program
/// ARGS...`); the wrapper is expected to exec them in turn. A variable marks the environment before the exec
/// so the program the wrapper execs does not wrap itself again; that run removes the mark, so the function
/// never sees it. Returns an empty string when there is nothing to do (no wrapper, already wrapped, or no
/// AWS_LAMBDA_RUNTIME_API, when the bootstrap is about to exit anyway), or
/// why the wrapper could not be exec'ed (missing, not executable...): the caller reports that as an init
/// error. A wrapper that exits instead of exec'ing leaves no runtime behind: the platform sees the exit.
std::string exec_wrapper_if_asked(int argc, char** argv);

}  // namespace lambda_py27::python::detail
