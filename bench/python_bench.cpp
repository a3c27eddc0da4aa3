// python_bench: the whole runtime, measured from the Runtime API's side.
//
// An in-process canned Runtime API (support/canned_api.hpp) serves events to runtimes started as child
// processes over loopback, one at a time, and stamps every invocation: when the event is handed out
// (its first byte sent) and when its answer arrives (the POST's last byte read). Rows:
//   floor (in-process)     the raw-socket client of support/floor_client.hpp in a thread of this process;
//                          no-op (answers `null`) and echo of every event size
//   floor runtime          the same client as its own executable (floor_runtime): the cold-start floor
//   C++ runtime_client     cpp_noop_runtime: lambda_py27::runtime_client + lambda_py27::run, no-op
//   bootstrap              lambda-py27-bootstrap with bench/handlers: no-op, echo 1 KB .. 6 MB, logging
//   plain Python 2.7       bench/plain_python_runtime.py (httplib + json) with the same handlers
// and per row: invocations/s, p50/p99 latency at the server, CPU time of the runtime per invocation, cold
// start (exec -> first GET /next, median of many starts, per runtime kind), peak RSS (VmHWM) of the runtime
// process, ratios to the floor and to the plain Python loop. Then the targets of issues 3 and 7 with a
// verdict each; a long no-op run of the bootstrap for its memory; Python 2.7's own json.loads + json.dumps
// of the big events (a python2.7 subprocess timing loop, once per round). Rounds run every row in turn;
// each figure is the best of the rounds (the least disturbed: the machine is shared); the targets also
// show the median of the ratios within a round and the CPU-time ratio, which the load moves less.
// Writes bench/results/latest.md and chart.svg.
//
//   python_bench [--quick] [--rounds R] [--starts S] [--long N] [--results DIR] [--no-write]
//                [--only KEY,KEY...] [--wrap "CMD ARGS"] [--list] [--bootstrap PATH] [--python PATH]
//                [--cpu N|auto|none]
//   --only runs just those rows (no cold starts, no long run, nothing written): for a profiler, with
//   --wrap prefixing the runtime's command line; the API then answers 500 after the last event so the
//   runtime exits by itself (valgrind writes its output at exit), e.g.
//     python_bench --quick --only boot-noop
//         --wrap "valgrind --tool=callgrind --toggle-collect=lambda_py27::python::python_handler::operator()*"
//   --bootstrap runs another build of the bootstrap in the bootstrap rows (a candidate fix, say).
//   --cpu N|auto|none: the CPU the whole run is pinned to (the harness's threads and every process it
//   starts inherit it); auto (the default): the last CPU this process may run on; none: the scheduler
//   places every thread. Why one CPU: on a small VM a wake-up that crosses to another vCPU costs several
//   times one that stays (bench/wakeup_bench: ~10 µs vs ~3 µs per round trip here), and whether the kernel
//   puts the API's thread and the runtime on the same vCPU changes from round to round; unpinned, the
//   in-process floor's best rounds ranged 17,000-43,000/s in runs of one evening. Pinned, every row pays
//   the same hand-over and the figures measure the work an invocation takes.
#include "support/canned_api.hpp"
#include "support/floor_client.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;  // NOLINT: POSIX

namespace {

namespace fs = std::filesystem;
using namespace lambda_py27_bench;
using ms = std::chrono::milliseconds;

double us_between(clock_type::time_point a, clock_type::time_point b) {
    return std::chrono::duration<double, std::micro>(b - a).count();
}

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

double median(std::vector<double> v) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string run_capture(const std::string& command) {
    std::string out;
    if (FILE* f = ::popen(command.c_str(), "r")) {
        char buf[4096];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
        ::pclose(f);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
}

// ---- configuration ----------------------------------------------------------------------------------

struct config {
    bool quick = false;
    int rounds = 9;
    int starts = 15;
    std::size_t long_run = 100000;
    fs::path results = fs::path(PYTHON_BENCH_SOURCE_DIR) / "results";
    bool write = true;
    std::vector<std::string> only;
    std::vector<std::string> wrap;
    std::string bootstrap = PYTHON_BENCH_BOOTSTRAP;
    std::string floor_runtime = PYTHON_BENCH_FLOOR_RUNTIME;
    std::string cpp_runtime = PYTHON_BENCH_CPP_RUNTIME;
    std::string python = PYTHON_BENCH_PYTHON;
    fs::path source = PYTHON_BENCH_SOURCE_DIR;
    std::string cpu = "auto";  // --cpu
};

// Pins the calling thread (and so every thread and process started after) to one CPU: `which` is a CPU
// number, "auto" (the last CPU the process may run on) or "none". Returns the CPU, or -1 when not pinned.
int pin_to_cpu(const std::string& which) {
    if (which == "none") return -1;
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0) die("sched_getaffinity");
    int cpu = -1;
    if (which == "auto") {
        for (int c = 0; c < CPU_SETSIZE; ++c)
            if (CPU_ISSET(c, &allowed)) cpu = c;
    } else {
        char* end = nullptr;
        const long c = std::strtol(which.c_str(), &end, 10);
        if (end == which.c_str() || *end != '\0' || c < 0 || c >= CPU_SETSIZE || !CPU_ISSET(c, &allowed)) {
            std::fprintf(stderr, "python_bench: --cpu %s: not a CPU this process may run on\n", which.c_str());
            std::exit(2);
        }
        cpu = static_cast<int>(c);
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (::sched_setaffinity(0, sizeof one, &one) != 0) die("sched_setaffinity");
    return cpu;
}

// ---- events -----------------------------------------------------------------------------------------

struct event_kind {
    std::string key;    // "small", "1k", ...
    std::string label;  // "1 KB"
    std::size_t bytes;
    std::string body;
};

// One record of an echo event, in json.dumps's default layout (", " and ": "; floats whose repr is
// short and exact), so that a Python handler echoing the event answers exactly as many bytes.
std::string make_record(std::size_t i) {
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "{\"id\": %zu, \"name\": \"item-%06zu\", \"price\": %zu.25, \"active\": %s, "
                  "\"tags\": [\"alpha\", \"beta\", \"caf\\u00e9\"], "
                  "\"owner\": {\"user\": \"user-%zu\", \"region\": \"us-east-1\"}, \"quantity\": %zu, \"note\": null}",
                  i, i, i % 1000, i % 3 == 0 ? "false" : "true", i % 97, i * 7 % 1000);
    return buf;
}

// An event of exactly `size` bytes: {"records": [...], "pad": "xxx"}.
std::string make_event(std::size_t size) {
    const std::string head = "{\"records\": [", mid = "], \"pad\": \"", tail = "\"}";
    std::string records;
    for (std::size_t i = 0;; ++i) {
        const std::string rec = make_record(i);
        const std::size_t sep = records.empty() ? 0 : 2;
        if (head.size() + records.size() + sep + rec.size() + mid.size() + tail.size() > size) break;
        if (sep != 0) records += ", ";
        records += rec;
    }
    const std::size_t fixed = head.size() + records.size() + mid.size() + tail.size();
    return head + records + mid + std::string(size - fixed, 'x') + tail;
}

// ---- child processes --------------------------------------------------------------------------------

struct child {
    pid_t pid = -1;
    clock_type::time_point spawned;
    int status = 0;
    bool exited = false;

    // True while the process runs; reaps it once it ended.
    bool alive() {
        if (exited) return false;
        int st = 0;
        const pid_t r = ::waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            exited = true;
            status = st;
            return false;
        }
        return true;
    }

    void kill_and_reap() {
        if (exited) return;
        ::kill(pid, SIGKILL);
        int st = 0;
        while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        exited = true;
        status = st;
    }

    void reap() {
        if (exited) return;
        int st = 0;
        while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        exited = true;
        status = st;
    }

    std::string describe_status() const {
        if (!exited) return "running";
        if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
        if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
        return "status " + std::to_string(status);
    }
};

