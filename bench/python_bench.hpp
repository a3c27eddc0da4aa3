// The parts of python_bench (bench/python_bench.cpp says what it measures and how): the command line,
// events and rows (python_bench_args.cpp), child runtimes and their sessions against the canned API
// (python_bench_sessions.cpp), cold starts and Python's own json (python_bench_cold_start.cpp), the tables,
// latest.md and chart.svg (python_bench_report.cpp).
#pragma once

#include "support/canned_api.hpp"
#include "support/floor_client.hpp"

#include <lambda_py27/testing/artifact_root.hpp>

#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lambda_py27_bench::harness {

namespace fs = std::filesystem;
using ms = std::chrono::milliseconds;

double us_between(clock_type::time_point a, clock_type::time_point b);
/// snprintf of one double.
std::string fmt(const char* f, double v);
/// NAN for no values.
double median(std::vector<double> v);
std::string read_file(const fs::path& p);
/// The standard output of a command line, trailing blanks and newlines dropped.
std::string run_capture(const std::string& command);
/// The last `max_bytes` of a file (a runtime's stderr), for a message.
std::string tail_of(const fs::path& p, std::size_t max_bytes = 1500);

// ---- the command line, events, rows (python_bench_args.cpp)

struct config {
    bool quick = false;
    int rounds = 9;
    int starts = 60;  // cold starts per runtime: the median a target sits on needs more than a few
    std::size_t long_run = 100000;
    fs::path results = fs::path(PYTHON_BENCH_SOURCE_DIR) / "results";
    bool write = true;
    std::vector<std::string> only;
    std::vector<std::string> wrap;
    bool cold_only = false;              // --cold-only: the cold starts alone, no rows
    std::vector<std::string> cold_also;  // --cold-also: more programs whose cold start is measured
    std::string bootstrap = PYTHON_BENCH_BOOTSTRAP;
    std::string floor_runtime = PYTHON_BENCH_FLOOR_RUNTIME;
    std::string cpp_runtime = PYTHON_BENCH_CPP_RUNTIME;
    std::string python_floor_runtime = PYTHON_BENCH_PYTHON_FLOOR_RUNTIME;
    std::string python = PYTHON_BENCH_PYTHON;
    fs::path source = PYTHON_BENCH_SOURCE_DIR;
    std::string cpu = "auto";             // --cpu
    fs::path layer = PYTHON_BENCH_LAYER;  // --layer: the runtime layer the layer rows deploy
    // Set by main once the layer is unpacked in a private root: how a layer row starts and its environment
    // (Lambda's variables for that layout, NAME=VALUE).
    std::vector<std::string> layer_command;
    std::vector<std::string> layer_env;
};

/// Reads the command line into `cfg` (`list`: --list); 0, or the exit status of a bad command line.
int parse_args(int argc, char** argv, config& cfg, bool& list);

/// Pins the calling thread (and so every thread and process started after) to one CPU: `which` is a CPU
/// number, "auto" (the last CPU the process may run on) or "none". Returns the CPU, or -1 when not pinned.
int pin_to_cpu(const std::string& which);

struct event_kind {
    std::string key;    // "small", "1k", ...
    std::string label;  // "1 KB"
    std::size_t bytes;
    std::string body;
};

/// The events of the rows, from the no-op one to 6 MB, and the API Gateway proxy event
/// (cfg.source/events/api_gateway_proxy.json).
std::vector<event_kind> make_events(const config& cfg);
/// The event of that key ("small", "1k", ...), or nullptr.
const event_kind* find_event(const std::vector<event_kind>& events, const std::string& key);
/// Measured invocations per round by event (native runtimes, plain Python): about a second or more each.
const std::map<std::string, std::pair<std::size_t, std::size_t>>& invocation_counts();

// layer: the bootstrap of the runtime layer as deployed (unpacked at /opt of a private root, cfg.layer_command).
enum class kind { floor_inproc, floor_child, cpp, bootstrap, plain, layer };

const char* kind_label(kind k);
const char* kind_short(kind k);
const char* kind_colour(kind k);

