// lambda-py27-emulator as a child process of a test: its command line, environment and output.
#pragma once

#include <csignal>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;  // NOLINT: POSIX

namespace lambda_py27::test_support {

/// The emulator executable with `args`, in test/data/handlers, with this process's environment less the
/// function settings RIE reads from it, changed by `env` (an empty value unsets); its stdout and stderr in
/// a file (`log()`); stopped with SIGTERM by the destructor.
class emulator_process {
public:
    emulator_process(std::vector<std::string> args, const std::map<std::string, std::string>& env) {
        args.insert(args.begin(), std::string(LAMBDA_PY27_BIN_DIR) + "/lambda-py27-emulator");
        std::map<std::string, std::string> vars;
        for (char** e = environ; *e != nullptr; ++e) {
            const std::string entry = *e;
            const auto eq = entry.find('=');
            if (eq != std::string::npos) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
        }
        for (const char* v :
             {"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
              "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_TIMEOUT", "AWS_LAMBDA_FUNCTION_HANDLER",
              "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "LOG_LEVEL", "_HANDLER"})
            vars.erase(v);
        for (const auto& [k, v] : env) {
            if (v.empty())
                vars.erase(k);
            else
                vars[k] = v;
        }
        std::vector<std::string> entries;
        for (const auto& [k, v] : vars) entries.push_back(k + "=" + v);
        std::vector<char*> argv, envp;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        for (auto& e : entries) envp.push_back(e.data());
        envp.push_back(nullptr);
        char tmpl[] = "/tmp/lambda-py27-emulator-cli.XXXXXX";
        const int fd = ::mkstemp(tmpl);
        log_ = tmpl;
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fd, 1);
        posix_spawn_file_actions_adddup2(&actions, fd, 2);
        const std::string handlers_dir = std::string(LAMBDA_PY27_TEST_DATA_DIR) + "/handlers";
        posix_spawn_file_actions_addchdir_np(&actions, handlers_dir.c_str());
        ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
        posix_spawn_file_actions_destroy(&actions);
        ::close(fd);
    }
    ~emulator_process() {
        stop();
        ::unlink(log_.c_str());
    }
    emulator_process(const emulator_process&) = delete;
    emulator_process& operator=(const emulator_process&) = delete;

    /// Waits for an emulator that ends by itself (a usage error); returns its exit status.
    int exit_status() {
        if (pid_ > 0) {
            ::waitpid(pid_, &status_, 0);
            pid_ = -1;
        }
        return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
    }
    int stop() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            ::waitpid(pid_, &status_, 0);
            pid_ = -1;
        }
        return status_;
    }
    std::string log() const {
        std::ifstream in(log_);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

private:
    pid_t pid_ = -1;
    int status_ = -1;
    std::string log_;
};

}  // namespace lambda_py27::test_support