// Starts `argv` with `env`, stdout to /dev/null, stderr to `stderr_path`. `spawned` is stamped just
// before the spawn.
child spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env, const fs::path& stderr_path) {
    std::vector<char*> a, e;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    for (const auto& s : env) e.push_back(const_cast<char*>(s.c_str()));
    e.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    child c;
    c.spawned = clock_type::now();
    const int rc = ::posix_spawn(&c.pid, a[0], &actions, nullptr, a.data(), e.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        errno = rc;
        die(("posix_spawn " + argv[0]).c_str());
    }
    return c;
}

struct memory {
    long hwm_kb = -1;
    long rss_kb = -1;
};

memory read_memory(pid_t pid) {
    memory m;
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmHWM:", 0) == 0) m.hwm_kb = std::strtol(line.c_str() + 6, nullptr, 10);
        if (line.rfind("VmRSS:", 0) == 0) m.rss_kb = std::strtol(line.c_str() + 6, nullptr, 10);
    }
    return m;
}

// CPU time (user + system) the process has used so far, all its threads: /proc/<pid>/task/*/schedstat.
double cpu_ms(pid_t pid) {
    double ns = 0;
    std::error_code ec;
    for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        std::ifstream in(task.path() / "schedstat");
        double v = 0;
        if (in >> v) ns += v;
    }
    return ns / 1e6;
}

double thread_cpu_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// ---- rows -------------------------------------------------------------------------------------------

enum class kind { floor_inproc, floor_child, cpp, bootstrap, plain };

const char* kind_label(kind k) {
    switch (k) {
        case kind::floor_inproc: return "floor (raw sockets, in-process)";
        case kind::floor_child: return "floor runtime (raw sockets, child)";
        case kind::cpp: return "C++ runtime_client no-op";
        case kind::bootstrap: return "lambda-py27-bootstrap";
        case kind::plain: return "plain Python 2.7 loop";
    }
    return "?";
}

struct row {
    std::string key;
    kind k;
    std::string handler;  // "noop.handler", "echo.handler", "log_handler.handler"; or the C++ behaviour
    std::string handler_label;
    const event_kind* event;
    bool echo = false;
    std::size_t measured = 0, warmup = 0;
    std::string floor_key, plain_key;  // rows to compare with
};

struct round_figures {
    bool ok = false;
    double per_second = 0, p50_us = 0, p99_us = 0;
    double cpu_us = NAN;  // CPU time of the runtime (process, or the floor's thread) per measured invocation
    long hwm_kb = -1;
    std::string problem;
};

struct row_result {
    std::vector<round_figures> rounds;
    double per_second = 0;          // best round
    double p50_us = 0, p99_us = 0;  // best (lowest) of the rounds
    double cpu_us = NAN;            // lowest of the rounds
    long hwm_kb = -1;               // highest of the rounds
    bool ok = false;
    std::string problem;
};

struct environment_spec {
    std::string endpoint;
    fs::path task_root;
    fs::path stderr_path;
};

std::vector<std::string> base_env(const environment_spec& es, const std::string& handler) {
    std::vector<std::string> env = {
        "PATH=/usr/local/bin:/usr/bin:/bin",
        "LANG=C.UTF-8",
        "TZ=:UTC",
        "AWS_LAMBDA_RUNTIME_API=" + es.endpoint,
        "LAMBDA_TASK_ROOT=" + es.task_root.string(),
        "AWS_LAMBDA_FUNCTION_NAME=bench",
        "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
        "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/bench",
        "AWS_LAMBDA_LOG_STREAM_NAME=2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
        "AWS_REGION=us-east-1",
        "AWS_DEFAULT_REGION=us-east-1",
        "AWS_EXECUTION_ENV=AWS_Lambda_python2.7",
    };
    if (!handler.empty()) env.push_back("_HANDLER=" + handler);
    if (const char* home = std::getenv("LAMBDA_PY27_PYTHON_HOME"))
        env.push_back(std::string("LAMBDA_PY27_PYTHON_HOME=") + home);
    return env;
}

std::vector<std::string> command_of(const config& cfg, kind k, bool echo) {
    switch (k) {
        case kind::floor_child:
            return echo ? std::vector<std::string>{cfg.floor_runtime, "echo"}
                        : std::vector<std::string>{cfg.floor_runtime};
        case kind::cpp:
            return echo ? std::vector<std::string>{cfg.cpp_runtime, "echo"} : std::vector<std::string>{cfg.cpp_runtime};
        case kind::bootstrap: return {cfg.bootstrap};
        case kind::plain: return {cfg.python, (cfg.source / "plain_python_runtime.py").string()};
        case kind::floor_inproc: break;
    }
    return {};
}

std::string tail_of(const fs::path& p, std::size_t max_bytes = 1500) {
    std::string s = read_file(p);
    if (s.size() > max_bytes) s = "..." + s.substr(s.size() - max_bytes);
    return s;
}

// Figures of the measured invocations (after the warm-up ones) from the server's stamps.
round_figures figures_of(const canned_api::outcome& o, std::size_t warmup, std::size_t measured) {
    round_figures f;
    if (o.stamps.size() < warmup + measured || o.answered < warmup + measured) {
        f.problem = "only " + std::to_string(o.answered) + " of " + std::to_string(warmup + measured) + " answered";
        return f;
    }
    std::vector<double> latency;
    latency.reserve(measured);
    for (std::size_t i = warmup; i < warmup + measured; ++i)
        latency.push_back(us_between(o.stamps[i].handed_out, o.stamps[i].answered));
    const auto start = warmup > 0 ? o.stamps[warmup - 1].answered : o.stamps[0].handed_out;
    const double total_us = us_between(start, o.stamps[warmup + measured - 1].answered);
    f.per_second = static_cast<double>(measured) / (total_us / 1e6);
    std::sort(latency.begin(), latency.end());
    f.p50_us = latency[latency.size() / 2];
    f.p99_us = latency[std::min(latency.size() - 1, latency.size() * 99 / 100)];
    f.ok = true;
    return f;
}

std::string check_outcome(const canned_api::outcome& o, const row& r) {
    if (o.errors != 0) return std::to_string(o.errors) + " error posts, last: " + o.last_error_body;
    if (o.wrong_ids != 0) return std::to_string(o.wrong_ids) + " answers for the wrong request id";
    if (r.echo && o.last_answer_bytes != r.event->bytes)
        return "echo answered " + std::to_string(o.last_answer_bytes) + " bytes for an event of " +
               std::to_string(r.event->bytes);
    return {};
}

// One session of a child runtime: serve warm-up + measured events, read its memory while it waits for
// the next one, stop it.
round_figures run_child_session(canned_api& api, const config& cfg, const environment_spec& es, const row& r) {
    canned_api::session s;
    s.event = r.event->body;
    s.limit = r.warmup + r.measured;
    s.record = true;
    s.vary_ids = true;
    s.end_with_500 = !cfg.wrap.empty();
    // The runtime's CPU time at the end of the warm-up (it is waiting for the next event then).
    std::atomic<pid_t> pid{-1};
    double cpu_at_warmup = NAN;
    s.checkpoints = {r.warmup};
    s.on_checkpoint = [&](std::size_t) { cpu_at_warmup = cpu_ms(pid.load()); };
    api.prepare(std::move(s));

    std::vector<std::string> argv = cfg.wrap;
    const auto cmd = command_of(cfg, r.k, r.echo && r.k != kind::bootstrap && r.k != kind::plain);
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    child c = spawn(argv, base_env(es, r.handler), es.stderr_path);
    pid = c.pid;
    const bool finished = api.wait(ms(cfg.wrap.empty() ? 600000 : 3600000), [&] { return c.alive(); });
    round_figures f;
    memory m;
    double cpu_at_end = NAN;
    if (finished && cfg.wrap.empty()) {
        m = read_memory(c.pid);
        cpu_at_end = cpu_ms(c.pid);
    }
    if (!cfg.wrap.empty())
        c.reap();  // it exits on the 500
    else
        c.kill_and_reap();
    api.wait_closed(ms(10000));
    const auto o = api.take();
    if (!o.parked) {
        f.problem = std::string(finished ? "connection closed" : "timed out") + " after " + std::to_string(o.answered) +
                    " answers; runtime " + c.describe_status() + "; stderr: " + tail_of(es.stderr_path);
        return f;
    }
    f = figures_of(o, r.warmup, r.measured);
    f.hwm_kb = m.hwm_kb;
    f.cpu_us = (cpu_at_end - cpu_at_warmup) * 1000.0 / static_cast<double>(r.measured);
    if (const auto p = check_outcome(o, r); !p.empty()) {
        f.ok = false;
        f.problem = p;
    }
    return f;
}

