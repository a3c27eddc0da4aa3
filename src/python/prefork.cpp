// The pre-forked pool of interpreter processes (AWS_LAMBDA_MAX_CONCURRENCY > 1).
//
// Why processes: the GIL lets one thread run Python at a time, so concurrent invocations of a Python
// handler need one interpreter each. The handler is imported (and init() called) once, then the process
// forks: every worker starts with the loaded handler, its pages shared copy-on-write.
//
// Why a dead worker ends the runtime: the invocation it was serving can no longer be answered, and a
// runtime must answer every invocation or exit. Exiting (with the worker's own status or signal) lets the
// platform answer what is in flight with Runtime.ExitError and start a fresh execution environment,
// exactly as it does when a single-process runtime dies; re-forking would leave that invocation to time out.
#include "python/prefork.hpp"

#include "runtime/diagnostic.hpp"

#include <boost/python.hpp>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lambda_py27::python::detail {
namespace {

void log_line(const std::string& text) { lambda_py27::detail::diagnostic(text); }

std::string describe(int wait_status) {
    if (WIFEXITED(wait_status)) return "exit status " + std::to_string(WEXITSTATUS(wait_status));
    if (WIFSIGNALED(wait_status)) {
        const char* name = ::strsignal(WTERMSIG(wait_status));
        return "signal " + std::to_string(WTERMSIG(wait_status)) +
               (name != nullptr ? std::string(" (") + name + ")" : "");
    }
    return "wait status " + std::to_string(wait_status);
}

std::size_t running_threads() {
    std::error_code ec;
    std::size_t n = 0;
    for (std::filesystem::directory_iterator it("/proc/self/task", ec), end; !ec && it != end; it.increment(ec)) ++n;
    return ec ? 0 : n;
}

// ---- state shared with the SIGTERM handler and the watcher threads (lock-free atomics only) ----------

std::atomic<pid_t> worker_pids[max_pool_processes];  // 0: reaped (or never started)
std::atomic<unsigned> worker_count{0};
std::atomic<bool> terminating{false};  // SIGTERM arrived: workers ending is expected
struct sigaction previous_term {};

static_assert(std::atomic<pid_t>::is_always_lock_free && std::atomic<bool>::is_always_lock_free,
              "the SIGTERM handler needs lock-free atomics");

bool any_worker_alive() {
    for (unsigned i = 0; i < worker_count.load(); ++i)
        if (worker_pids[i].load() > 0) return true;
    return false;
}

// The parent's SIGTERM handler: the workers get the signal too, then the disposition the parent had acts.
void forward_term(int sig, siginfo_t* info, void* context) {
    const int saved_errno = errno;
    terminating.store(true);
    for (unsigned i = 0; i < worker_count.load(); ++i)
        if (const pid_t pid = worker_pids[i].load(); pid > 0) ::kill(pid, SIGTERM);
    if ((previous_term.sa_flags & SA_SIGINFO) != 0) {
        if (previous_term.sa_sigaction != nullptr) previous_term.sa_sigaction(sig, info, context);
    } else if (previous_term.sa_handler == SIG_DFL) {
        // Die of SIGTERM as before, once the workers are gone (2 s at most: the platform's SIGKILL follows).
        const timespec tick{0, 10 * 1000 * 1000};
        for (int i = 0; i < 200 && any_worker_alive(); ++i) ::nanosleep(&tick, nullptr);
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        ::sigaction(SIGTERM, &dfl, nullptr);
        ::raise(SIGTERM);  // blocked while this handler runs: acts as it returns
    } else if (previous_term.sa_handler != SIG_IGN) {
        previous_term.sa_handler(sig);
    }
    errno = saved_errno;
}

// Ends this process the way a worker ended: the same exit status, or the same signal.
[[noreturn]] void end_like(int wait_status) {
    if (WIFSIGNALED(wait_status)) {
        const int sig = WTERMSIG(wait_status);
        ::signal(sig, SIG_DFL);
        ::kill(::getpid(), sig);  // this thread blocks signals: another thread takes it and the process ends
        ::sleep(2);
        ::_exit(128 + sig);
    }
    ::_exit(WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 1);
}

// The parent's side of the pool.
class pool {
public:
    ~pool() { stop(); }

    void add(pid_t pid) {
        const unsigned i = worker_count.load();
        worker_pids[i].store(pid);
        worker_count.store(i + 1);
    }

    // One watcher per worker (waiting for a given pid never reaps the handler's own child processes).
    // Watchers block every signal, so signals go to the main thread, where Python handles them.
    void watch() {
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        for (unsigned i = 0; i < worker_count.load(); ++i) watchers_.emplace_back([this, i] { watch_one(i); });
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }

