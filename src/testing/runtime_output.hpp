// The runtime's stdout and stderr, passed through the emulator: one pipe each, one reader thread that
// copies everything to the emulator's own stdout and stderr and keeps, for each invocation that asked for
// its log (`X-Amz-Log-Type: Tail`), the tail of what came while it ran. Internal.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace lambda_py27::testing::detail {

/// Its own mutex guards it; it never takes the emulator's, so it may be called with that one held (only
/// `begin_capture` is, which does no I/O). Everything read from the pipes is written out whole, in order,
/// in whole lines: a line's start is held back until its end comes (or `partial_line_wait` passes without
/// more, or the output stops, or it reaches `partial_line_limit`), so that what else the emulator writes
/// to its stdout (the telemetry log's lines) lands between lines, never inside one. Captures keep every
/// byte as it comes.
class runtime_output {
public:
    /// The bytes kept per capture (Lambda's log tail is its last 4 KB).
    static constexpr std::size_t capture_limit = 4096;
    /// How long the start of a line waits for its end before it is written as it is.
    static constexpr int partial_line_wait_ms = 20;
    /// A line's start written at once when it grows to this size.
    static constexpr std::size_t partial_line_limit = 64 * 1024;

    runtime_output() = default;
    runtime_output(const runtime_output&) = delete;
    runtime_output& operator=(const runtime_output&) = delete;
    ~runtime_output() { stop(); }

    /// Makes the pipes and starts the reader. Throws `std::system_error`.
    void start();
    /// Passes on what the pipes still hold, ends the reader and closes the pipes. Idempotent.
    void stop();
    /// The write ends, for the runtime's descriptors 1 and 2 (-1 before `start()`).
    int stdout_fd() const { return out_.pipe[1]; }
    int stderr_fd() const { return err_.pipe[1]; }

    /// Reads and passes on what the pipes hold now (their whole lines): output written before this call is
    /// not missed.
    void drain();
    /// From now on, keeps what comes for `id`.
    void begin_capture(const std::string& id);
    /// Drains, stops keeping for `id` and returns what was kept (its last `capture_limit` bytes); empty for
    /// an id never begun.
    std::string end_capture(const std::string& id);

private:
    /// One of the runtime's two streams: its pipe, where it goes, the start of a line whose end has not
    /// come yet.
    struct stream {
        int pipe[2] = {-1, -1};
        int to_fd;
        std::string partial;
    };

    void read_loop();
    void drain_locked();
    void pass_on_locked(stream& s, const char* data, std::size_t size);
    static void flush_partial_line(stream& s);

    std::mutex m_;
    stream out_{{-1, -1}, 1, {}};
    stream err_{{-1, -1}, 2, {}};
    int wake_[2] = {-1, -1};
    std::thread reader_;
    std::map<std::string, std::string> captures_;
};

}  // namespace lambda_py27::testing::detail