round_figures run_floor_session(canned_api& api, const row& r) {
    canned_api::session s;
    s.event = r.event->body;
    s.limit = r.warmup + r.measured;
    s.record = true;
    s.vary_ids = true;
    api.prepare(std::move(s));
    const double cpu_before = thread_cpu_ms();
    run_floor_client(api.port(), r.warmup + r.measured, r.echo);
    const double cpu = thread_cpu_ms() - cpu_before;
    api.wait_closed(ms(10000));
    const auto o = api.take();
    round_figures f = figures_of(o, r.warmup, r.measured);
    f.cpu_us = cpu * 1000.0 / static_cast<double>(r.warmup + r.measured);
    if (const auto p = check_outcome(o, r); !p.empty()) {
        f.ok = false;
        f.problem = p;
    }
    return f;
}

// ---- cold starts --------------------------------------------------------------------------------------

struct cold_kind {
    std::string key;
    std::string label;
    std::vector<std::string> argv;
    std::string handler;
    bool to_exit = false;  // spawn -> exit (python -c pass), not exec -> first GET
    std::vector<double> ms_samples;
    std::vector<double> cpu_ms_samples;  // the process's CPU time until then (user + system)
    std::string problem;
};

// One start: the wall time (ms) and the process's CPU time (ms) to its first GET /next (or to its exit).
std::pair<double, double> cold_start_once(canned_api& api, const environment_spec& es, cold_kind& ck) {
    if (ck.to_exit) {
        child c = spawn(ck.argv, base_env(es, ck.handler), es.stderr_path);
        rusage ru{};
        int st = 0;
        while (::wait4(c.pid, &st, 0, &ru) < 0 && errno == EINTR) {
        }
        const auto end = clock_type::now();
        c.exited = true;
        c.status = st;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) ck.problem = c.describe_status();
        const double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
        return {us_between(c.spawned, end) / 1000.0, cpu};
    }
    canned_api::session s;
    s.limit = 0;  // hold the first GET
    s.record = true;
    api.prepare(std::move(s));
    child c = spawn(ck.argv, base_env(es, ck.handler), es.stderr_path);
    const bool finished = api.wait(ms(60000), [&] { return c.alive(); });
    const double cpu = finished ? cpu_ms(c.pid) : NAN;
    c.kill_and_reap();
    api.wait_closed(ms(10000));
    const auto o = api.take();
    if (!finished || !o.parked) {
        ck.problem = "no GET /next; runtime " + c.describe_status() + "; stderr: " + tail_of(es.stderr_path);
        return {NAN, NAN};
    }
    return {us_between(c.spawned, o.first_get) / 1000.0, cpu};
}

// ---- Python 2.7's own json ------------------------------------------------------------------------------

constexpr const char* json_timing_script = R"PY(
import json, sys, time
data = open(sys.argv[1], 'rb').read()
n = int(sys.argv[2])
json.dumps(json.loads(data))
times = []
for i in range(n):
    t0 = time.time()
    json.dumps(json.loads(data))
    times.append(time.time() - t0)
times.sort()
sys.stdout.write('%f\n' % (times[len(times) // 2] * 1e6))
)PY";

// Median µs of json.dumps(json.loads(payload)) over `n` runs in a python2.7 process.
double python_json_us(const config& cfg, const fs::path& script, const fs::path& payload, int n) {
    const std::string out =
        run_capture("'" + cfg.python + "' '" + script.string() + "' '" + payload.string() + "' " + std::to_string(n));
    return out.empty() ? NAN : std::strtod(out.c_str(), nullptr);
}

// ---- output -------------------------------------------------------------------------------------------

std::string machine_line(const std::string& what) {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(what, 0) == 0) {
            const auto colon = line.find(':');
            return colon == std::string::npos ? line : line.substr(colon + 2);
        }
    return "unknown";
}

std::string load_average() {
    std::string s = read_file("/proc/loadavg");
    std::istringstream in(s);
    std::string a, b, c;
    in >> a >> b >> c;
    return a + " " + b + " " + c;
}

std::string now_utc() {
    const std::time_t t = std::time(nullptr);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
    return buf;
}

std::string rate_text(double v) {
    if (!(v > 0)) return "—";
    return v >= 100 ? fmt("%.0f", v) : fmt("%.1f", v);
}

std::string us_text(double v) { return v > 0 ? fmt("%.0f", v) : "—"; }
std::string ratio_text(double v) { return std::isfinite(v) && v > 0 ? fmt("%.2f×", v) : "—"; }
std::string mib_text(long kb) { return kb > 0 ? fmt("%.1f", static_cast<double>(kb) / 1024.0) : "—"; }

struct table {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    std::vector<bool> right;  // right-aligned columns

    std::string markdown() const {
        std::string s = "|";
        for (const auto& h : header) s += " " + h + " |";
        s += "\n|";
        for (std::size_t i = 0; i < header.size(); ++i) s += right[i] ? "---:|" : "---|";
        s += "\n";
        for (const auto& r : rows) {
            s += "|";
            for (const auto& c : r) s += " " + c + " |";
            s += "\n";
        }
        return s;
    }

    static std::size_t width(const std::string& s) {  // code points, for UTF-8 (µ, ×, —, ÷, ≥, ≤)
        std::size_t n = 0;
        for (unsigned char c : s)
            if ((c & 0xC0) != 0x80) ++n;
        return n;
    }

    std::string text() const {
        std::vector<std::size_t> w(header.size());
        for (std::size_t i = 0; i < header.size(); ++i) w[i] = width(header[i]);
        for (const auto& r : rows)
            for (std::size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], width(r[i]));
        const auto line = [&](const std::vector<std::string>& cells) {
            std::string s;
            for (std::size_t i = 0; i < cells.size(); ++i) {
                const std::string pad(w[i] - width(cells[i]), ' ');
                s += right[i] ? pad + cells[i] : cells[i] + pad;
                s += i + 1 < cells.size() ? "  " : "";
            }
            return s + "\n";
        };
        std::string s = line(header);
        std::size_t total = 0;
        for (auto x : w) total += x + 2;
        s += std::string(total - 2, '-') + "\n";
        for (const auto& r : rows) s += line(r);
        return s;
    }
};

std::string xml_escape(const std::string& s) {
    std::string o;
    for (char c : s) {
        switch (c) {
            case '&': o += "&amp;"; break;
            case '<': o += "&lt;"; break;
            case '>': o += "&gt;"; break;
            case '"': o += "&quot;"; break;
            default: o += c;
        }
    }
    return o;
}

const char* kind_short(kind k) {
    switch (k) {
        case kind::floor_inproc: return "floor";
        case kind::floor_child: return "floor runtime";
        case kind::cpp: return "C++ runtime_client";
        case kind::bootstrap: return "bootstrap";
        case kind::plain: return "plain Python";
    }
    return "?";
}

const char* kind_colour(kind k) {
    switch (k) {
        case kind::floor_inproc: return "#9e9e9e";
        case kind::floor_child: return "#616161";
        case kind::cpp: return "#1f77b4";
        case kind::bootstrap: return "#2ca02c";
        case kind::plain: return "#ff7f0e";
    }
    return "#000";
}

struct bar {
    std::string label;
    double value;
    std::string value_text;
    std::string colour;
};

