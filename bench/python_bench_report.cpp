// python_bench: the text of its figures, bench/results/latest.md and chart.svg.
#include "python_bench.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

namespace lambda_py27_bench::harness {

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
        case kind::layer: return "layer as deployed";
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
        case kind::layer: return "#17becf";
    }
    return "#000";
}

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
    md << "- the layer as deployed: `" << cfg.layer.string()
       << "` unpacked at /opt of a private root (lambda-py27-enter-root), the handlers at /var/task, "
          "Lambda's environment for that layout; its Python: "
       << m.layer_python << "\n";
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
       << " starts** per runtime, the kinds interleaved, each turn starting one kind later than the last (`python2.7 "
          "-c pass`: spawn → exit). Echo events "
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

}  // namespace lambda_py27_bench::harness
