// Throughput of the pre-forked pool (AWS_LAMBDA_MAX_CONCURRENCY = N) against one process, through the
// emulator and the real bootstrap: N client threads keep N invocations in flight; the baseline is one
// process with one client (what the legacy runtime allows). Prints invocations/s and the ratio.
//
//   concurrency_bench [--invocations K] [--processes N[,N...]]
//
// Handlers: `blocking` sleeps 5 ms (I/O-bound work: the GIL is released, so processes overlap whatever
// the cores), `cpu` spins in Python for about 5 ms (bound by the cores the machine gives).
#include <lambda_py27/testing/emulator.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

constexpr const char* handler_source = R"PY(import os
import time


def blocking(event, context):
    time.sleep(0.005)
    return {'pid': os.getpid()}


def cpu(event, context):
    x = 0
    for i in xrange(event['loops']):
        x += i * i
    return {'pid': os.getpid()}
)PY";

fs::path executable_dir() {
    std::error_code ec;
    const auto self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::current_path() : self.parent_path();
}

struct result {
    double per_second = 0;
    int failures = 0;
};

result measure(const fs::path& task_root, const std::string& handler, const std::string& event, unsigned processes,
               int invocations) {
    lambda_py27::testing::emulator_options o;
    o.runtime_command = {(executable_dir() / "lambda-py27-bootstrap").string()};
    o.invoke_port = 0;
    o.task_root = task_root.string();
    o.handler = "bench_handlers." + handler;
    o.max_concurrency = processes;
    o.environment["PYTHONDONTWRITEBYTECODE"] = "1";
    std::ostringstream sink;
    o.report = &sink;
    lambda_py27::testing::emulator emu(std::move(o));
    emu.start();
    const auto port = emu.invoke_port();

    // Warm-up: start the runtime and let every process serve once.
    std::vector<std::thread> warm;
    for (unsigned c = 0; c < processes; ++c)
        warm.emplace_back([&] {
            for (int i = 0; i < 5; ++i) lambda_py27::testing::invoke("127.0.0.1", port, event);
        });
    for (auto& t : warm) t.join();

    std::atomic<int> next{0};
    std::atomic<int> failures{0};
    const auto start = clock_type::now();
    std::vector<std::thread> clients;
    for (unsigned c = 0; c < processes; ++c)
        clients.emplace_back([&] {
            while (next.fetch_add(1) < invocations)
                if (lambda_py27::testing::invoke("127.0.0.1", port, event).status != 200) ++failures;
        });
    for (auto& t : clients) t.join();
    const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    return {invocations / seconds, failures.load()};
}

std::vector<unsigned> parse_list(const std::string& text) {
    std::vector<unsigned> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) out.push_back(static_cast<unsigned>(std::stoul(item)));
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    int invocations = 600;
    std::vector<unsigned> pools = {2, 4};
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string name = argv[i];
        if (name == "--invocations")
            invocations = std::atoi(argv[i + 1]);
        else if (name == "--processes")
            pools = parse_list(argv[i + 1]);
        else {
            std::fprintf(stderr, "usage: concurrency_bench [--invocations K] [--processes N[,N...]]\n");
            return 2;
        }
    }
    const fs::path root = fs::temp_directory_path() / ("lp27-concurrency-bench-" + std::to_string(::getpid()));
    fs::create_directories(root);
    std::ofstream(root / "bench_handlers.py") << handler_source;

    // Calibrate the CPU handler to about 5 ms of Python work per invocation on this machine.
    const std::string cpu_event = R"({"loops": 60000})";
    std::printf("cores: %u, invocations per run: %d\n\n", std::thread::hardware_concurrency(), invocations);
    std::printf("| handler | processes | invocations/s | × one process | failures |\n|---|---:|---:|---:|---:|\n");
    for (const auto& [handler, event] : {std::pair<std::string, std::string>{"blocking", "{}"}, {"cpu", cpu_event}}) {
        const auto base = measure(root, handler, event, 1, invocations);
        std::printf("| %s | 1 | %.0f | 1.00× | %d |\n", handler.c_str(), base.per_second, base.failures);
        for (const unsigned n : pools) {
            const auto r = measure(root, handler, event, n, invocations);
            std::printf("| %s | %u | %.0f | %.2f× | %d |\n", handler.c_str(), n, r.per_second,
                        r.per_second / base.per_second, r.failures);
        }
        std::fflush(stdout);
    }
    std::error_code ec;
    fs::remove_all(root, ec);
    return 0;
}
