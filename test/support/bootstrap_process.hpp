// The real bootstrap as a child process of the test, against any Runtime API endpoint (a fake one or an
// emulator in external mode), its stdout and stderr in a log file; the test sees its pid and exit status.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace lambda_py27::test_support {

inline std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class bootstrap_process {
public:
    /// Starts `<bin>/lambda-py27-bootstrap handler` in `task_root` with the caller's environment plus `env`
    /// (AWS_LAMBDA_RUNTIME_API = endpoint, LAMBDA_TASK_ROOT = task_root; _HANDLER removed).
    bootstrap_process(const std::string& endpoint, const std::string& handler, const std::string& task_root,
                      std::map<std::string, std::string> env = {}) {
        static int counter = 0;
        log_path_ = ::testing::TempDir() + "/lp27_bootstrap_" + std::to_string(::getpid()) + "_" +
                    std::to_string(counter++) + ".log";
        env["AWS_LAMBDA_RUNTIME_API"] = endpoint;
        env["LAMBDA_TASK_ROOT"] = task_root;
        env["PYTHONDONTWRITEBYTECODE"] = "1";
        env.emplace("AWS_LAMBDA_FUNCTION_NAME", "test_function");
        std::vector<std::string> entries;
        for (char** e = environ; *e != nullptr; ++e) {
            const std::string entry(*e);
            const auto eq = entry.find('=');
            if (eq != std::string::npos && env.count(entry.substr(0, eq)) == 0 && entry.compare(0, 9, "_HANDLER=") != 0)
                entries.push_back(entry);
        }
        for (const auto& [k, v] : env) entries.push_back(k + "=" + v);
        std::vector<char*> envp;
        for (auto& s : entries) envp.push_back(s.data());
        envp.push_back(nullptr);
        std::string arg0 = std::string(LAMBDA_PY27_BIN_DIR) + "/lambda-py27-bootstrap", arg1 = handler;
        char* argv[] = {arg0.data(), arg1.data(), nullptr};

        posix_spawn_file_actions_t actions;
        ::posix_spawn_file_actions_init(&actions);
        ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        ::posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::posix_spawn_file_actions_adddup2(&actions, 1, 2);
        ::posix_spawn_file_actions_addchdir_np(&actions, task_root.c_str());
        const int rc = ::posix_spawn(&pid_, arg0.c_str(), &actions, nullptr, argv, envp.data());
        ::posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) pid_ = -1;
    }

    ~bootstrap_process() {
        if (pid_ > 0 && !status_) {
            ::kill(pid_, SIGKILL);
            int st = 0;
            ::waitpid(pid_, &st, 0);
        }
        ::unlink(log_path_.c_str());
    }

    bootstrap_process(const bootstrap_process&) = delete;
    bootstrap_process& operator=(const bootstrap_process&) = delete;

    pid_t pid() const { return pid_; }

    /// The exit status (128 + n for death by signal n), or nullopt when still running after `timeout`.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
        if (status_) return status_;
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (pid_ > 0) {
            int st = 0;
            const pid_t r = ::waitpid(pid_, &st, WNOHANG);
            if (r == pid_) {
                status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                break;
            }
            if (std::chrono::steady_clock::now() >= until) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        return status_;
    }

    /// True while the process runs (reaps it once it ended).
    bool running() { return pid_ > 0 && !wait_exit(std::chrono::milliseconds(0)); }

    std::string log() const { return slurp(log_path_); }

    /// Waits until the log contains `text` (true) or `timeout` passed.
    bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(20)) const {
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (log().find(text) == std::string::npos) {
            if (std::chrono::steady_clock::now() >= until) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        return true;
    }

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
    std::string log_path_;
};

}  // namespace lambda_py27::test_support