// Horizontal bars; log scale (decades) or linear. Returns the SVG fragment and advances `y`.
std::string bar_panel(const std::string& title, const std::vector<bar>& bars, bool log_scale, double& y) {
    constexpr double left = 340, width = 520, bar_h = 16, gap = 6;
    std::ostringstream s;
    s << "<text x=\"10\" y=\"" << y + 16 << "\" font-size=\"15\" font-weight=\"bold\">" << xml_escape(title)
      << "</text>\n";
    y += 30;
    double max_v = 0;
    for (const auto& b : bars) max_v = std::max(max_v, b.value);
    if (!(max_v > 0)) return s.str();
    double lo = 0, hi = max_v;
    if (log_scale) {
        double min_v = max_v;
        for (const auto& b : bars)
            if (b.value > 0) min_v = std::min(min_v, b.value);
        lo = std::pow(10.0, std::floor(std::log10(min_v)));
        hi = std::pow(10.0, std::ceil(std::log10(max_v)));
    } else {
        const double step = std::pow(10.0, std::floor(std::log10(max_v)));
        hi = std::ceil(max_v / step) * step;
    }
    const auto x_of = [&](double v) {
        if (log_scale)
            return left + width * (std::log10(std::max(v, lo)) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
        return left + width * v / hi;
    };
    const double top = y, bottom = y + static_cast<double>(bars.size()) * (bar_h + gap);
    // grid
    std::vector<double> ticks;
    if (log_scale) {
        for (double t = lo; t <= hi * 1.0001; t *= 10) ticks.push_back(t);
    } else {
        const double step = hi / 5;
        for (int i = 0; i <= 5; ++i) ticks.push_back(step * i);
    }
    for (double t : ticks) {
        const double x = x_of(t);
        s << "<line x1=\"" << x << "\" y1=\"" << top - 4 << "\" x2=\"" << x << "\" y2=\"" << bottom
          << "\" stroke=\"#ddd\"/>\n";
        s << "<text x=\"" << x << "\" y=\"" << bottom + 14
          << "\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">" << (t >= 1 ? fmt("%.0f", t) : fmt("%.2g", t))
          << "</text>\n";
    }
    for (const auto& b : bars) {
        s << "<text x=\"" << left - 8 << "\" y=\"" << y + 12 << "\" font-size=\"12\" text-anchor=\"end\">"
          << xml_escape(b.label) << "</text>\n";
        const double w = b.value > 0 ? std::max(1.0, x_of(b.value) - left) : 0;
        s << "<rect x=\"" << left << "\" y=\"" << y << "\" width=\"" << w << "\" height=\"" << bar_h << "\" fill=\""
          << b.colour << "\"/>\n";
        s << "<text x=\"" << left + w + 4 << "\" y=\"" << y + 12 << "\" font-size=\"11\">" << xml_escape(b.value_text)
          << "</text>\n";
        y += bar_h + gap;
    }
    y = bottom + 30;
    return s.str();
}

/// Reads the command line into `cfg` (`list`: --list); 0, or the exit status of a bad command line.
int parse_args(int argc, char** argv, config& cfg, bool& list) {
    bool rounds_set = false, starts_set = false, long_set = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", argv[i]);
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--quick") {
            cfg.quick = true;
        } else if (a == "--rounds") {
            cfg.rounds = std::max(1, std::atoi(value().c_str()));
            rounds_set = true;
        } else if (a == "--starts") {
            cfg.starts = std::max(1, std::atoi(value().c_str()));
            starts_set = true;
        } else if (a == "--long") {
            cfg.long_run = std::strtoul(value().c_str(), nullptr, 10);
            long_set = true;
        } else if (a == "--results") {
            cfg.results = value();
        } else if (a == "--no-write") {
            cfg.write = false;
        } else if (a == "--only") {
            std::istringstream in(value());
            for (std::string k; std::getline(in, k, ',');) cfg.only.push_back(k);
        } else if (a == "--wrap") {
            std::istringstream in(value());
            for (std::string w; in >> w;) cfg.wrap.push_back(w);
            if (!cfg.wrap.empty() && cfg.wrap[0].find('/') == std::string::npos)  // posix_spawn takes a path
                cfg.wrap[0] = run_capture("command -v '" + cfg.wrap[0] + "'");
        } else if (a == "--bootstrap") {
            cfg.bootstrap = value();
        } else if (a == "--python") {
            cfg.python = value();
        } else if (a == "--cpu") {
            cfg.cpu = value();
        } else if (a == "--list") {
            list = true;
        } else {
            std::fprintf(
                stderr,
                "usage: %s [--quick] [--rounds R] [--starts S] [--long N] [--results DIR] [--no-write]\n"
                "          [--only KEY,KEY...] [--wrap \"CMD ARGS\"] [--list] [--bootstrap PATH] [--python PATH]\n"
                "          [--cpu N|auto|none]\n",
                argv[0]);
            return 2;
        }
    }
    if (cfg.quick) {
        if (!rounds_set) cfg.rounds = 1;
        if (!starts_set) cfg.starts = 10;
        if (!long_set) cfg.long_run = 20000;
    }
    if (!cfg.only.empty() || !cfg.wrap.empty()) cfg.write = false;
    if (cfg.bootstrap.empty() || cfg.python.empty()) {
        std::fprintf(stderr, "python_bench: no bootstrap or python2.7 known (--bootstrap, --python)\n");
        return 2;
    }
    return 0;
}

/// The events of the rows, from the no-op one to 6 MB.
std::vector<event_kind> make_events() {
    std::vector<event_kind> events = {
        {"small", std::to_string(default_event.size()) + " B", default_event.size(), std::string(default_event)},
        {"1k", "1 KB", 1024, {}},
        {"100k", "100 KB", 100 * 1024, {}},
        {"1m", "1 MB", 1024 * 1024, {}},
        {"6m", "6 MB", 6 * 1024 * 1024, {}},
    };
    for (auto& e : events)
        if (e.body.empty()) e.body = make_event(e.bytes);
    return events;
}

/// The event of that key ("small", "1k", ...), or nullptr.
const event_kind* find_event(const std::vector<event_kind>& events, const std::string& key) {
    for (const auto& e : events)
        if (e.key == key) return &e;
    return nullptr;
}

/// Measured invocations per round by event (native runtimes, plain Python): about a second or more each.
const std::map<std::string, std::pair<std::size_t, std::size_t>>& invocation_counts() {
    static const std::map<std::string, std::pair<std::size_t, std::size_t>> counts = {
        {"small", {5000, 1000}}, {"1k", {5000, 1000}}, {"100k", {500, 100}}, {"1m", {60, 15}}, {"6m", {12, 5}}};
    return counts;
}

/// The echo rows' events.
const std::vector<std::string> echo_sizes = {"1k", "100k", "1m", "6m"};

/// Every row python_bench knows (--list), each with its event (in `events`) and invocation counts.
std::vector<row> make_rows(const config& cfg, const std::vector<event_kind>& events) {
    const auto ev = [&](const std::string& key) { return find_event(events, key); };
    const auto& counts = invocation_counts();
    std::vector<row> rows;
    const auto add = [&](std::string key, kind k, std::string handler, std::string handler_label,
                         const std::string& event, bool echo, std::string floor_key, std::string plain_key) {
        row r;
        r.key = std::move(key);
        r.k = k;
        r.handler = std::move(handler);
        r.handler_label = std::move(handler_label);
        r.event = ev(event);
        r.echo = echo;
        const auto& c = counts.at(event);
        std::size_t n = k == kind::plain ? c.second : c.first;
        if (cfg.quick) n = std::max<std::size_t>(n / 10, 5);
        r.measured = n;
        r.warmup = std::max<std::size_t>(n / 10, 2);
        r.floor_key = std::move(floor_key);
        r.plain_key = std::move(plain_key);
        rows.push_back(std::move(r));
    };
    add("floor-noop", kind::floor_inproc, "", "no-op (" + ev("small")->label + " event)", "small", false, "floor-noop",
        "");
    for (const auto& size : echo_sizes)
        add("floor-echo-" + size, kind::floor_inproc, "", "echo " + ev(size)->label, size, true, "floor-echo-" + size,
            "");
    add("floor-child-noop", kind::floor_child, "", "no-op (" + ev("small")->label + " event)", "small", false,
        "floor-noop", "");
    add("cpp-noop", kind::cpp, "", "no-op (" + ev("small")->label + " event)", "small", false, "floor-noop",
        "plain-noop");
    add("boot-noop", kind::bootstrap, "noop.handler", "no-op (" + ev("small")->label + " event)", "small", false,
        "floor-noop", "plain-noop");
    for (const auto& size : echo_sizes)
        add("boot-echo-" + size, kind::bootstrap, "echo.handler", "echo " + ev(size)->label, size, true,
            "floor-echo-" + size, "plain-echo-" + size);
    add("boot-log", kind::bootstrap, "log_handler.handler", "logging.warning (" + ev("small")->label + " event)",
        "small", false, "floor-noop", "plain-log");
    add("plain-noop", kind::plain, "noop.handler", "no-op (" + ev("small")->label + " event)", "small", false,
        "floor-noop", "plain-noop");
    for (const auto& size : echo_sizes)
        add("plain-echo-" + size, kind::plain, "echo.handler", "echo " + ev(size)->label, size, true,
            "floor-echo-" + size, "plain-echo-" + size);
    add("plain-log", kind::plain, "log_handler.handler", "logging.warning (" + ev("small")->label + " event)", "small",
        false, "floor-noop", "plain-log");
    return rows;
}

