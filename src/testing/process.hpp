// Starting and observing the runtime process of the emulator (POSIX). Internal; may change without notice.
#pragma once

#include <string>
#include <vector>

#include <sys/types.h>

namespace lambda_py27::testing::detail {

/// What to start: never through a shell.
struct spawn_request {
    std::vector<std::string> argv;         ///< argv[0] is searched in PATH when it has no '/'
    std::vector<std::string> environment;  ///< "NAME=value" entries: the whole environment of the child
    std::string working_directory;         ///< empty: the caller's
    int stdout_fd = -1;                    ///< the child's stdout (-1: inherited)
    int stderr_fd = -1;                    ///< the child's stderr (-1: inherited)
    std::vector<int> inherited;            ///< given to the child as descriptors 3, 4, ... (in this order)
};

/// Starts the process (posix_spawnp) with default signal dispositions, an empty signal mask, stdin on
/// /dev/null, stdout and stderr inherited or as requested, `request.inherited` from 3 on, and no other
/// descriptor open. Returns its pid, or -1 with `error` set to the errno value of the failure
/// (including a failed exec or chdir).
pid_t spawn_process(const spawn_request& request, int& error);

/// How a process ended, worded as the Runtime Interface Emulator words it:
/// "exit status 3", "signal: aborted", "signal: segmentation fault".
std::string describe_wait_status(int wait_status);

/// Lower-case description of a signal ("aborted", "killed"), or "signal N" for an unnamed one.
std::string signal_description(int signal_number);

/// Peak resident set size (VmHWM) of a live process in KiB, or -1 when it cannot be read.
long peak_rss_kib(pid_t pid);

/// The environment of this process as "NAME=value" entries.
std::vector<std::string> current_environment();

}  // namespace lambda_py27::testing::detail
