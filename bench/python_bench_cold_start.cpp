// python_bench: cold starts (exec -> first GET /next) and the timing of Python 2.7's own json.
#include "python_bench.hpp"

#include <sys/resource.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace lambda_py27_bench::harness {

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
    if (finished) {
        // /proc/<pid>/stat: the fields after the command's closing parenthesis; minflt and majflt are the
        // 8th and 10th of them.
        std::ifstream in("/proc/" + std::to_string(c.pid) + "/stat");
        const std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::istringstream fields(stat.substr(stat.rfind(')') + 1));
        std::string f;
        double faults = 0;
        for (int i = 1; i <= 10 && fields >> f; ++i)
            if (i == 8 || i == 10) faults += std::strtod(f.c_str(), nullptr);
        ck.fault_samples.push_back(faults);
    }
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

}  // namespace lambda_py27_bench::harness