/// Where and when the run happened, for the report.
struct machine_facts {
    utsname un;
    std::string cpu, load_start, load_end, started, commit, dirty;
    long nproc;
    int pinned;
};

/// Resident memory of the bootstrap after `answered` invocations of the long run.
struct checkpoint {
    std::size_t answered;
    memory mem;
};

/// What bench/results/latest.md and chart.svg are made of.
struct run_report {
    const machine_facts& machine;
    const table& results;
    const table& targets;
    const std::vector<checkpoint>& series;
    const std::string& long_problem;
    double long_rate;
    const std::map<std::string, double>& python_json;
    const std::vector<cold_kind>& colds;
    const std::vector<bar>& rate_bars;
    const row& first;  // the no-op floor row: its counts describe the method
};

/// Writes cfg.results/latest.md (machine, method, tables) and chart.svg.
void write_results(const config& cfg, const run_report& r) {
    const machine_facts& m = r.machine;
    const utsname& un = m.un;
    const std::string &cpu = m.cpu, &load_start = m.load_start, &load_end = m.load_end, &started = m.started,
                      &commit = m.commit, &dirty = m.dirty;
    const long nproc = m.nproc;
    const int pinned = m.pinned;
    const table &t = r.results, &targets = r.targets;
    const auto& series = r.series;
    const auto& long_problem = r.long_problem;
    const double long_rate = r.long_rate;
    auto python_json = r.python_json;  // operator[] below
    const auto& colds = r.colds;
    const auto& rate_bars = r.rate_bars;
    const row& first = r.first;
    const auto& counts = invocation_counts();
    fs::create_directories(cfg.results);
    std::ostringstream md;
    md << "# python_bench results\n\n";
    md << "Written by `bench/run.sh` (bench/python_bench.cpp) on " << started << ".\n\n";
    md << "## Machine\n\n";
    md << "- CPU: " << cpu << ", " << nproc << " online CPUs (`nproc`)\n";
    md << "- kernel: " << un.sysname << " " << un.release << " " << un.machine << "\n";
    md << "- load average: " << load_start << " at the start, " << load_end
       << " at the end (a shared machine: other builds run alongside)\n";
    md << "- source: commit " << (commit.empty() ? "unknown" : commit) << (dirty.empty() ? "" : " with local changes")
       << "; build type " << PYTHON_BENCH_BUILD_TYPE << "\n";
    md << "- bootstrap: `" << cfg.bootstrap << "`; Python: `" << cfg.python << "`\n";
    if (pinned >= 0)
        md << "- pinning: the whole run on CPU " << pinned
           << " (the API's thread, the in-process floor's client, every runtime; `--cpu`)\n\n";
    else
        md << "- pinning: none (`--cpu none`): the scheduler placed the API's thread and each runtime\n\n";
    md << "## Method\n\n";
    md << "An in-process canned Runtime API (bench/support/canned_api.hpp) serves each runtime, started as a child "
          "process over loopback (the floor rows: a client thread of the harness), all on one CPU unless `--cpu none` "
          "says otherwise: on this 2-vCPU VM a wake-up that crosses to the other vCPU costs several times one that "
          "stays (bench/wakeup_bench: about 10 µs against 3 µs per round trip), and where the scheduler puts the API's "
          "thread and the runtime changes from round to round; on one CPU every row pays the same hand-over and the "
          "figures measure the work of an invocation. Each event gets a new request id "
          "and trace id. Latency is measured at the server: from handing out an event (its first byte sent) to "
          "receiving its answer (the POST's last byte). invocations/s = measured invocations / time from the answer "
          "before the first measured one to the last answer. Every row runs "
       << cfg.rounds
       << " round(s), rows interleaved; each figure is the **best of the rounds** (highest rate, lowest "
          "p50, p99 and CPU time; peak RSS is the highest). CPU µs/inv: CPU time (user + system, "
          "/proc/<pid>/task/*/schedstat) of the runtime process over the measured invocations (the "
          "in-process floor: its client thread, warm-up included); it moves less with the machine's "
          "load than the wall-clock figures. Per round: "
       << "the no-op and 1 KB rows " << first.measured << " measured invocations after " << first.warmup
       << " warm-up ones (plain Python: " << counts.at("small").second / (cfg.quick ? 10 : 1)
       << "), fewer for bigger events (6 MB: " << std::max<std::size_t>(counts.at("6m").first / (cfg.quick ? 10 : 1), 5)
       << ", plain Python " << std::max<std::size_t>(counts.at("6m").second / (cfg.quick ? 10 : 1), 5) << "). "
       << "Peak RSS is VmHWM of the runtime process read from /proc while it waits for the next event. Cold start is "
          "exec → the first complete `GET /next` at the server, the **median of "
       << cfg.starts
       << " starts** per runtime, the kinds interleaved (`python2.7 -c pass`: spawn → exit). Echo events "
          "are JSON in `json.dumps`'s layout, so the echo answers as many bytes (checked); 1 KB = 1024 bytes. "
          "× floor: the row's invocations/s over the in-process floor's with the same event; × plain Python: over the "
          "plain Python loop's with the same handler and event. In the targets table, *median of paired rounds* is "
          "the median over the rounds of the ratio between the two rows' figures of the same round (for cold "
          "starts: of the i-th starts of each kind), and *CPU-time view* the same ratio computed from CPU time; "
          "both are cross-checks, the verdict is on the first figure.\n\n";
    md << "## Results\n\n" << t.markdown() << "\n";
    md << "## Targets\n\n" << targets.markdown() << "\n";
    md << "Resident memory of the bootstrap during the long no-op run (VmRSS / VmHWM, kB, after N invocations): ";
    for (std::size_t i = 0; i < series.size(); ++i)
        md << (i ? ", " : "") << series[i].answered << ": " << series[i].mem.rss_kb << " / " << series[i].mem.hwm_kb;
    md << (series.empty() ? long_problem : "") << ". Rate of that run: " << rate_text(long_rate) << "/s.\n\n";
    md << "Python 2.7's own `json.dumps(json.loads(event))` (a python2.7 subprocess timing loop run in every round, "
          "median of its iterations, best of "
       << cfg.rounds << " rounds): 1 MB " << us_text(python_json["1m"]) << " µs, 6 MB " << us_text(python_json["6m"])
       << " µs.\n\n";
    md << "Cold starts (median of " << cfg.starts << " starts, wall ms / CPU ms of the process): ";
    for (std::size_t i = 0; i < colds.size(); ++i)
        md << (i ? "; " : "") << colds[i].label << " " << fmt("%.2f", median(colds[i].ms_samples)) << " / "
           << fmt("%.2f", median(colds[i].cpu_ms_samples))
           << (colds[i].problem.empty() ? "" : " (" + colds[i].problem + ")");
    md << ".\n\n![chart](chart.svg)\n";
    std::ofstream(cfg.results / "latest.md") << md.str();

    std::vector<bar> cold_bars;
    const std::map<std::string, std::string> cold_colour = {{"floor", kind_colour(kind::floor_child)},
                                                            {"cpp", kind_colour(kind::cpp)},
                                                            {"bootstrap", kind_colour(kind::bootstrap)},
                                                            {"plain", kind_colour(kind::plain)},
                                                            {"python-pass", "#bcbd22"}};
    for (const auto& ck : colds)
        cold_bars.push_back(
            {ck.label, median(ck.ms_samples), fmt("%.2f ms", median(ck.ms_samples)), cold_colour.at(ck.key)});
    double y = 10;
    std::string body = bar_panel(
        "Invocations per second (best of " + std::to_string(cfg.rounds) + " rounds; log scale)", rate_bars, true, y);
    body += bar_panel("Cold start: exec → first GET /next, ms (median of " + std::to_string(cfg.starts) + " starts)",
                      cold_bars, false, y);
    std::ofstream svg(cfg.results / "chart.svg");
    svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"960\" height=\"" << static_cast<int>(y + 20)
        << "\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        << body << "<text x=\"10\" y=\"" << static_cast<int>(y + 5)
        << "\" font-size=\"11\" fill=\"#555\">python_bench, " << xml_escape(started) << ", " << xml_escape(cpu) << ", "
        << nproc << " CPUs, load " << xml_escape(load_start) << "</text>\n</svg>\n";
    std::printf("wrote %s and %s\n", (cfg.results / "latest.md").c_str(), (cfg.results / "chart.svg").c_str());
}

}  // namespace

