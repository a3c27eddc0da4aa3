// Concurrency for Lambda Managed Instances: the emulator's --max-concurrency and the bootstrap's pre-forked
// pool of interpreter processes, through the real emulator, bootstrap and CPython.
#include <lambda_py27/testing/emulator.hpp>
#include "python/prefork.hpp"
#include "testing/process.hpp"

#include "support/scratch_dir.hpp"
#include "support/served_function.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using lambda_py27::test_support::bootstrap_path;
using lambda_py27::test_support::data_dir;
using lambda_py27::test_support::function_setup;
using lambda_py27::test_support::scratch_dir;
using lambda_py27::test_support::served_function;
using namespace std::chrono_literals;

std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// True when `pid` is gone: no such process, or a zombie nobody reaped yet.
bool process_gone(pid_t pid) {
    if (::kill(pid, 0) != 0) return true;
    const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    return close == std::string::npos || (close + 2 < stat.size() && stat[close + 2] == 'Z');
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = 10s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (condition()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return condition();
}

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
    return n;
}

long long pid_of(const boost::json::value& body) { return body.at("pid").as_int64(); }

// ---- AWS_LAMBDA_MAX_CONCURRENCY -------------------------------------------------------------------

TEST(Prefork, ThePoolSizeIsTheMaxConcurrencyWhenItIsAWholeNumberAboveOne) {
    const auto with = [](const char* value) {
        if (value == nullptr)
            ::unsetenv("AWS_LAMBDA_MAX_CONCURRENCY");
        else
            ::setenv("AWS_LAMBDA_MAX_CONCURRENCY", value, 1);
        return lambda_py27::python::detail::requested_processes();
    };
    EXPECT_EQ(with(nullptr), 1U);
    EXPECT_EQ(with(""), 1U);
    EXPECT_EQ(with("0"), 1U);
    EXPECT_EQ(with("1"), 1U);
    EXPECT_EQ(with("4"), 4U);
    EXPECT_EQ(with("-4"), 1U);
    EXPECT_EQ(with("4x"), 1U);
    EXPECT_EQ(with(" 4"), 1U);
    EXPECT_EQ(with("100000"), lambda_py27::python::detail::max_pool_processes);
    EXPECT_EQ(with("99999999999999999999999"), lambda_py27::python::detail::max_pool_processes);
    ::unsetenv("AWS_LAMBDA_MAX_CONCURRENCY");
}

// ---- load: none lost, none answered twice ------------------------------------------------------------

TEST(Prefork, TwoThousandConcurrentInvocationsAreEachAnsweredExactlyOnceByEveryProcess) {
    scratch_dir dir{"lp27-conc"};
    function_setup setup("concurrency.pid");
    setup.max_concurrency = 4;
    setup.log_file = dir.str() + "/runtime.log";
    served_function fn(setup);

    constexpr int clients = 4;
    constexpr int per_client = 500;
    std::mutex m;
    std::set<std::string> ids;
    std::map<long long, int> per_pid;
    std::vector<std::string> problems;
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            for (int i = 0; i < per_client; ++i) {
                const int n = c * per_client + i;
                const auto r = fn.invoke(R"({"n": )" + std::to_string(n) + "}");
                const auto body = served_function::parse(r.body);
                std::lock_guard lk(m);
                const auto header_id = r.headers.count("X-Amzn-RequestId") ? r.headers.at("X-Amzn-RequestId") : "";
                if (r.status != 200 || !body.is_object() || body.at("n") != n || body.at("id") != header_id.c_str()) {
                    problems.push_back(std::to_string(r.status) + " " + r.body);
                    continue;
                }
                if (!ids.insert(header_id).second) problems.push_back("request id seen twice: " + header_id);
                ++per_pid[pid_of(body)];
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_TRUE(problems.empty()) << problems.size() << " problems, first: " << problems.front();
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(clients * per_client));
    EXPECT_EQ(per_pid.size(), 4U) << "every process of the pool serves";
    const std::string report = fn.report();
    EXPECT_EQ(count_of(report, "START RequestId:"), static_cast<std::size_t>(clients * per_client));
    EXPECT_EQ(count_of(report, "END RequestId:"), static_cast<std::size_t>(clients * per_client));
    // Had a process answered an invocation twice, the API's 403 would be logged by the runtime.
    const std::string log = read_file(setup.log_file);
    EXPECT_EQ(log.find("refused"), std::string::npos) << log;
    EXPECT_EQ(log.find("failed"), std::string::npos) << log;
}

