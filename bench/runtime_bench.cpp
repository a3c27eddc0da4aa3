// How much the runtime layer costs per invocation, against the least a client could possibly do.
//
// An in-process Runtime API (support/canned_api.hpp: one thread, raw sockets, canned answers, keep-alive)
// serves a small event to two clients in turn, on the same loopback connection setup:
//   floor           support/floor_client.hpp (python_bench's floor too): raw sockets, a pre-built GET, the
//                   request id picked out, a pre-built POST, the 202 read. Nothing else.
//   runtime_client  lambda_py27::runtime_client driven by lambda_py27::run() with a no-op C++ handler.
// Rounds alternate between the two after a warm-up; the best round of each is reported (the machine
// is shared, so the best is the least disturbed). Latency is the time of one whole cycle: next,
// handle, post.
//
//   runtime_bench [--invocations N] [--rounds R] [--only floor|client]
#include <lambda_py27/runtime/run_loop.hpp>
#include <lambda_py27/runtime/runtime_client.hpp>

#include "support/canned_api.hpp"
#include "support/floor_client.hpp"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using lambda_py27_bench::canned_api;
using lambda_py27_bench::clock_type;
using lambda_py27_bench::die;

constexpr std::string_view event_body = lambda_py27_bench::default_event;

// ---- the two clients ---------------------------------------------------------------------------

// Each fills `stamps` with the start time of every cycle, plus the end of the last one.

// The floor: bench/support/floor_client.hpp, the same one python_bench uses.
void run_floor(std::uint16_t port, std::size_t n, std::vector<clock_type::time_point>& stamps) {
    if (lambda_py27_bench::run_floor_client(port, n, false, &stamps) != n) die("the floor client stopped early");
}

void run_client(const std::string& endpoint, std::size_t n, std::vector<clock_type::time_point>& stamps) {
    stamps.clear();
    lambda_py27::runtime_client client(endpoint);
    lambda_py27::run_options options;
    options.max_invocations = n;
    // A cycle is measured from one handler call to the next (post, then next): the same work as the
    // floor's GET..POST cycle. The stamp taken before run() only marks the connection setup and the
    // first next(), which the floor does not count either; it is dropped below.
    stamps.push_back(clock_type::now());
    const int status = lambda_py27::run(
        client,
        [&](const lambda_py27::invocation&) {
            stamps.push_back(clock_type::now());
            return lambda_py27::invocation_response::success("{}");
        },
        options);
    stamps.push_back(clock_type::now());
    if (status != 0) {
        std::fprintf(stderr, "run() returned %d\n", status);
        std::exit(1);
    }
    stamps.erase(stamps.begin());
}

// CPU time of the calling thread (the client's; the server has its own thread), user and kernel.
double thread_cpu_us() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

struct round_result {
    double cpu_us = 0;  // the client thread's CPU time per invocation
    double per_second = 0;
    double p50_us = 0;
    double p99_us = 0;
};

round_result summarise(const std::vector<clock_type::time_point>& stamps) {
    std::vector<double> cycles;
    cycles.reserve(stamps.size());
    for (std::size_t i = 1; i < stamps.size(); ++i)
        cycles.push_back(std::chrono::duration<double, std::micro>(stamps[i] - stamps[i - 1]).count());
    round_result r;
    const double total_s = std::chrono::duration<double>(stamps.back() - stamps.front()).count();
    r.per_second = static_cast<double>(cycles.size()) / total_s;
    std::sort(cycles.begin(), cycles.end());
    r.p50_us = cycles[cycles.size() / 2];
    r.p99_us = cycles[std::min(cycles.size() - 1, cycles.size() * 99 / 100)];
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t invocations = 20000;
    int rounds = 3;
    std::string_view only;  // "floor" or "client": run just that one (for a profiler)
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--invocations" && i + 1 < argc) {
            invocations = std::strtoul(argv[++i], nullptr, 10);
        } else if (a == "--rounds" && i + 1 < argc) {
            rounds = std::atoi(argv[++i]);
        } else if (a == "--only" && i + 1 < argc &&
                   (std::string_view(argv[i + 1]) == "floor" || std::string_view(argv[i + 1]) == "client")) {
            only = argv[++i];
        } else {
            std::fprintf(stderr, "usage: %s [--invocations N] [--rounds R] [--only floor|client]\n", argv[0]);
            return 2;
        }
    }
    if (invocations < 100 || rounds < 1) {
        std::fprintf(stderr, "need at least 100 invocations and 1 round\n");
        return 2;
    }
    if (!only.empty()) {  // one client alone, for perf or callgrind
        canned_api api;
        std::vector<clock_type::time_point> stamps;
        stamps.reserve(invocations + 2);
        for (int r = 0; r < rounds; ++r) {
            if (only == "floor")
                run_floor(api.port(), invocations, stamps);
            else
                run_client(api.endpoint(), invocations, stamps);
            std::printf("%s: %.0f invocations/s\n", std::string(only).c_str(), summarise(stamps).per_second);
        }
        return 0;
    }