int main(int argc, char** argv) {
    config cfg;
    bool list = false;
    if (const int status = parse_args(argc, argv, cfg, list); status != 0) return status;
    const std::vector<event_kind> events = make_events();
    std::vector<row> rows = make_rows(cfg, events);
    const auto ev = [&](const std::string& key) { return find_event(events, key); };

    if (list) {
        for (const auto& r : rows)
            std::printf("%-18s %s, %s\n", r.key.c_str(), kind_label(r.k), r.handler_label.c_str());
        return 0;
    }
    std::vector<row*> selected;
    for (auto& r : rows)
        if (cfg.only.empty() || std::find(cfg.only.begin(), cfg.only.end(), r.key) != cfg.only.end())
            selected.push_back(&r);
    if (selected.empty()) {
        std::fprintf(stderr, "python_bench: no row selected (--list shows them)\n");
        return 2;
    }
    const bool full = cfg.only.empty();

    // ---- the scene: a task root with the handlers, the API, the machine
    char tmpl[] = "/tmp/python_bench.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) die("mkdtemp");
    const fs::path work = tmpl;
    struct remove_at_exit {
        fs::path p;
        ~remove_at_exit() {
            std::error_code ignored;
            fs::remove_all(p, ignored);
        }
    } work_guard{work};
    const fs::path task_root = work / "task";
    fs::create_directories(task_root);
    for (const auto& entry : fs::directory_iterator(cfg.source / "handlers"))
        if (entry.path().extension() == ".py") fs::copy_file(entry.path(), task_root / entry.path().filename());
    // Before the API's thread exists: it, the floor's thread and every child inherit the CPU.
    const int pinned = pin_to_cpu(cfg.cpu);
    canned_api api;
    const environment_spec es{api.endpoint(), task_root, work / "runtime.stderr"};

    utsname un{};
    ::uname(&un);
    const std::string cpu = machine_line("model name");
    const long nproc = ::sysconf(_SC_NPROCESSORS_ONLN);
    const std::string load_start = load_average();
    const std::string started = now_utc();
    const std::string commit = run_capture("git -C '" + cfg.source.string() + "' rev-parse --short HEAD 2>/dev/null");
    const std::string dirty =
        run_capture("git -C '" + cfg.source.string() + "' status --porcelain --untracked-files=no 2>/dev/null");
    std::printf("python_bench: %s, %ld CPUs, load average %s, %s\n", cpu.c_str(), nproc, load_start.c_str(),
                started.c_str());
    if (pinned >= 0)
        std::printf("pinned to CPU %d: the API, the floor's client and every runtime (--cpu none: unpinned)\n", pinned);
    else
        std::printf("not pinned: the scheduler places the API's thread and each runtime\n");
    std::printf("%d round(s); cold start: %d starts per runtime; long run: %zu invocations%s\n", cfg.rounds, cfg.starts,
                cfg.long_run, cfg.quick ? " (--quick)" : "");
#ifndef NDEBUG
    std::printf("note: python_bench itself was built without NDEBUG (not a Release build?)\n");
#endif
    std::fflush(stdout);

    // ---- rounds of every row (and, in each, Python's own json.loads + json.dumps of the big events)
    std::map<std::string, row_result> results;
    const fs::path json_script = work / "json_timing.py";
    std::ofstream(json_script) << json_timing_script;
    const std::vector<std::string> json_sizes = {"1m", "6m"};
    std::map<std::string, std::vector<double>> python_json_rounds;  // µs, one median per round
    for (const auto& size : json_sizes)
        std::ofstream(work / ("event-" + size + ".json"), std::ios::binary) << ev(size)->body;
    for (int round = 1; round <= cfg.rounds; ++round) {
        std::printf("round %d/%d:", round, cfg.rounds);
        std::fflush(stdout);
        for (row* r : selected) {
            const round_figures f =
                r->k == kind::floor_inproc ? run_floor_session(api, *r) : run_child_session(api, cfg, es, *r);
            results[r->key].rounds.push_back(f);
            if (f.ok)
                std::printf(" %s %s/s", r->key.c_str(), rate_text(f.per_second).c_str());
            else
                std::printf("\n  %s FAILED: %s\n ", r->key.c_str(), f.problem.c_str());
            std::fflush(stdout);
        }
        if (full) {
            for (const auto& size : json_sizes) {
                const int n = size == "1m" ? (cfg.quick ? 3 : 8) : (cfg.quick ? 2 : 3);
                const double v = python_json_us(cfg, json_script, work / ("event-" + size + ".json"), n);
                python_json_rounds[size].push_back(v);
                std::printf(" python-json-%s %.0f µs", size.c_str(), v);
                std::fflush(stdout);
            }
        }
        std::printf("\n");
    }
    for (auto& [key, res] : results) {
        for (const auto& f : res.rounds) {
            if (!f.ok) {
                res.problem = f.problem;
                continue;
            }
            if (!res.ok || f.per_second > res.per_second) res.per_second = f.per_second;
            res.p50_us = res.ok ? std::min(res.p50_us, f.p50_us) : f.p50_us;
            res.p99_us = res.ok ? std::min(res.p99_us, f.p99_us) : f.p99_us;
            res.hwm_kb = std::max(res.hwm_kb, f.hwm_kb);
            if (std::isfinite(f.cpu_us) && !(f.cpu_us >= res.cpu_us)) res.cpu_us = f.cpu_us;
            res.ok = true;
        }
    }

    // ---- cold starts, interleaved so that a disturbance hits every kind alike
    std::vector<cold_kind> colds;
    if (full) {
        colds = {
            {"floor", "floor runtime (raw sockets)", {cfg.floor_runtime}, "", false, {}, {}, {}},
            {"cpp", "C++ runtime_client no-op", {cfg.cpp_runtime}, "", false, {}, {}, {}},
            {"bootstrap", "lambda-py27-bootstrap, noop.handler", {cfg.bootstrap}, "noop.handler", false, {}, {}, {}},
            {"plain",
             "plain Python 2.7 loop, noop.handler",
             {cfg.python, (cfg.source / "plain_python_runtime.py").string()},
             "noop.handler",
             false,
             {},
             {},
             {}},
            {"python-pass", "python2.7 -c pass (spawn → exit)", {cfg.python, "-c", "pass"}, "", true, {}, {}, {}},
        };
        std::printf("cold starts:");
        std::fflush(stdout);
        // One unmeasured start of each first: page cache, the handler's .pyc.
        for (auto& ck : colds) cold_start_once(api, es, ck);
        for (int i = 0; i < cfg.starts; ++i) {
            for (auto& ck : colds) {
                const auto [wall, cpu_time] = cold_start_once(api, es, ck);
                if (std::isfinite(wall)) ck.ms_samples.push_back(wall);
                if (std::isfinite(cpu_time)) ck.cpu_ms_samples.push_back(cpu_time);
            }
            std::printf(" %d", i + 1);
            std::fflush(stdout);
        }
        std::printf("\n");
        for (const auto& ck : colds)
            if (!ck.problem.empty()) std::printf("  cold start %s: %s\n", ck.key.c_str(), ck.problem.c_str());
    }
    const auto cold_ms = [&](const std::string& key) {
        for (const auto& ck : colds)
            if (ck.key == key) return median(ck.ms_samples);
        return static_cast<double>(NAN);
    };
    const auto cold_cpu_ms = [&](const std::string& key) {
        for (const auto& ck : colds)
            if (ck.key == key) return median(ck.cpu_ms_samples);
        return static_cast<double>(NAN);
    };
    // Median over the starts of (start i of a) / (start i of b): the kinds were started in turn.
    const auto cold_paired = [&](const std::string& a, const std::string& b) {
        const cold_kind *x = nullptr, *y = nullptr;
        for (const auto& ck : colds) {
            if (ck.key == a) x = &ck;
            if (ck.key == b) y = &ck;
        }
        std::vector<double> r;
        if (x != nullptr && y != nullptr)
            for (std::size_t i = 0; i < std::min(x->ms_samples.size(), y->ms_samples.size()); ++i)
                r.push_back(x->ms_samples[i] / y->ms_samples[i]);
        return median(r);
    };

    // ---- the long no-op run of the bootstrap: resident memory every tenth of the way
    std::vector<checkpoint> series;
    double long_rate = NAN;
    std::string long_problem;
    if (full && cfg.long_run >= 10) {
        std::printf("long run: %zu no-op invocations of the bootstrap...", cfg.long_run);
        std::fflush(stdout);
        std::atomic<pid_t> pid{-1};
        std::mutex series_mutex;
        canned_api::session s;
        s.limit = cfg.long_run;
        s.record = true;
        s.vary_ids = true;
        for (int i = 1; i <= 10; ++i) s.checkpoints.push_back(cfg.long_run * static_cast<std::size_t>(i) / 10);
        s.on_checkpoint = [&](std::size_t answered) {
            const memory m = read_memory(pid.load());
            std::lock_guard<std::mutex> lock(series_mutex);
            series.push_back({answered, m});
        };
        s.event = std::string(default_event);
        api.prepare(std::move(s));
        child c = spawn({cfg.bootstrap}, base_env(es, "noop.handler"), es.stderr_path);
        pid = c.pid;
        const bool finished = api.wait(ms(1800000), [&] { return c.alive(); });
        c.kill_and_reap();
        api.wait_closed(ms(10000));
        const auto o = api.take();
        if (!finished || !o.parked) {
            long_problem = "stopped after " + std::to_string(o.answered) + ": " + c.describe_status() + "; " +
                           tail_of(es.stderr_path);
        } else {
            const auto f = figures_of(o, 0, cfg.long_run);
            long_rate = f.per_second;
        }
        std::printf(" %s/s\n", rate_text(long_rate).c_str());
    }
    const auto rss_at = [&](std::size_t answered) -> long {
        for (const auto& c : series)
            if (c.answered == answered) return c.mem.rss_kb;
        return -1;
    };

    std::map<std::string, double> python_json;  // best (lowest) of the rounds' medians, µs
    for (const auto& [size, v] : python_json_rounds) {
        double best = NAN;
        for (double x : v)
            if (std::isfinite(x) && !(x >= best)) best = x;
        python_json[size] = best;
    }
    const std::string load_end = load_average();

    // ---- the table
    const auto res = [&](const std::string& key) -> const row_result* {
        const auto it = results.find(key);
        return it != results.end() && it->second.ok ? &it->second : nullptr;
    };
    const auto rate_of = [&](const std::string& key) {
        const auto* r = res(key);
        return r != nullptr ? r->per_second : static_cast<double>(NAN);
    };
    const std::map<kind, std::string> cold_of_kind = {
        {kind::floor_child, "floor"}, {kind::cpp, "cpp"}, {kind::bootstrap, "bootstrap"}, {kind::plain, "plain"}};

    table t;
    t.header = {"runtime",    "handler / event", "invocations/s", "p50 µs",  "p99 µs",
                "CPU µs/inv", "cold start ms",   "peak RSS MiB",  "× floor", "× plain Python"};
    t.right = {false, false, true, true, true, true, true, true, true, true};
    std::vector<bar> rate_bars;
    for (const row* r : selected) {
        const auto* x = res(r->key);
        std::string cold = "";
        if (r->handler == "noop.handler" || (r->k != kind::bootstrap && r->k != kind::plain && !r->echo)) {
            if (const auto it = cold_of_kind.find(r->k); it != cold_of_kind.end()) {
                const double v = cold_ms(it->second);
                cold = std::isfinite(v) ? fmt("%.2f", v) : "";
            }
        }
        if (x == nullptr) {
            const auto it = results.find(r->key);
            t.rows.push_back({kind_label(r->k), r->handler_label, "FAILED", "", "", "", cold, "", "", ""});
            if (it != results.end()) std::printf("%s: %s\n", r->key.c_str(), it->second.problem.c_str());
            continue;
        }
        const double vs_floor = r->floor_key == r->key ? 1.0 : x->per_second / rate_of(r->floor_key);
        const double vs_plain = r->plain_key.empty() ? NAN : x->per_second / rate_of(r->plain_key);
        t.rows.push_back({kind_label(r->k), r->handler_label, rate_text(x->per_second), us_text(x->p50_us),
                          us_text(x->p99_us), std::isfinite(x->cpu_us) ? fmt("%.1f", x->cpu_us) : "—", cold,
                          mib_text(x->hwm_kb), ratio_text(vs_floor), ratio_text(vs_plain)});
        rate_bars.push_back({std::string(kind_short(r->k)) + ", " + r->handler_label, x->per_second,
                             rate_text(x->per_second) + "/s", kind_colour(r->k)});
    }

    // ---- the targets
    // Each: the figure the verdict is on (best of rounds, or medians for cold starts), then two cross-checks
    // that the machine's load moves less: the median over the rounds of the ratio within a round (rows run
    // seconds apart), and the ratio of CPU time spent by the runtimes.
    table targets;
    targets.header = {"issue",         "target", "figure (verdict on it)", "median of paired rounds",
                      "CPU-time view", "verdict"};
    targets.right = {false, false, false, true, true, false};
    const auto target = [&](const std::string& issue, const std::string& what, double figure, double threshold,
                            bool at_least, const std::string& detail, const std::string& paired = "",
                            const std::string& cpu_view = "") {
        std::string verdict = "n/a";
        if (std::isfinite(figure)) {
            const bool met = at_least ? figure >= threshold : figure <= threshold;
            verdict = met ? "met" : "**missed**";
        }
        targets.rows.push_back(
            {issue, what, detail, paired.empty() ? "—" : paired, cpu_view.empty() ? "—" : cpu_view, verdict});
    };
    // Median over the rounds of f(round of a) / f(round of b).
    const auto paired = [&](const std::string& a, const std::string& b, bool rates) {
        std::vector<double> r;
        const auto ia = results.find(a), ib = results.find(b);
        if (ia == results.end() || ib == results.end()) return static_cast<double>(NAN);
        for (std::size_t i = 0; i < std::min(ia->second.rounds.size(), ib->second.rounds.size()); ++i) {
            const auto &x = ia->second.rounds[i], &y = ib->second.rounds[i];
            if (x.ok && y.ok) r.push_back(rates ? x.per_second / y.per_second : x.p50_us / y.p50_us);
        }
        return median(r);
    };
    const auto cpu_of = [&](const std::string& key) {
        const auto* r = res(key);
        return r != nullptr ? r->cpu_us : static_cast<double>(NAN);
    };
    const auto x2 = [](double v) { return std::isfinite(v) ? fmt("%.2f×", v) : std::string(); };
    if (full) {
        const double boot_noop = rate_of("boot-noop"), cpp_noop = rate_of("cpp-noop");
        target("3", "Python no-op invocations/s ≥ 0.9× the C++ no-op", boot_noop / cpp_noop, 0.9, true,
               fmt("%.3f×", boot_noop / cpp_noop) + " (" + rate_text(boot_noop) + " vs " + rate_text(cpp_noop) + "/s)",
               x2(paired("boot-noop", "cpp-noop", true)),
               x2(cpu_of("cpp-noop") / cpu_of("boot-noop")) + " (" + fmt("%.1f", cpu_of("boot-noop")) + " vs " +
                   fmt("%.1f", cpu_of("cpp-noop")) + " µs/inv)");
        const double boot_cold = cold_ms("bootstrap"), pass_cold = cold_ms("python-pass");
        target("3", "cold start ≤ 1.0× `python2.7 -c pass` (spawn → exit)", boot_cold / pass_cold, 1.0, false,
               fmt("%.3f×", boot_cold / pass_cold) + " (" + fmt("%.2f", boot_cold) + " vs " + fmt("%.2f", pass_cold) +
                   " ms, medians)",
               x2(cold_paired("bootstrap", "python-pass")),
               x2(cold_cpu_ms("bootstrap") / cold_cpu_ms("python-pass")) + " (" +
                   fmt("%.2f", cold_cpu_ms("bootstrap")) + " vs " + fmt("%.2f", cold_cpu_ms("python-pass")) + " ms)");
        const long rss_end = rss_at(cfg.long_run), rss_fifth = rss_at(cfg.long_run / 5);
        target("3", "resident memory after " + std::to_string(cfg.long_run) + " no-op invocations ≤ 12 MiB",
               rss_end > 0 ? static_cast<double>(rss_end) / 1024.0 : NAN, 12.0, false,
               rss_end > 0 ? mib_text(rss_end) + " MiB (VmRSS, " + std::to_string(rss_end) + " kB)" : long_problem);
        target("3",
               "no growth of resident memory from " + std::to_string(cfg.long_run / 5) + " to " +
                   std::to_string(cfg.long_run) + " invocations",
               rss_end > 0 && rss_fifth > 0 ? static_cast<double>(rss_end - rss_fifth) : NAN, 0, false,
               rss_end > 0 && rss_fifth > 0 ? std::to_string(rss_end - rss_fifth) + " kB (" +
                                                  std::to_string(rss_fifth) + " → " + std::to_string(rss_end) + " kB)"
                                            : long_problem);
        for (const auto& size : json_sizes) {
            const std::string key = "boot-echo-" + size;
            const auto* x = res(key);
            const double mine = x != nullptr ? x->p50_us : NAN, theirs = python_json[size];
            std::vector<double> per_round;
            if (const auto it = results.find(key); it != results.end())
                for (std::size_t i = 0; i < it->second.rounds.size() && i < python_json_rounds[size].size(); ++i)
                    if (it->second.rounds[i].ok)
                        per_round.push_back(it->second.rounds[i].p50_us / python_json_rounds[size][i]);
            target("3", "echo " + ev(size)->label + ": time per invocation ≤ 0.5× Python's json.loads + json.dumps",
                   mine / theirs, 0.5, false,
                   fmt("%.3f×", mine / theirs) + " (p50 " + us_text(mine) + " µs vs " + us_text(theirs) + " µs)",
                   x2(median(per_round)), x2(cpu_of(key) / theirs) + " (" + us_text(cpu_of(key)) + " µs CPU/inv)");
        }
        const double plain_noop = rate_of("plain-noop"), floor_noop = rate_of("floor-noop");
        target(
            "7", "Python no-op invocations/s ≥ 15× the plain Python loop", boot_noop / plain_noop, 15, true,
            fmt("%.2f×", boot_noop / plain_noop) + " (" + rate_text(boot_noop) + " vs " + rate_text(plain_noop) + "/s)",
            x2(paired("boot-noop", "plain-noop", true)), x2(cpu_of("plain-noop") / cpu_of("boot-noop")));
        target(
            "7", "Python no-op invocations/s ≥ 0.7× the floor", boot_noop / floor_noop, 0.7, true,
            fmt("%.3f×", boot_noop / floor_noop) + " (" + rate_text(boot_noop) + " vs " + rate_text(floor_noop) + "/s)",
            x2(paired("boot-noop", "floor-noop", true)),
            x2(cpu_of("floor-noop") / cpu_of("boot-noop")) + " (floor: its client thread)");
        const double plain_cold = cold_ms("plain"), floor_cold = cold_ms("floor");
        target("7", "cold start ≤ 0.25× the plain Python loop's", boot_cold / plain_cold, 0.25, false,
               fmt("%.3f×", boot_cold / plain_cold) + " (" + fmt("%.2f", boot_cold) + " vs " + fmt("%.2f", plain_cold) +
                   " ms)",
               x2(cold_paired("bootstrap", "plain")),
               x2(cold_cpu_ms("bootstrap") / cold_cpu_ms("plain")) + " (" + fmt("%.2f", cold_cpu_ms("bootstrap")) +
                   " vs " + fmt("%.2f", cold_cpu_ms("plain")) + " ms)");
        target("7", "cold start ≤ 3× the floor's (floor runtime exec → first GET)", boot_cold / floor_cold, 3, false,
               fmt("%.2f×", boot_cold / floor_cold) + " (" + fmt("%.2f", boot_cold) + " vs " + fmt("%.2f", floor_cold) +
                   " ms)",
               x2(cold_paired("bootstrap", "floor")),
               x2(cold_cpu_ms("bootstrap") / cold_cpu_ms("floor")) + " (" + fmt("%.2f", cold_cpu_ms("bootstrap")) +
                   " vs " + fmt("%.2f", cold_cpu_ms("floor")) + " ms)");
        const double boot_1m = rate_of("boot-echo-1m"), plain_1m = rate_of("plain-echo-1m");
        target("7", "echo 1 MB invocations/s ≥ 3× the plain Python loop", boot_1m / plain_1m, 3, true,
               fmt("%.3f×", boot_1m / plain_1m) + " (" + rate_text(boot_1m) + " vs " + rate_text(plain_1m) + "/s)",
               x2(paired("boot-echo-1m", "plain-echo-1m", true)), x2(cpu_of("plain-echo-1m") / cpu_of("boot-echo-1m")));
        const auto* bn = res("boot-noop");
        target("7", "peak RSS with the no-op handler ≤ 12 MiB",
               bn != nullptr && bn->hwm_kb > 0 ? static_cast<double>(bn->hwm_kb) / 1024.0 : NAN, 12.0, false,
               bn != nullptr ? mib_text(bn->hwm_kb) + " MiB (VmHWM, " + std::to_string(bn->hwm_kb) + " kB)" : "");
    }

    // ---- print
    std::printf("\n%s", t.text().c_str());
    if (full) {
        std::printf("\n%s", targets.text().c_str());
        std::printf("\nresident memory of the bootstrap (no-op), VmRSS / VmHWM kB:");
        for (const auto& c : series) std::printf(" %zu: %ld/%ld", c.answered, c.mem.rss_kb, c.mem.hwm_kb);
        std::printf("\nload average: %s at the start, %s at the end\n", load_start.c_str(), load_end.c_str());
    }
    if (!cfg.write) return 0;

    // ---- bench/results/latest.md and chart.svg
    const machine_facts machine{un, cpu, load_start, load_end, started, commit, dirty, nproc, pinned};
    write_results(
        cfg, run_report{machine, t, targets, series, long_problem, long_rate, python_json, colds, rate_bars, rows[0]});

    return 0;
}
