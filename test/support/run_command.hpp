// Running a command to its end in a test: no shell, stdin from /dev/null, stdout and stderr captured.
#pragma once

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;  // NOLINT: POSIX

namespace lambda_py27::test_support {

/// Runs argv (argv[0] searched in PATH) in `cwd` (empty: ours) with this process's environment; returns the
/// exit status (128 + signal for a signal, -1 if it could not start) and stores stdout+stderr in `*output`.
inline int run_command(const std::vector<std::string>& argv, const std::filesystem::path& cwd = {},
                       std::string* output = nullptr) {
    namespace fs = std::filesystem;
    const fs::path out = fs::temp_directory_path() /
                         ("lambda-py27-test-run." + std::to_string(::getpid()) + "." + std::to_string(::gettid()));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    int status = -1;
    if (rc == 0) {
        int ws = 0;
        while (::waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
        }
        status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    }
    if (output != nullptr) {
        std::ifstream in(out);
        *output = std::string(std::istreambuf_iterator<char>(in), {});
    }
    std::error_code ec;
    fs::remove(out, ec);
    return status;
}

}  // namespace lambda_py27::test_support