TEST(Prefork, EveryWorkerDrawsItsOwnRandomNumbers) {
    function_setup setup("concurrency.rand");
    setup.max_concurrency = 3;
    served_function fn(setup);
    std::mutex m;
    std::map<long long, double> first_draw;  // each process's first random.random()
    std::vector<std::thread> threads;
    for (int c = 0; c < 3; ++c) {
        threads.emplace_back([&] {
            for (int i = 0; i < 40; ++i) {
                const auto body = served_function::parse(fn.invoke("{}").body);
                if (!body.is_object()) continue;
                std::lock_guard lk(m);
                if (body.at("call") == 1) first_draw[pid_of(body)] = body.at("r").as_double();
            }
        });
    }
    for (auto& t : threads) t.join();
    ASSERT_GE(first_draw.size(), 2U);
    std::set<double> distinct;
    for (const auto& [pid, r] : first_draw) distinct.insert(r);
    EXPECT_EQ(distinct.size(), first_draw.size()) << "forked processes must not repeat one random sequence";
}

TEST(Prefork, AThreadAliveAfterInitKeepsOneProcessAndSaysWhy) {
    scratch_dir dir{"lp27-conc"};
    function_setup setup("concurrency_thread.pid");
    setup.max_concurrency = 3;
    setup.log_file = dir.str() + "/runtime.log";
    served_function fn(setup);
    std::set<long long> pids;
    for (int i = 0; i < 5; ++i) pids.insert(pid_of(served_function::parse(fn.invoke("{}").body)));
    EXPECT_EQ(pids.size(), 1U);
    EXPECT_NE(
        read_file(setup.log_file).find("threads run after init, and threads do not survive fork(): one process serves"),
        std::string::npos);
}

// ---- a worker that dies --------------------------------------------------------------------------------

// Invokes `crash` until a worker (not the parent) takes it; returns that answer. The parent is the
// process whose parent is the emulator, i.e. this test process.
lambda_py27::testing::invoke_result crash_a_worker(served_function& fn, const std::string& how,
                                                   std::set<long long>& pids_seen) {
    for (int i = 0; i < 200; ++i) {
        // Learn the pool's pids as we go; a worker is any pid whose parent is not this process.
        const auto probe = served_function::parse(fn.invoke("{}").body);
        if (!probe.is_object()) continue;
        const pid_t pid = static_cast<pid_t>(pid_of(probe));
        pids_seen.insert(pid);
        const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
        const auto close = stat.rfind(')');
        const long ppid = std::atol(stat.c_str() + close + 4);
        if (ppid == ::getpid()) continue;  // the parent answered
        // A worker answered; ask the worker with that pid (the event names it) to crash.
        for (int j = 0; j < 200; ++j) {
            auto r = fn.invoke(R"({"target": )" + std::to_string(pid) + ", " + how + "}");
            if (r.status != 200) return r;
        }
    }
    return {};
}

