// How much the runtime layer costs per invocation, against the least a client could possibly do.
//
// An in-process Runtime API (support/canned_api.hpp: one thread, raw sockets, canned answers, keep-alive)
// serves a small event to two clients in turn, on the same loopback connection setup:
//   floor           raw sockets: send a pre-built GET, read until the body is complete, pick out the
//                   request id, send a pre-built POST with it, read the 202. Nothing else.
//   runtime_client  lambda_py27::runtime_client driven by lambda_py27::run() with a no-op C++ handler.
// Rounds alternate between the two after a warm-up; the best round of each is reported (the machine
// is shared, so the best is the least disturbed). Latency is the time of one whole cycle: next,
// handle, post.
//
//   runtime_bench [--invocations N] [--rounds R] [--only floor|client]
#include <lambda_py27/runtime/run_loop.hpp>
#include <lambda_py27/runtime/runtime_client.hpp>

#include "support/canned_api.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
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
using lambda_py27_bench::complete_message;
using lambda_py27_bench::die;
using lambda_py27_bench::send_all;
using lambda_py27_bench::set_nodelay;

constexpr std::string_view request_id = lambda_py27_bench::default_request_id;
constexpr std::string_view event_body = lambda_py27_bench::default_event;

// ---- the two clients ---------------------------------------------------------------------------

// Each fills `stamps` with the start time of every cycle, plus the end of the last one.

void run_floor(std::uint16_t port, std::size_t n, std::vector<clock_type::time_point>& stamps) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect");
    set_nodelay(fd);

    const std::string host = "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
    const std::string get = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n" + host + "\r\n";
    const std::string post_prefix = "POST /2018-06-01/runtime/invocation/";
    std::string post = post_prefix + std::string(request_id) + "/response HTTP/1.1\r\n" + host +
                       "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    constexpr std::string_view id_header = "Lambda-Runtime-Aws-Request-Id: ";

    char buf[16 * 1024];
    const auto read_message = [&]() -> std::size_t {
        std::size_t have = 0, len;
        while ((len = complete_message(buf, have)) == 0) {
            const ssize_t r = ::recv(fd, buf + have, sizeof buf - have, 0);
            if (r <= 0) die("recv");
            have += static_cast<std::size_t>(r);
        }
        return len;
    };

    stamps.clear();
    for (std::size_t i = 0; i < n; ++i) {
        stamps.push_back(clock_type::now());
        if (!send_all(fd, get.data(), get.size())) die("send");
        const std::size_t len = read_message();
        const std::string_view answer(buf, len);
        const auto at = answer.find(id_header);
        if (at == std::string_view::npos) die("no request id");
        const auto id_start = at + id_header.size();
        const auto id = answer.substr(id_start, answer.find("\r\n", id_start) - id_start);
        if (id.size() != request_id.size()) die("request id of unexpected length");
        std::memcpy(post.data() + post_prefix.size(), id.data(), id.size());
        if (!send_all(fd, post.data(), post.size())) die("send");
        read_message();
    }
    stamps.push_back(clock_type::now());
    ::close(fd);
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
        } else if (a == "--only" && i + 1 < argc && (std::string_view(argv[i + 1]) == "floor" ||
                                                     std::string_view(argv[i + 1]) == "client")) {
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
    std::printf("%-16s %14s %9s %9s %14s %7s\n", "client", "invocations/s", "p50 us", "p99 us", "CPU us/inv",
                "ratio");
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