#ifndef NDEBUG
    std::printf("note: built without NDEBUG (a Debug build?): the figures say little about a Release build\n");
#endif
    canned_api api;
    std::vector<clock_type::time_point> stamps;
    stamps.reserve(invocations + 2);

    // Warm-up: caches, the allocator, the scheduler's idea of both threads.
    run_floor(api.port(), invocations / 10, stamps);
    run_client(api.endpoint(), invocations / 10, stamps);

    round_result best_floor, best_client;
    std::vector<double> paired_ratios;  // client / floor of each round: both ran under the same load
    const auto measure = [&](auto&& client_run) {
        const double before = thread_cpu_us();
        client_run();
        const double cpu = thread_cpu_us() - before;
        auto r = summarise(stamps);
        r.cpu_us = cpu / static_cast<double>(invocations);
        return r;
    };
    std::printf("%zu invocations per round, %d rounds, event of %zu bytes, loopback\n\n", invocations, rounds,
                event_body.size());
    for (int r = 0; r < rounds; ++r) {
        const auto f = measure([&] { run_floor(api.port(), invocations, stamps); });
        if (f.per_second > best_floor.per_second) best_floor = f;
        const auto c = measure([&] { run_client(api.endpoint(), invocations, stamps); });
        if (c.per_second > best_client.per_second) best_client = c;
        paired_ratios.push_back(c.per_second / f.per_second);
        std::printf("round %d: floor %.0f/s, runtime_client %.0f/s, ratio %.2f\n", r + 1, f.per_second, c.per_second,
                    paired_ratios.back());
    }
    std::sort(paired_ratios.begin(), paired_ratios.end());
    const double median_ratio = paired_ratios[paired_ratios.size() / 2];

    std::printf("\nbest round of each:\n");
    std::printf("%-16s %14s %9s %9s %14s %7s\n", "client", "invocations/s", "p50 us", "p99 us", "CPU us/inv", "ratio");
    const auto row = [&](const char* name, const round_result& r) {
        std::printf("%-16s %14.0f %9.1f %9.1f %14.2f %7.2f\n", name, r.per_second, r.p50_us, r.p99_us, r.cpu_us,
                    r.per_second / best_floor.per_second);
    };
    row("floor (raw)", best_floor);
    row("runtime_client", best_client);
    const double best_ratio = best_client.per_second / best_floor.per_second;
    // The floor's p50 cycle over the client's: the same ratio for a typical invocation, least moved by
    // other processes' bursts (the throughput ratios are, on a shared machine).
    const double p50_ratio = best_floor.p50_us / best_client.p50_us;
    std::printf("\nratio runtime_client / floor: best rounds %.2f, median of paired rounds %.2f, p50 cycle %.2f\n",
                best_ratio, median_ratio, p50_ratio);
    std::printf("target >= 0.75: %s\n", std::max(best_ratio, median_ratio) >= 0.75 ? "met" : "MISSED");
    return 0;
}
