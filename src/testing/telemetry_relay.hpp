// The emulator's telemetry log (emulator_options::telemetry_log): a pipe given to each runtime process as
// Lambda gives its managed runtimes one (`_LAMBDA_TELEMETRY_LOG_FD`), and a thread per pipe showing each
// frame as one line. Internal.
#pragma once

#include "testing/process.hpp"

#include <atomic>
#include <functional>
#include <iosfwd>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace lambda_py27::testing::detail {

/// One frame's message as one line: its final newline dropped, other line breaks written `\n` and `\r`.
std::string telemetry_line(std::string_view message);

class telemetry_relay {
public:
    /// `out` null: the relay does nothing and runtimes get no descriptor. `before_frame`, when given, runs
    /// before each frame is shown: the emulator passes on there what the runtime wrote to its stdout and
    /// stderr so far, so that a frame never lands inside a line the runtime wrote before it.
    explicit telemetry_relay(std::ostream* out, std::function<void()> before_frame = {})
        : out_(out), before_frame_(std::move(before_frame)) {}
    ~telemetry_relay() { stop(); }
    telemetry_relay(const telemetry_relay&) = delete;
    telemetry_relay& operator=(const telemetry_relay&) = delete;

    /// Before a runtime is spawned: a new pipe, its write end inherited by the runtime (descriptor 3 or the
    /// next free one of `request.inherited`) and named in its environment.
    void prepare(spawn_request& request);
    /// After the spawn (successful or not): the emulator's copy of the write end closes, and a thread reads
    /// the frames until every writer is gone.
    void spawned();
    /// Ends every reader (after at most one poll interval) and joins it. Idempotent.
    void stop();

private:
    struct reader {
        std::thread thread;
        std::atomic<bool> done{false};
    };
    void read_frames(int fd, reader& self);

    std::ostream* out_;
    std::function<void()> before_frame_;
    std::mutex out_mutex_;
    std::atomic<bool> stopping_{false};
    int pending_read_ = -1, pending_write_ = -1;
    std::list<std::unique_ptr<reader>> readers_;
};

}  // namespace lambda_py27::testing::detail
