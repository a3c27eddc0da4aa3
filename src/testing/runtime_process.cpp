#include "runtime_process.hpp"

#include <lambda_py27/testing/emulator.hpp>

#include <cerrno>
#include <cstring>
#include <map>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lambda_py27::testing::detail {

spawn_request runtime_spawn_request(const emulator_options& options, const std::string& task_root,
                                    const std::string& runtime_api_endpoint, unsigned max_concurrency) {
    std::map<std::string, std::string> env;
    for (const auto& entry : current_environment()) {
        const auto eq = entry.find('=');
        if (eq == std::string::npos || eq == 0) continue;
        env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
    }
    env["AWS_LAMBDA_FUNCTION_NAME"] = options.function_name;
    env["AWS_LAMBDA_FUNCTION_VERSION"] = options.function_version;
    env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = std::to_string(options.memory_mb);
    env["AWS_LAMBDA_LOG_GROUP_NAME"] = options.log_group;
    env["AWS_LAMBDA_LOG_STREAM_NAME"] = options.log_stream;
    env["AWS_REGION"] = options.region;
    env["AWS_DEFAULT_REGION"] = options.region;
    env["LAMBDA_TASK_ROOT"] = task_root;
    env["LAMBDA_RUNTIME_DIR"] = "/var/runtime";
    if (!options.handler.empty()) env["_HANDLER"] = options.handler;
    env["AWS_LAMBDA_RUNTIME_API"] = runtime_api_endpoint;
    env["AWS_EXECUTION_ENV"] = "AWS_Lambda_python2.7";
    env["TZ"] = ":UTC";
    env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand";
    if (max_concurrency > 1)
        env["AWS_LAMBDA_MAX_CONCURRENCY"] = std::to_string(max_concurrency);
    else
        env.erase("AWS_LAMBDA_MAX_CONCURRENCY");
    env.erase("_X_AMZN_TRACE_ID");  // per invocation, set by the runtime itself
    // The caller's credentials pass through as they are (RIE's behaviour); none are made up, which would
    // hide a profile or an instance role from the SDK.
    for (const auto& [k, v] : options.environment) env[k] = v;

    spawn_request request;
    request.argv = options.runtime_command;
    request.environment.reserve(env.size());
    for (const auto& [k, v] : env) request.environment.push_back(k + "=" + v);
    request.working_directory = task_root;
    return request;
}

std::string runtime_process::start_locked(const spawn_request& request) {
    join_reaper();  // the previous process was reaped under the mutex we hold: its reaper is returning
    ++generation;
    int error = 0;
    started = clock::now();  // Init Duration includes the exec
    const pid_t child = spawn_process(request, error);
    init_failed = false;
    init_done.reset();
    extension_ids.clear();
    wait_status = 0;
    max_rss_kib = -1;
    if (child < 0) {
        pid = -1;
        alive = false;
        reaped = true;
        return "fork/exec " + request.argv.front() + ": " + std::strerror(error);
    }
    pid = child;
    alive = true;
    reaped = false;
    const auto child_generation = generation;
    reaper_ = std::thread([this, child, child_generation] { reap(child, child_generation); });
    return {};
}

void runtime_process::reap(pid_t child, unsigned child_generation) {
    // Wait without reaping, then reap under the mutex: kill() (also under the mutex, and only while
    // not reaped) can then never hit a recycled pid.
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
    }
    std::lock_guard lk(m_);
    int status = 0;
    rusage usage{};
    pid_t r;
    do {
        r = ::wait4(child, &status, 0, &usage);
    } while (r < 0 && errno == EINTR);
    if (generation == child_generation) {
        alive = false;
        reaped = true;
        wait_status = r == child ? status : 0;
        max_rss_kib = r == child ? usage.ru_maxrss : -1;
    }
    cv_.notify_all();
}

void runtime_process::kill_locked() {
    if (!reaped && pid > 0) ::kill(pid, SIGKILL);
    alive = false;
}

void runtime_process::terminate_gracefully(std::unique_lock<std::mutex>& lk, std::chrono::milliseconds budget) {
    if (reaped || pid <= 0 || extension_ids.empty()) return;
    const auto terminated_generation = generation;
    ::kill(pid, SIGTERM);
    cv_.wait_for(lk, budget, [&] { return reaped || generation != terminated_generation; });
}

long runtime_process::peak_rss_kib_locked() const {
    if (!reaped && pid > 0) return detail::peak_rss_kib(pid);
    return max_rss_kib;
}

std::string runtime_process::exit_reason_locked() const {
    if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) return "Runtime exited without providing a reason";
    return "Runtime exited with error: " + describe_wait_status(wait_status);
}

void runtime_process::join_reaper() {
    if (reaper_.joinable()) reaper_.join();
}

}  // namespace lambda_py27::testing::detail
