#include "testing/process.hpp"

#include <cerrno>
#include <csignal>
#include <fstream>
#include <string_view>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;  // NOLINT: POSIX, declared by no standard header

namespace lambda_py27::testing::detail {
namespace {

// RAII for the posix_spawn attribute objects.
struct spawn_attributes {
    posix_spawnattr_t attr{};
    posix_spawn_file_actions_t actions{};
    spawn_attributes() {
        ::posix_spawnattr_init(&attr);
        ::posix_spawn_file_actions_init(&actions);
    }
    ~spawn_attributes() {
        ::posix_spawn_file_actions_destroy(&actions);
        ::posix_spawnattr_destroy(&attr);
    }
    spawn_attributes(const spawn_attributes&) = delete;
    spawn_attributes& operator=(const spawn_attributes&) = delete;
};

std::vector<char*> pointers(const std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

}  // namespace

pid_t spawn_process(const spawn_request& request, int& error) {
    error = 0;
    if (request.argv.empty() || request.argv.front().empty()) {
        error = ENOENT;
        return -1;
    }
    spawn_attributes sa;
    // The emulator may block or ignore signals (its main thread waits for SIGINT/SIGTERM with
    // sigwait, SIGPIPE may be ignored); a runtime must start with the defaults.
    sigset_t empty;
    sigemptyset(&empty);
    sigset_t defaults;
    sigfillset(&defaults);
    sigdelset(&defaults, SIGKILL);
    sigdelset(&defaults, SIGSTOP);
    ::posix_spawnattr_setsigmask(&sa.attr, &empty);
    ::posix_spawnattr_setsigdefault(&sa.attr, &defaults);
    ::posix_spawnattr_setflags(&sa.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (!request.working_directory.empty()) {
        if (int rc = ::posix_spawn_file_actions_addchdir_np(&sa.actions, request.working_directory.c_str()); rc != 0) {
            error = rc;
            return -1;
        }
    }
    // Lambda gives a runtime no input; reading the emulator's terminal would steal the user's keystrokes.
    ::posix_spawn_file_actions_addopen(&sa.actions, 0, "/dev/null", O_RDONLY, 0);
    if (request.stdout_fd >= 0) ::posix_spawn_file_actions_adddup2(&sa.actions, request.stdout_fd, 1);
    if (request.stderr_fd >= 0) ::posix_spawn_file_actions_adddup2(&sa.actions, request.stderr_fd, 2);
    for (std::size_t i = 0; i < request.inherited.size(); ++i)
        ::posix_spawn_file_actions_adddup2(&sa.actions, request.inherited[i], 3 + static_cast<int>(i));
    // Listening sockets and callers' connections of the emulator must not leak into the runtime.
    ::posix_spawn_file_actions_addclosefrom_np(&sa.actions, 3 + static_cast<int>(request.inherited.size()));

    auto argv = pointers(request.argv);
    auto envp = pointers(request.environment);
    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, argv.front(), &sa.actions, &sa.attr, argv.data(), envp.data());
    if (rc != 0) {
        error = rc;
        return -1;
    }
    return pid;
}

std::string signal_description(int signal_number) {
    switch (signal_number) {
        case SIGABRT: return "aborted";
        case SIGALRM: return "alarm clock";
        case SIGBUS: return "bus error";
        case SIGFPE: return "floating point exception";
        case SIGHUP: return "hangup";
        case SIGILL: return "illegal instruction";
        case SIGINT: return "interrupt";
        case SIGKILL: return "killed";
        case SIGPIPE: return "broken pipe";
        case SIGQUIT: return "quit";
        case SIGSEGV: return "segmentation fault";
        case SIGSYS: return "bad system call";
        case SIGTERM: return "terminated";
        case SIGTRAP: return "trace/breakpoint trap";
        case SIGUSR1: return "user defined signal 1";
        case SIGUSR2: return "user defined signal 2";
        case SIGXCPU: return "CPU time limit exceeded";
        case SIGXFSZ: return "file size limit exceeded";
        default: return "signal " + std::to_string(signal_number);
    }
}

std::string describe_wait_status(int wait_status) {
    if (WIFEXITED(wait_status)) return "exit status " + std::to_string(WEXITSTATUS(wait_status));
    if (WIFSIGNALED(wait_status)) return "signal: " + signal_description(WTERMSIG(wait_status));
    return "unknown wait status " + std::to_string(wait_status);
}

long peak_rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    constexpr std::string_view key = "VmHWM:";
    while (std::getline(in, line)) {
        if (line.compare(0, key.size(), key) != 0) continue;
        try {
            return std::stol(line.substr(key.size()));
        } catch (const std::exception&) {
            return -1;
        }
    }
    return -1;
}

std::vector<std::string> current_environment() {
    std::vector<std::string> out;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) out.emplace_back(*e);
    return out;
}

}  // namespace lambda_py27::testing::detail
