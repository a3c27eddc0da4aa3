#include <lambda_py27/python/graceful_shutdown.hpp>

#include <lambda_py27/python/interpreter.hpp>
#include <lambda_py27/runtime/extension_client.hpp>
#include "python/support.hpp"

#include <boost/python.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

namespace bp = boost::python;

namespace lambda_py27::python {
namespace {

// The extension's name; only our own process ever sees it.
constexpr const char* extension_name = "lambda-py27-graceful-shutdown";

int g_signal_pipe[2] = {-1, -1};
// Run after the hooks, before the process exits (the pool's parent: wait for its workers' hooks).
std::function<void()> g_before_exit;

// Async-signal-safe: one byte into the pipe the shutdown thread reads.
extern "C" void on_sigterm(int) {
    const int saved = errno;
    const char byte = 'T';
    [[maybe_unused]] const ssize_t n = ::write(g_signal_pipe[1], &byte, 1);
    errno = saved;
}

// A forked child (multiprocessing, a fork before exec) must not shut its parent down: it gets SIGTERM
// back as it was.
extern "C" void restore_sigterm_in_child() {
    struct sigaction sa {};
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGTERM, &sa, nullptr);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

void run_hooks_and_exit() {
    {
        gil_acquire gil;
        try {
            detail::support_module().attr("run_shutdown_hooks")();
        } catch (const bp::error_already_set&) {
            PyErr_Print();
        }
    }
    if (g_before_exit) g_before_exit();
    // _exit: the main thread may be anywhere (in /next, in the handler); static destructors must not run
    // under it. Our records are written unbuffered, and the hooks flushed Python's streams.
    ::_exit(0);
}

bool install_sigterm_handler(std::string& what) {
    if (g_signal_pipe[0] >= 0) return true;
    if (::pipe2(g_signal_pipe, O_CLOEXEC) != 0) {
        what = "cannot create the signal pipe";
        return false;
    }
    try {
        std::thread([] {
            // This thread takes SIGTERM, whatever mask the thread that started it had.
            sigset_t term;
            sigemptyset(&term);
            sigaddset(&term, SIGTERM);
            ::pthread_sigmask(SIG_UNBLOCK, &term, nullptr);
            char byte = 0;
            for (;;) {
                const ssize_t n = ::read(g_signal_pipe[0], &byte, 1);
                if (n == 1) break;
                if (n < 0 && errno == EINTR) continue;
                return;  // the pipe is gone: no shutdown to run
            }
            run_hooks_and_exit();
        }).detach();
    } catch (const std::system_error&) {
        what = "cannot start the shutdown thread";
        return false;
    }
    struct sigaction sa {};
    sa.sa_handler = on_sigterm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (::sigaction(SIGTERM, &sa, nullptr) != 0) {
        what = "cannot install the SIGTERM handler";
        return false;
    }
    // The shutdown thread (started above) takes SIGTERM; the main thread, and every thread it starts from
    // now on, block it, so a handler's blocking call (time.sleep, a socket read) is not cut short by it.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    ::pthread_atfork(nullptr, nullptr, restore_sigterm_in_child);
    return true;
}

}  // namespace

std::optional<bool> graceful_shutdown_requested() {
    const char* v = std::getenv("LAMBDA_PY27_GRACEFUL_SHUTDOWN");
    if (v == nullptr) return false;
    std::string s(v);
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (s.empty() || s == "0" || s == "false" || s == "no" || s == "off") return false;
    if (s == "1" || s == "true" || s == "yes" || s == "on") return true;
    return std::nullopt;
}

bool enable_graceful_shutdown(const std::string& runtime_api_endpoint, std::string& what) {
    std::string id;
    if (!install_sigterm_handler(what) || !detail::register_shutdown_extension(runtime_api_endpoint, id, what))
        return false;
    wait_for_extension_events(runtime_api_endpoint, id);
    return true;
}

namespace detail {

bool register_shutdown_extension(const std::string& runtime_api_endpoint, std::string& extension_id,
                                 std::string& what) {
    std::error_code ec;
    extension_id = register_extension(runtime_api_endpoint, extension_name, ec, what).id;
    return !ec;
}

bool handle_sigterm_gracefully(std::function<void()> before_exit, std::string& what) {
    g_before_exit = std::move(before_exit);
    return install_sigterm_handler(what);
}

}  // namespace detail

}  // namespace lambda_py27::python
