// python_bench: the command line, the events and the rows.
#include "python_bench.hpp"

#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string_view>

namespace lambda_py27_bench::harness {

namespace {

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

}  // namespace

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
        } else if (a == "--cold-only") {
            cfg.cold_only = true;
        } else if (a == "--cold-also") {
            cfg.cold_also.push_back(value());
        } else if (a == "--bootstrap") {
            cfg.bootstrap = value();
        } else if (a == "--python") {
            cfg.python = value();
        } else if (a == "--layer") {
            cfg.layer = value();
        } else if (a == "--cpu") {
            cfg.cpu = value();
        } else if (a == "--list") {
            list = true;
        } else {
            std::fprintf(
                stderr,
                "usage: %s [--quick] [--rounds R] [--starts S] [--long N] [--results DIR] [--no-write]\n"
                "          [--only KEY,KEY...] [--wrap \"CMD ARGS\"] [--list] [--bootstrap PATH] [--python PATH]\n"
                "          [--cpu N|auto|none] [--layer ZIP] [--cold-only] [--cold-also PATH]...\n",
                argv[0]);
            return 2;
        }
    }
    if (cfg.quick) {
        if (!rounds_set) cfg.rounds = 1;
        if (!starts_set) cfg.starts = 10;
        if (!long_set) cfg.long_run = 20000;
    }
    if (!cfg.only.empty() || !cfg.wrap.empty() || cfg.cold_only) cfg.write = false;
    if (cfg.bootstrap.empty() || cfg.python.empty()) {
        std::fprintf(stderr, "python_bench: no bootstrap or python2.7 known (--bootstrap, --python)\n");
        return 2;
    }
    return 0;
}

/// The events of the rows, from the no-op one to 6 MB, and the API Gateway proxy event.
std::vector<event_kind> make_events(const config& cfg) {
    std::vector<event_kind> events = {
        {"small", std::to_string(default_event.size()) + " B", default_event.size(), std::string(default_event)},
        {"1k", "1 KB", 1024, {}},
        {"100k", "100 KB", 100 * 1024, {}},
        {"1m", "1 MB", 1024 * 1024, {}},
        {"6m", "6 MB", 6 * 1024 * 1024, {}},
    };
    for (auto& e : events)
        if (e.body.empty()) e.body = make_event(e.bytes);
    const fs::path proxy = cfg.source / "events" / "api_gateway_proxy.json";
    std::string body = read_file(proxy);
    while (!body.empty() && body.back() == '\n') body.pop_back();
    if (body.empty()) {
        std::fprintf(stderr, "python_bench: %s is missing or empty\n", proxy.c_str());
        std::exit(2);
    }
    events.push_back({"apigw", fmt("%.1f KB", static_cast<double>(body.size()) / 1024.0), body.size(), body});
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
        {"small", {5000, 1000}}, {"1k", {5000, 1000}}, {"100k", {500, 100}},
        {"1m", {60, 15}},        {"6m", {12, 5}},      {"apigw", {5000, 1000}}};
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
    // The same with the legacy logging handler's Python methods (what the built-in ones are measured against).
    add("boot-log-py-logging", kind::bootstrap, "log_handler.handler",
        "logging.warning (" + ev("small")->label + " event), LAMBDA_PY27_NATIVE_LOGGING=0", "small", false,
        "floor-noop", "plain-log");
    rows.back().extra_env = {"LAMBDA_PY27_NATIVE_LOGGING=0"};
    // The API Gateway handler: the build tree's bootstrap, the layer as deployed (without and with the fast
    // JSON converters), the plain loop. Its answers are ~450 bytes; an error status answers ~100.
    const std::string api = "API Gateway handler (" + ev("apigw")->label + " proxy event)";
    add("boot-apigw", kind::bootstrap, "api_gateway.handler", api, "apigw", false, "floor-echo-1k", "plain-apigw");
    add("layer-apigw", kind::layer, "api_gateway.handler", api, "apigw", false, "floor-echo-1k", "plain-apigw");
    add("layer-apigw-fast-json", kind::layer, "api_gateway.handler", api + ", LAMBDA_PY27_FAST_JSON=1", "apigw", false,
        "floor-echo-1k", "plain-apigw");
    rows.back().extra_env = {"LAMBDA_PY27_FAST_JSON=1"};
    add("layer-apigw-fast-json-py-logging", kind::layer, "api_gateway.handler",
        api + ", LAMBDA_PY27_FAST_JSON=1 LAMBDA_PY27_NATIVE_LOGGING=0", "apigw", false, "floor-echo-1k", "plain-apigw");
    rows.back().extra_env = {"LAMBDA_PY27_FAST_JSON=1", "LAMBDA_PY27_NATIVE_LOGGING=0"};
    add("plain-noop", kind::plain, "noop.handler", "no-op (" + ev("small")->label + " event)", "small", false,
        "floor-noop", "plain-noop");
    for (const auto& size : echo_sizes)
        add("plain-echo-" + size, kind::plain, "echo.handler", "echo " + ev(size)->label, size, true,
            "floor-echo-" + size, "plain-echo-" + size);
    add("plain-log", kind::plain, "log_handler.handler", "logging.warning (" + ev("small")->label + " event)", "small",
        false, "floor-noop", "plain-log");
    add("plain-apigw", kind::plain, "api_gateway.handler", api, "apigw", false, "floor-echo-1k", "plain-apigw");
    for (auto& r : rows)
        if (r.handler == "api_gateway.handler") r.min_answer_bytes = 300;
    return rows;
}

}  // namespace lambda_py27_bench::harness
