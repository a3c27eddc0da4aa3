#include "runtime_output.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

namespace lambda_py27::testing::detail {

namespace {

void make_pipe(int (&fds)[2]) {
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "emulator: pipe");
    // Only the reading side: the write end's file description is the runtime's stdout, which stays blocking.
    ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
}

void close_pipe(int (&fds)[2]) {
    for (int& fd : fds) {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
}

// Writes all of `data` to `fd`; a closed reader (EPIPE) drops it without the SIGPIPE that would end the
// emulator (the runtime would have had that signal when it wrote there itself).
void write_all(int fd, const char* data, std::size_t size) {
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigset_t old;
    ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    bool broken = false;
    while (size > 0) {
        const auto n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            broken = errno == EPIPE;
            break;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    if (broken && !sigismember(&old, SIGPIPE)) {
        const timespec none{0, 0};
        while (::sigtimedwait(&pipe_only, nullptr, &none) < 0 && errno == EINTR) {
        }
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

}  // namespace

void runtime_output::start() {
    try {
        make_pipe(out_.pipe);
        make_pipe(err_.pipe);
        make_pipe(wake_);
        reader_ = std::thread([this] { read_loop(); });
    } catch (...) {
        close_pipe(out_.pipe);
        close_pipe(err_.pipe);
        close_pipe(wake_);
        throw;
    }
}

void runtime_output::stop() {
    if (reader_.joinable()) {
        const char byte = 0;
        while (::write(wake_[1], &byte, 1) < 0 && errno == EINTR) {
        }
        reader_.join();
    }
    std::lock_guard lk(m_);
    drain_locked();
    for (stream* s : {&out_, &err_}) {
        flush_partial_line(*s);
        close_pipe(s->pipe);
    }
    close_pipe(wake_);
    captures_.clear();
}

void runtime_output::read_loop() {
    for (;;) {
        std::array<pollfd, 3> fds{{{out_.pipe[0], POLLIN, 0}, {err_.pipe[0], POLLIN, 0}, {wake_[0], POLLIN, 0}}};
        bool waiting_line;
        {
            std::lock_guard lk(m_);
            waiting_line = !out_.partial.empty() || !err_.partial.empty();
        }
        const int ready = ::poll(fds.data(), fds.size(), waiting_line ? partial_line_wait_ms : -1);
        if (ready < 0 && errno != EINTR) return;
        if (fds[2].revents != 0) return;  // stop() drains what is left
        // The emulator keeps the write ends open between runtimes: a pipe never hangs up.
        std::lock_guard lk(m_);
        if (ready == 0) {  // a line's end did not come in time
            flush_partial_line(out_);
            flush_partial_line(err_);
        }
        drain_locked();
    }
}

void runtime_output::drain() {
    std::lock_guard lk(m_);
    drain_locked();
}

void runtime_output::drain_locked() {
    std::array<char, 16 * 1024> buf;
    for (stream* s : {&out_, &err_}) {
        if (s->pipe[0] < 0) continue;
        for (;;) {
            const auto n = ::read(s->pipe[0], buf.data(), buf.size());
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;  // EAGAIN: nothing more now; 0: no writer
            pass_on_locked(*s, buf.data(), static_cast<std::size_t>(n));
        }
    }
}

void runtime_output::flush_partial_line(stream& s) {
    if (s.partial.empty()) return;
    write_all(s.to_fd, s.partial.data(), s.partial.size());
    s.partial.clear();
}

void runtime_output::pass_on_locked(stream& s, const char* data, std::size_t size) {
    // Up to the last line end: written now, after the start of its first line held back before.
    const auto last_end = std::string_view(data, size).rfind('\n');
    if (last_end == std::string_view::npos) {
        s.partial.append(data, size);
    } else {
        s.partial.append(data, last_end + 1);
        flush_partial_line(s);
        s.partial.assign(data + last_end + 1, size - last_end - 1);
    }
    if (s.partial.size() >= partial_line_limit) flush_partial_line(s);
    for (auto& [id, kept] : captures_) {
        kept.append(data, size);
        if (kept.size() > 2 * capture_limit) kept.erase(0, kept.size() - capture_limit);
    }
}

void runtime_output::begin_capture(const std::string& id) {
    std::lock_guard lk(m_);
    captures_[id];
}

std::string runtime_output::end_capture(const std::string& id) {
    std::lock_guard lk(m_);
    drain_locked();
    const auto it = captures_.find(id);
    if (it == captures_.end()) return {};
    std::string kept = std::move(it->second);
    captures_.erase(it);
    if (kept.size() > capture_limit) kept.erase(0, kept.size() - capture_limit);
    return kept;
}

}  // namespace lambda_py27::testing::detail
