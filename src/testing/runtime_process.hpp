// The emulator's runtime process: one at a time, started, reaped, killed and started again. Internal.
#pragma once

#include "testing/process.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>

#include <sys/types.h>

namespace lambda_py27::testing {
struct emulator_options;
}

namespace lambda_py27::testing::detail {

/// What the emulator starts: the runtime command, the platform's environment for it (the emulator's own,
/// then the AWS_LAMBDA_* and credentials variables, then `options.environment`), and the task root as its
/// working directory. `max_concurrency`: the effective one (at least 1).
spawn_request runtime_spawn_request(const emulator_options& options, const std::string& task_root,
                                    const std::string& runtime_api_endpoint, unsigned max_concurrency);

/// The runtime process and what the emulator knows of it. Its state is guarded by the emulator's mutex
/// (`m`), which every `_locked` member expects held; the reaper thread takes it to record the end and
/// notifies `cv`. Only a process not yet reaped is ever signalled, under the mutex, and the reaper reaps
/// under the mutex: a signal never reaches a recycled pid.
class runtime_process {
public:
    using clock = std::chrono::steady_clock;

    runtime_process(std::mutex& m, std::condition_variable& cv) : m_(m), cv_(cv) {}
    runtime_process(const runtime_process&) = delete;
    runtime_process& operator=(const runtime_process&) = delete;

    /// Starts a new generation from `request` (a previous process must be reaped). Returns an error text
    /// (Go's wording, as the RIE) when it cannot be started.
    std::string start_locked(const spawn_request& request);
    /// SIGKILL unless reaped; not `alive` from now on.
    void kill_locked();
    /// A runtime that registered an extension gets SIGTERM and up to `budget` to exit, as on Lambda. It keeps
    /// its connections (and stays `alive`) meanwhile, so a loop waiting in /next is not told to exit before
    /// its shutdown hooks ran.
    void terminate_gracefully(std::unique_lock<std::mutex>& lk, std::chrono::milliseconds budget);
    /// Peak resident set size in KiB (live, else as reaped), or -1.
    long peak_rss_kib_locked() const;
    /// How it ended, as Lambda's Runtime.ExitError words it.
    std::string exit_reason_locked() const;
    /// Joins the reaper thread; the emulator's mutex must not be held (the process must be gone).
    void join_reaper();

    pid_t pid = -1;
    unsigned generation = 0;  ///< incremented at each start
    bool alive = false;       ///< running and usable; false as soon as it is killed
    bool reaped = true;
    bool init_failed = false;
    int wait_status = 0;
    long max_rss_kib = -1;
    clock::time_point started;
    std::optional<clock::time_point> init_done;  ///< its first /next
    /// Extensions it registered: a runtime with one gets SIGTERM, then the shutdown budget, at stop().
    std::unordered_set<std::string> extension_ids;

private:
    void reap(pid_t child, unsigned child_generation);

    std::mutex& m_;
    std::condition_variable& cv_;
    std::thread reaper_;
};

}  // namespace lambda_py27::testing::detail