    // The parent's loop ended: the workers are ended too. After a SIGTERM they got it as well, and get up to
    // 2 s to finish (their shutdown hooks) before they are killed.
    void stop() {
        if (terminating.load()) wait_for_pool_workers(std::chrono::seconds(2));
        {
            std::lock_guard lk(mutex_);
            stopping_ = true;
            for (unsigned i = 0; i < worker_count.load(); ++i)
                if (const pid_t pid = worker_pids[i].load(); pid > 0) ::kill(pid, SIGKILL);
        }
        for (auto& t : watchers_)
            if (t.joinable()) t.join();
        watchers_.clear();
    }

private:
    void watch_one(unsigned i) {
        const pid_t pid = worker_pids[i].load();
        siginfo_t info{};
        // Wait without reaping, then reap under the mutex: a kill (also under it, only of unreaped
        // workers) can never reach a recycled pid.
        while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
        }
        int status = 0;
        bool end_runtime = false;
        {
            std::lock_guard lk(mutex_);
            worker_pids[i].store(0);
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            if (!stopping_ && !terminating.load() && !ending_) {
                ending_ = true;
                end_runtime = true;
                for (unsigned j = 0; j < worker_count.load(); ++j)
                    if (const pid_t other = worker_pids[j].load(); other > 0) ::kill(other, SIGKILL);
            }
        }
        if (!end_runtime) return;
        log_line("worker process " + std::to_string(pid) + " ended (" + describe(status) +
                 "): the runtime ends the same way so that the platform restarts it");
        end_like(status);
    }

    std::mutex mutex_;
    bool stopping_ = false;
    bool ending_ = false;
    std::vector<std::thread> watchers_;
};

// A new worker: everything the fork copied that must not be shared is renewed, then it serves.
[[noreturn]] void run_worker(pid_t parent, const std::function<int(api_client&)>& serve, const pool_hooks& hooks) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);     // never outlive the runtime
    if (::getppid() != parent) ::_exit(1);  // the parent died before that took effect
    PyOS_AfterFork();                       // the GIL, the import lock and the threading module, re-made
    if (PyObject* random = PyDict_GetItemString(PyImport_GetModuleDict(), "random")) {  // borrowed
        if (PyObject* r = PyObject_CallMethod(random, const_cast<char*>("seed"), nullptr))
            Py_DECREF(r);  // from os.urandom: no two workers draw the same numbers
        else
            PyErr_Clear();
    }
    if (hooks.in_worker) hooks.in_worker();
    int status = 1;
    try {
        auto client = runtime_client::from_environment();  // a connection of its own
        PyThreadState* state = PyEval_SaveThread();
        status = serve(client);
        PyEval_RestoreThread(state);
    } catch (const std::exception& e) {
        log_line(std::string("worker process could not serve: ") + e.what());
    }
    std::fflush(nullptr);
    ::_exit(status);
}

}  // namespace

unsigned requested_processes() noexcept {
    const char* v = std::getenv("AWS_LAMBDA_MAX_CONCURRENCY");
    if (v == nullptr || *v == '\0') return 1;
    unsigned long n = 0;
    const char* end = v + std::strlen(v);
    const auto [ptr, err] = std::from_chars(v, end, n);
    if (err == std::errc::result_out_of_range) return max_pool_processes;
    if (err != std::errc{} || ptr != end || n < 2) return 1;
    return n > max_pool_processes ? max_pool_processes : static_cast<unsigned>(n);
}

bool wait_for_pool_workers(std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (any_worker_alive()) {
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

int serve_preforked(unsigned processes, api_client& parent_client, const std::function<int(api_client&)>& serve,
                    const pool_hooks& hooks) {
    const auto serve_alone = [&] {
        PyThreadState* state = PyEval_SaveThread();
        const int status = serve(parent_client);
        PyEval_RestoreThread(state);
        return status;
    };
    if (const auto threads = running_threads(); threads != 1) {
        log_line("AWS_LAMBDA_MAX_CONCURRENCY=" + std::to_string(processes) + ": " +
                 (threads == 0 ? std::string("cannot count the threads") : std::to_string(threads) + " threads run") +
                 " after init, and threads do not survive fork(): one process serves");
        if (hooks.in_parent) hooks.in_parent();
        return serve_alone();
    }

    // Whatever sits in a buffer now would be written by every process.
    for (const char* name : {"stdout", "stderr"})
        if (PyObject* f = PySys_GetObject(const_cast<char*>(name)))
            if (PyObject* r = PyObject_CallMethod(f, const_cast<char*>("flush"), nullptr)) Py_DECREF(r);
    PyErr_Clear();
    std::fflush(nullptr);

    terminating.store(false);
    worker_count.store(0);
    pool workers;
    const pid_t parent = ::getpid();
    for (unsigned i = 1; i < processes; ++i) {
        _PyImport_AcquireLock();  // as os.fork(): no other thread may be importing across the fork
        const pid_t pid = ::fork();
        if (pid == 0) run_worker(parent, serve, hooks);
        _PyImport_ReleaseLock();
        if (pid < 0) {
            log_line(std::string("fork() failed (") + std::strerror(errno) + "): " + std::to_string(i) +
                     " processes serve instead of " + std::to_string(processes));
            break;
        }
        workers.add(pid);
    }
    if (hooks.in_parent) hooks.in_parent();

    struct sigaction forward {};
    forward.sa_sigaction = forward_term;
    forward.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&forward.sa_mask);
    ::sigaction(SIGTERM, &forward, &previous_term);
    workers.watch();

    const int status = serve_alone();

    ::sigaction(SIGTERM, &previous_term, nullptr);
    workers.stop();
    return status;
}

}  // namespace lambda_py27::python::detail
