// python_bench: child runtimes, and one session of a row against the canned API.
#include "python_bench.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

namespace lambda_py27_bench::harness {

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

const char* kind_label(kind k) {
    switch (k) {
        case kind::floor_inproc: return "floor (raw sockets, in-process)";
        case kind::floor_child: return "floor runtime (raw sockets, child)";
        case kind::cpp: return "C++ runtime_client no-op";
        case kind::bootstrap: return "lambda-py27-bootstrap";
        case kind::plain: return "plain Python 2.7 loop";
        case kind::layer: return "the layer as deployed (/opt/bootstrap)";
    }
    return "?";
}

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
        case kind::layer: return cfg.layer_command;
        case kind::floor_inproc: break;
    }
    return {};
}

// Sets NAME=VALUE in `env`, replacing a NAME already there.
void set_env(std::vector<std::string>& env, const std::string& entry) {
    const auto name = entry.substr(0, entry.find('=') + 1);
    for (auto& e : env)
        if (e.rfind(name, 0) == 0) {
            e = entry;
            return;
        }
    env.push_back(entry);
}

// A row's environment: Lambda's; for the layer, with its layout's variables and no Python home of the build.
std::vector<std::string> env_of(const config& cfg, const environment_spec& es, const row& r) {
    std::vector<std::string> env = base_env(es, r.handler);
    if (r.k == kind::layer) {
        env.erase(std::remove_if(env.begin(), env.end(),
                                 [](const std::string& e) { return e.rfind("LAMBDA_PY27_PYTHON_HOME=", 0) == 0; }),
                  env.end());
        for (const auto& e : cfg.layer_env) set_env(env, e);
    }
    for (const auto& e : r.extra_env) set_env(env, e);
    return env;
}

std::unique_ptr<lambda_py27::testing::artifact_root> deploy_layer(config& cfg) {
    using lambda_py27::testing::artifact_root;
    if (!fs::is_regular_file(cfg.layer))
        throw std::runtime_error("no such zip (build the lambda-py27-layer target; bench/run.sh does)");
    if (const auto why = artifact_root::unavailable()) throw std::runtime_error(*why);
    auto root = std::make_unique<artifact_root>(lambda_py27::testing::artifact_options{{}, {cfg.layer}, {}});
    for (const auto& entry : fs::directory_iterator(cfg.source / "handlers"))
        if (entry.path().extension() == ".py")
            fs::copy_file(entry.path(), root->at("/var/task") / entry.path().filename());
    cfg.layer_command = root->runtime_command();
    cfg.layer_env.clear();
    for (const auto& [name, value] : artifact_root::lambda_environment()) cfg.layer_env.push_back(name + "=" + value);
    return root;
}

std::string carried_python(const fs::path& python_dir) {
    std::ifstream in(python_dir / "BUILD-INFO.txt");
    std::string line;
    if (!std::getline(in, line) || !std::getline(in, line)) return "not recorded (no python/BUILD-INFO.txt)";
    std::istringstream words(line);
    std::string out;
    for (std::string w; words >> w;) out += (out.empty() ? "" : " ") + w;
    return out;
}

std::string tail_of(const fs::path& p, std::size_t max_bytes) {
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
    if (o.last_answer_bytes < r.min_answer_bytes)
        return "the last answer has " + std::to_string(o.last_answer_bytes) + " bytes, expected at least " +
               std::to_string(r.min_answer_bytes);
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
    const auto cmd = command_of(cfg, r.k, r.echo && (r.k == kind::floor_child || r.k == kind::cpp));
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    child c = spawn(argv, env_of(cfg, es, r), es.stderr_path);
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

}  // namespace lambda_py27_bench::harness