struct row {
    std::string key;
    kind k;
    std::string handler;  // "noop.handler", "echo.handler", "log_handler.handler"; or the C++ behaviour
    std::string handler_label;
    const event_kind* event;
    bool echo = false;
    std::size_t measured = 0, warmup = 0;
    std::string floor_key, plain_key;    // rows to compare with
    std::vector<std::string> extra_env;  // NAME=VALUE added to the runtime's environment
    std::size_t min_answer_bytes = 0;    // a shorter answer is a wrong one (an error status of the handler)
};

/// Every row python_bench knows (--list), each with its event (in `events`) and invocation counts.
std::vector<row> make_rows(const config& cfg, const std::vector<event_kind>& events);

// ---- child runtimes and their sessions (python_bench_sessions.cpp)

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

/// Starts `argv` with `env`, stdout to /dev/null, stderr to `stderr_path`. `spawned` is stamped just
/// before the spawn.
child spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env, const fs::path& stderr_path);

struct memory {
    long hwm_kb = -1;
    long rss_kb = -1;
};

/// VmHWM and VmRSS of a process.
memory read_memory(pid_t pid);
/// CPU time (user + system) the process has used so far, all its threads: /proc/<pid>/task/*/schedstat.
double cpu_ms(pid_t pid);
double thread_cpu_ms();

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

/// The environment Lambda gives a runtime, for `handler`.
std::vector<std::string> base_env(const environment_spec& es, const std::string& handler);
/// One session of a child runtime: serve warm-up + measured events, read its memory while it waits for
/// the next one, stop it.
round_figures run_child_session(canned_api& api, const config& cfg, const environment_spec& es, const row& r);
/// The same with the floor's client in a thread of this process.
round_figures run_floor_session(canned_api& api, const row& r);
/// The runtime layer (cfg.layer) unpacked at /opt of a private root with the handlers (cfg.source/handlers)
/// at /var/task, as Lambda deploys them; sets cfg.layer_command and cfg.layer_env. Throws
/// std::runtime_error naming the cause (no layer zip, no private root on this machine).
std::unique_ptr<lambda_py27::testing::artifact_root> deploy_layer(config& cfg);
/// The Python a bundle carries, from <python_dir>/BUILD-INFO.txt ("arch: x86_64 flavour: opt ..."), or
/// why it is not known.
std::string carried_python(const fs::path& python_dir);
/// Figures of the measured invocations (after the warm-up ones) from the server's stamps.
round_figures figures_of(const canned_api::outcome& o, std::size_t warmup, std::size_t measured);

// ---- cold starts, Python's own json (python_bench_cold_start.cpp)

struct cold_kind {
    std::string key;
    std::string label;
    std::vector<std::string> argv;
    std::string handler;
    bool to_exit = false;  // spawn -> exit (python -c pass), not exec -> first GET
    std::vector<double> ms_samples;
    std::vector<double> cpu_ms_samples;  // the process's CPU time until then (user + system)
    std::string problem;
    std::vector<double> fault_samples;  // the process's page faults until its first GET (minflt + majflt)
};

/// One start: the wall time (ms) and the process's CPU time (ms) to its first GET /next (or to its exit);
/// the page faults until the first GET go to ck.fault_samples.
std::pair<double, double> cold_start_once(canned_api& api, const environment_spec& es, cold_kind& ck);

/// A python2.7 script timing json.dumps(json.loads(<file>)): python_json_us runs it.
extern const char* const json_timing_script;
/// Median µs of json.dumps(json.loads(payload)) over `n` runs in a python2.7 process.
double python_json_us(const config& cfg, const fs::path& script, const fs::path& payload, int n);

// ---- the report (python_bench_report.cpp)

std::string machine_line(const std::string& what);
std::string load_average();
std::string now_utc();
std::string rate_text(double v);
std::string us_text(double v);
std::string ratio_text(double v);
std::string mib_text(long kb);

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

struct bar {
    std::string label;
    double value;
    std::string value_text;
    std::string colour;
};

/// Horizontal bars; log scale (decades) or linear. Returns the SVG fragment and advances `y`.
std::string bar_panel(const std::string& title, const std::vector<bar>& bars, bool log_scale, double& y);

/// Where and when the run happened, for the report.
struct machine_facts {
    utsname un;
    std::string cpu, load_start, load_end, started, commit, dirty;
    std::string layer_python;  // the Python the deployed layer carries (its python/BUILD-INFO.txt)
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
void write_results(const config& cfg, const run_report& r);

}  // namespace lambda_py27_bench::harness