TEST(Prefork, AWorkerThatExitsEndsTheWholeRuntimeWithItsStatusAndTheNextInvokeGetsAFreshPool) {
    function_setup setup("concurrency.crash_target");
    setup.max_concurrency = 3;
    served_function fn(setup);
    std::set<long long> pids;
    const auto r = crash_a_worker(fn, R"("exit": 7)", pids);
    EXPECT_EQ(r.status, 502);
    EXPECT_NE(r.body.find("Runtime.ExitError"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("exit status 7"), std::string::npos) << r.body;
    for (const auto pid : pids) EXPECT_TRUE(eventually([&] { return process_gone(static_cast<pid_t>(pid)); })) << pid;
    const auto after = served_function::parse(fn.invoke("{}").body);
    ASSERT_TRUE(after.is_object());
    EXPECT_EQ(pids.count(pid_of(after)), 0U) << "a new runtime serves";
}

TEST(Prefork, AWorkerKilledByASignalEndsTheRuntimeByTheSameSignal) {
    function_setup setup("concurrency.crash_target");
    setup.max_concurrency = 2;
    served_function fn(setup);
    std::set<long long> pids;
    const auto r = crash_a_worker(fn, R"("signal": 9)", pids);
    EXPECT_EQ(r.status, 502);
    EXPECT_NE(r.body.find("signal: killed"), std::string::npos) << r.body;
    for (const auto pid : pids) EXPECT_TRUE(eventually([&] { return process_gone(static_cast<pid_t>(pid)); })) << pid;
}

// ---- SIGTERM ---------------------------------------------------------------------------------------------

// An external-runtime emulator and the bootstrap started by the test, so that the test knows its pid.
struct pool_under_test {
    lambda_py27::testing::emulator emu;
    pid_t parent = -1;

    static lambda_py27::testing::emulator_options options(unsigned n) {
        lambda_py27::testing::emulator_options o;
        o.invoke_port = 0;
        o.max_concurrency = n;
        o.timeout = 30s;
        static std::ostringstream sink;
        o.report = &sink;
        return o;
    }

    pool_under_test(unsigned n, const std::map<std::string, std::string>& extra) : emu(options(n)) {
        emu.start();
        lambda_py27::testing::detail::spawn_request req;
        req.argv = {bootstrap_path(), "concurrency.hold"};
        req.environment = lambda_py27::testing::detail::current_environment();
        req.environment.push_back("AWS_LAMBDA_RUNTIME_API=" + emu.runtime_api_endpoint());
        req.environment.push_back("AWS_LAMBDA_MAX_CONCURRENCY=" + std::to_string(n));
        req.environment.push_back("LAMBDA_TASK_ROOT=" + data_dir() + "/handlers");
        req.environment.push_back("PYTHONDONTWRITEBYTECODE=1");
        for (const auto& [k, v] : extra) req.environment.push_back(k + "=" + v);
        req.working_directory = data_dir() + "/handlers";
        int error = 0;
        parent = lambda_py27::testing::detail::spawn_process(req, error);
    }
    ~pool_under_test() {
        if (parent > 0 && ::kill(parent, 0) == 0) ::kill(parent, SIGKILL);
        reap();
        emu.stop();
    }
    int reap() {
        int status = 0;
        if (parent > 0 && ::waitpid(parent, &status, 0) == parent) parent = -1;
        return status;
    }
    // Sends `n` `hold` invocations on threads (each held until the gate file exists) and waits until
    // every process marked itself; returns the pids.
    std::vector<pid_t> occupy(unsigned n, const scratch_dir& dir, std::vector<std::thread>& threads) {
        for (unsigned i = 0; i < n; ++i) {
            threads.emplace_back([this, &dir] {
                try {
                    lambda_py27::testing::invoke("127.0.0.1", emu.invoke_port(), R"({"dir": ")" + dir.str() + R"("})",
                                                 {}, 30s);
                } catch (const std::exception&) {
                    // the emulator stopping under it
                }
            });
        }
        std::vector<pid_t> pids;
        eventually([&] {
            pids.clear();
            for (const auto& e : fs::directory_iterator(dir.path())) {
                const auto name = e.path().filename().string();
                if (name.rfind("pid-", 0) == 0) pids.push_back(std::stoi(name.substr(4)));
            }
            return pids.size() == n;
        });
        return pids;
    }
};

TEST(Prefork, SigtermToTheParentReachesEveryWorker) {
    scratch_dir dir{"lp27-conc"};
    scratch_dir term{"lp27-conc"};
    std::vector<std::thread> threads;
    {
        pool_under_test pool(3, {{"LP27_TEST_TERM_DIR", term.str()}});
        ASSERT_GT(pool.parent, 0);
        const auto pids = pool.occupy(3, dir, threads);
        ASSERT_EQ(pids.size(), 3U);
        EXPECT_EQ(std::count(pids.begin(), pids.end(), pool.parent), 1) << "the parent serves too";
        ::kill(pool.parent, SIGTERM);
        // Each process's own Python SIGTERM handler ran: the workers got the signal from the parent.
        for (const pid_t pid : pids)
            EXPECT_TRUE(eventually([&] { return fs::exists(term.path() / ("term-" + std::to_string(pid))); })) << pid;
        const int status = pool.reap();
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
        std::ofstream(dir.path() / "gate") << "open";
    }
    for (auto& t : threads) t.join();
}

// Graceful shutdown and the pool: the extension is registered before the forks and each process gets its
// SIGTERM thread after them, so the pool still forks; on SIGTERM every process runs its own hooks while
// its handler is busy, and the parent waits for the workers' hooks before it exits with 0.
TEST(Prefork, GracefulShutdownKeepsThePoolAndRunsEveryProcesssHooks) {
    scratch_dir dir{"lp27-conc"};
    scratch_dir hooks{"lp27-conc"};
    std::vector<std::thread> threads;
    {
        pool_under_test pool(3, {{"LAMBDA_PY27_GRACEFUL_SHUTDOWN", "1"}, {"LP27_TEST_SHUTDOWN_DIR", hooks.str()}});
        ASSERT_GT(pool.parent, 0);
        const auto pids = pool.occupy(3, dir, threads);
        ASSERT_EQ(pids.size(), 3U) << "the pool forked";
        EXPECT_EQ(std::count(pids.begin(), pids.end(), pool.parent), 1) << "the parent serves too";
        ::kill(pool.parent, SIGTERM);
        const int status = pool.reap();
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
        // The parent exited after every process's shutdown() had run.
        for (const pid_t pid : pids) EXPECT_TRUE(fs::exists(hooks.path() / ("shutdown-" + std::to_string(pid)))) << pid;
        for (const pid_t pid : pids) EXPECT_TRUE(eventually([&] { return process_gone(pid); })) << pid;
        std::ofstream(dir.path() / "gate") << "open";
    }
    for (auto& t : threads) t.join();
}

TEST(Prefork, SigtermWithTheDefaultDispositionEndsTheWorkersThenTheParentBySigterm) {
    scratch_dir dir{"lp27-conc"};
    std::vector<std::thread> threads;
    {
        pool_under_test pool(3, {});
        ASSERT_GT(pool.parent, 0);
        const auto pids = pool.occupy(3, dir, threads);
        ASSERT_EQ(pids.size(), 3U);
        ::kill(pool.parent, SIGTERM);
        const int status = pool.reap();
        EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
        for (const pid_t pid : pids) EXPECT_TRUE(eventually([&] { return process_gone(pid); })) << pid;
        std::ofstream(dir.path() / "gate") << "open";
    }
    for (auto& t : threads) t.join();
}

// ---- the emulator's concurrency ------------------------------------------------------------------------

TEST(EmulatorConcurrency, AnInvokeBeyondMaxConcurrencyGets429AndTheOthersComplete) {
    scratch_dir dir{"lp27-conc"};
    function_setup setup("concurrency.hold");
    setup.max_concurrency = 2;
    served_function fn(setup);
    std::vector<std::thread> threads;
    std::vector<int> statuses(2, 0);
    for (int i = 0; i < 2; ++i)
        threads.emplace_back([&, i] { statuses[i] = fn.invoke(R"({"dir": ")" + dir.str() + R"("})").status; });
    ASSERT_TRUE(
        eventually([&] { return std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 2; }));
    const auto third = fn.invoke(R"({"dir": ")" + dir.str() + R"("})");
    EXPECT_EQ(third.status, 429);
    EXPECT_NE(third.body.find("TooManyRequestsException"), std::string::npos);
    std::ofstream(dir.path() / "gate") << "open";
    for (auto& t : threads) t.join();
    EXPECT_EQ(statuses, (std::vector<int>{200, 200}));
}

TEST(EmulatorConcurrency, TheRuntimeGetsMaxConcurrencyOnlyWhenAboveOne) {
    for (const unsigned n : {1U, 3U}) {
        function_setup setup("concurrency.env");
        setup.max_concurrency = n;
        served_function fn(setup);
        const auto r = fn.invoke(R"({"name": "AWS_LAMBDA_MAX_CONCURRENCY"})");
        EXPECT_EQ(r.body, n == 1 ? "null" : "\"3\"") << n;
    }
}

}  // namespace
