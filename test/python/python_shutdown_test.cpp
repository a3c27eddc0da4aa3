// Graceful shutdown (LAMBDA_PY27_GRACEFUL_SHUTDOWN=1): the internal no-op extension, SIGTERM while the
// loop waits in /next and while a handler runs, the hooks' order, the budget; and the emulator's side of
// it (Extensions API, SIGTERM then SIGKILL at stop, nothing changed for runtimes without an extension).
#include <lambda_py27/testing/emulator.hpp>

#include "support/bootstrap_process.hpp"
#include "support/fake_runtime_api.hpp"
#include "support/raw_http.hpp"
#include "support/served_function.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <cerrno>
#include <chrono>
#include <future>
#include <regex>
#include <sstream>

#include <signal.h>
#include <unistd.h>

namespace json = boost::json;
using lambda_py27::test_support::answer;
using lambda_py27::test_support::bootstrap_process;
using lambda_py27::test_support::data_dir;
using lambda_py27::test_support::fake_runtime_api;
using lambda_py27::test_support::slurp;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

const std::map<std::string, std::string> graceful = {{"LAMBDA_PY27_GRACEFUL_SHUTDOWN", "1"}};

std::string handlers() { return data_dir() + "/handlers"; }

std::string temp_log() {
    static int counter = 0;
    return ::testing::TempDir() + "/lp27_shutdown_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
}

long elapsed_ms(steady::time_point since) {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - since).count());
}

// An emulator whose runtime is the bootstrap (child mode), its output in a log file.
struct emulated {
    explicit emulated(const std::string& handler, std::map<std::string, std::string> env = {},
                      std::chrono::milliseconds timeout = 20s)
        : log(temp_log()) {
        lambda_py27::testing::emulator_options o;
        o.runtime_command = {"/bin/sh", "-c", "exec \"$0\" \"$@\" >>\"$LP27_TEST_LOG\" 2>&1",
                             std::string(LAMBDA_PY27_BIN_DIR) + "/lambda-py27-bootstrap"};
        o.environment = std::move(env);
        o.environment["LP27_TEST_LOG"] = log;
        o.environment["PYTHONDONTWRITEBYTECODE"] = "1";
        o.invoke_port = 0;
        o.task_root = handlers();
        o.handler = handler;
        o.timeout = timeout;
        o.report = &report;
        emu = std::make_unique<lambda_py27::testing::emulator>(std::move(o));
        emu->start();
    }
    ~emulated() { ::unlink(log.c_str()); }

    lambda_py27::testing::invoke_result invoke(const std::string& event = "{}") {
        return lambda_py27::testing::invoke("127.0.0.1", emu->invoke_port(), event);
    }
    std::string text() const { return slurp(log); }
    bool wait_for_log(const std::string& what, std::chrono::milliseconds limit = 20s) const {
        const auto until = steady::now() + limit;
        while (text().find(what) == std::string::npos) {
            if (steady::now() >= until) return false;
            std::this_thread::sleep_for(2ms);
        }
        return true;
    }

    std::string log;
    std::ostringstream report;
    std::unique_ptr<lambda_py27::testing::emulator> emu;
};

// An emulator with no runtime of its own: the test starts the bootstrap and sees its exit status.
struct external_emulator {
    external_emulator() {
        lambda_py27::testing::emulator_options o;
        o.invoke_port = 0;
        o.timeout = 20s;
        o.report = &report;
        emu = std::make_unique<lambda_py27::testing::emulator>(std::move(o));
        emu->start();
    }
    lambda_py27::testing::invoke_result invoke(const std::string& event = "{}") {
        return lambda_py27::testing::invoke("127.0.0.1", emu->invoke_port(), event);
    }
    std::ostringstream report;
    std::unique_ptr<lambda_py27::testing::emulator> emu;
};

struct http_answer {
    unsigned status = 0;
    std::string body, extension_id;
};

// One raw request to the emulator's Runtime API port.
http_answer call_api(const std::string& endpoint, boost::beast::http::verb verb, const std::string& target,
                     const std::map<std::string, std::string>& headers, const std::string& body = {}) {
    const auto res = lambda_py27::test_support::raw_request(endpoint, verb, target, body, headers);
    return {res.status, res.body, std::string(res.headers["Lambda-Extension-Identifier"])};
}

pid_t pid_in(const std::string& text, const std::string& prefix) {
    std::smatch m;
    if (!std::regex_search(text, m, std::regex(prefix + " (\\d+)"))) return -1;
    return static_cast<pid_t>(std::stol(m[1]));
}

bool process_gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

const std::string hooks_log =
    "atexit second registered ran first\n"
    "atexit first registered ran last\n";

}  // namespace

// ---- the runtime ----------------------------------------------------------------------------------

TEST(GracefulShutdown, RunsShutdownThenAtexitOnSigtermWhileWaitingForTheNextEventAndExitsZero) {
    external_emulator api;
    bootstrap_process rt(api.emu->runtime_api_endpoint(), "shutdown_hooks.handler", handlers(), graceful);
    const auto r = api.invoke();
    ASSERT_EQ(r.status, 200) << r.body << rt.log();
    const pid_t pid = static_cast<pid_t>(std::stol(r.body));
    ASSERT_EQ(pid, rt.pid());
    std::this_thread::sleep_for(50ms);  // back in GET /next, GIL released
    const auto start = steady::now();
    ASSERT_EQ(::kill(pid, SIGTERM), 0);
    EXPECT_EQ(rt.wait_exit(2s), 0) << rt.log();
    EXPECT_LT(elapsed_ms(start), 500);  // within the budget of a runtime with an internal extension
    EXPECT_EQ(rt.log(), "shutdown hook ran in pid " + std::to_string(pid) + "\n" + hooks_log);
}

TEST(GracefulShutdown, RegistersTheNoOpExtensionBeforeTheFirstNext) {
    fake_runtime_api api;
    api.then(answer::http(200, R"({"functionName": "f", "functionVersion": "$LATEST", "handler": "h"})",
                          {{"Lambda-Extension-Identifier", "ext-1"}}, "OK"));
    // The extension's /event/next and the runtime's /next come on two connections; the fake API serves one
    // connection at a time, so what it reads second depends on which connects first. Both are recorded.
    bootstrap_process rt(api.endpoint(), "shutdown_hooks.handler", handlers(), graceful);
    const auto until = steady::now() + 10s;
    while (api.request_count() < 2 && steady::now() < until) std::this_thread::sleep_for(2ms);
    const auto reqs = api.requests();
    ASSERT_GE(reqs.size(), 2u) << rt.log();
    EXPECT_EQ(reqs[0].method + " " + reqs[0].target, "POST /2020-01-01/extension/register");
    EXPECT_EQ(reqs[0].header("Lambda-Extension-Name"), "lambda-py27-graceful-shutdown");
    EXPECT_EQ(json::parse(reqs[0].body), json::parse(R"({"events": []})"));
    std::vector<std::string> rest;
    for (std::size_t i = 1; i < reqs.size(); ++i) rest.push_back(reqs[i].method + " " + reqs[i].target);
    EXPECT_NE(std::find(rest.begin(), rest.end(), "GET /2018-06-01/runtime/invocation/next"), rest.end());
    // The script has no answer for the runtime's /next: 500, and the runtime exits as the API asks.
    EXPECT_EQ(rt.wait_exit(5s), 3) << rt.log();
}

TEST(GracefulShutdown, RunsTheHooksWhenSigtermArrivesWhileAHandlerSleeps) {
    emulated fn("shutdown_hooks.sleep", graceful);
    auto pending = std::async(std::launch::async, [&] { return fn.invoke(R"({"seconds": 30})"); });
    ASSERT_TRUE(fn.wait_for_log("sleeping in pid")) << fn.text();
    const pid_t pid = pid_in(fn.text(), "sleeping in pid");
    const auto start = steady::now();
    ASSERT_EQ(::kill(pid, SIGTERM), 0);
    const auto r = pending.get();
    EXPECT_LT(elapsed_ms(start), 500);
    // The invocation is left unanswered; the process exits with 0, as the platform then reports.
    EXPECT_EQ(r.status, 502);
    EXPECT_NE(r.body.find("Runtime exited without providing a reason"), std::string::npos) << r.body;
    EXPECT_EQ(fn.text(), "sleeping in pid " + std::to_string(pid) + "\nshutdown hook ran in pid " +
                             std::to_string(pid) + "\n" + hooks_log);
}

TEST(GracefulShutdown, RunsTheHooksWhenSigtermArrivesWhileAHandlerComputes) {
    // CPU-bound Python code hands the GIL over every few bytecodes, so the hooks still get it.
    emulated fn("shutdown_hooks.spin", graceful);
    auto pending = std::async(std::launch::async, [&] { return fn.invoke(R"({"seconds": 30})"); });
    ASSERT_TRUE(fn.wait_for_log("spinning in pid")) << fn.text();
    const pid_t pid = pid_in(fn.text(), "spinning in pid");
    const auto start = steady::now();
    ASSERT_EQ(::kill(pid, SIGTERM), 0);
    const auto r = pending.get();
    EXPECT_LT(elapsed_ms(start), 500);
    EXPECT_NE(r.body.find("Runtime exited without providing a reason"), std::string::npos) << r.body;
    EXPECT_EQ(fn.text(), "spinning in pid " + std::to_string(pid) + "\nshutdown hook ran in pid " +
                             std::to_string(pid) + "\n" + hooks_log);
}

TEST(GracefulShutdown, AForkedChildGetsSigtermAsUsualWithoutEndingTheRuntime) {
    external_emulator api;
    bootstrap_process rt(api.emu->runtime_api_endpoint(), "shutdown_hooks.fork_child", handlers(), graceful);
    const std::string expected = "[true, " + std::to_string(rt.pid()) + "]";
    EXPECT_EQ(api.invoke().body, expected) << rt.log();
    EXPECT_EQ(api.invoke().body, expected) << rt.log();  // still the same process
    EXPECT_EQ(rt.log(), "");
}

TEST(GracefulShutdown, AFailingHookIsLoggedAndTheOthersStillRun) {
    external_emulator api;
    bootstrap_process rt(api.emu->runtime_api_endpoint(), "shutdown_failing.handler", handlers(), graceful);
    ASSERT_EQ(api.invoke().body, "\"ok\"");
    ::kill(rt.pid(), SIGTERM);
    EXPECT_EQ(rt.wait_exit(2s), 0);
    const std::string log = rt.log();
    EXPECT_NE(log.find("Traceback (most recent call last):\n"), std::string::npos) << log;
    EXPECT_NE(log.find("RuntimeError: shutdown hook failed\natexit ran after a failing shutdown hook\n"),
              std::string::npos)
        << log;
}

TEST(GracefulShutdown, CallsASigtermHandlerTheFunctionInstalledFirst) {
    external_emulator api;
    bootstrap_process rt(api.emu->runtime_api_endpoint(), "sigterm_own.handler", handlers(), graceful);
    ASSERT_EQ(api.invoke().body, "\"ok\"");
    ::kill(rt.pid(), SIGTERM);
    EXPECT_EQ(rt.wait_exit(2s), 0);
    EXPECT_EQ(rt.log(), "own SIGTERM handler ran\nshutdown hook ran\n");
}

TEST(GracefulShutdown, RefusesAnUnknownSettingAsAnInitError) {
    fake_runtime_api api;
    api.then(answer::accepted());
    bootstrap_process rt(api.endpoint(), "shutdown_hooks.handler", handlers(),
                         {{"LAMBDA_PY27_GRACEFUL_SHUTDOWN", "please"}});
    EXPECT_EQ(rt.wait_exit(), 2);
    const auto reqs = api.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].target, "/2018-06-01/runtime/init/error");
    EXPECT_EQ(reqs[0].header("Lambda-Runtime-Function-Error-Type"), "Runtime.InvalidConfiguration");
}

TEST(GracefulShutdown, IsOffByDefaultSoSigtermEndsTheRuntimeAsBefore) {
    external_emulator api;
    bootstrap_process rt(api.emu->runtime_api_endpoint(), "shutdown_hooks.handler", handlers());
    ASSERT_EQ(api.invoke().status, 200);
    ::kill(rt.pid(), SIGTERM);
    EXPECT_EQ(rt.wait_exit(2s), 128 + SIGTERM);
    EXPECT_EQ(rt.log(), "");
}

// ---- the emulator ---------------------------------------------------------------------------------

TEST(EmulatorShutdown, SendsSigtermToARuntimeWithAnExtensionAndLetsItFinish) {
    auto fn = std::make_unique<emulated>("shutdown_hooks.handler", graceful);
    const auto r = fn->invoke();
    ASSERT_EQ(r.status, 200) << r.body;
    const pid_t pid = static_cast<pid_t>(std::stol(r.body));
    const auto start = steady::now();
    fn->emu->stop();
    EXPECT_LT(elapsed_ms(start), 500);
    EXPECT_TRUE(process_gone(pid));
    EXPECT_EQ(fn->text(), "shutdown hook ran in pid " + std::to_string(pid) + "\n" + hooks_log);
}

TEST(EmulatorShutdown, KillsARuntimeWhoseHooksOverrunTheBudget) {
    emulated fn("slow_shutdown.handler", graceful);
    ASSERT_EQ(fn.invoke().body, "\"ok\"");
    const auto start = steady::now();
    fn.emu->stop();
    const long took = elapsed_ms(start);
    EXPECT_GE(took, 450);
    EXPECT_LT(took, 2000);
    EXPECT_EQ(fn.text(), "slow shutdown started\n");
}

TEST(EmulatorShutdown, KillsARuntimeWithoutAnExtensionAtOnce) {
    emulated fn("sigterm_own.handler");  // would log its own SIGTERM handler, were SIGTERM sent
    ASSERT_EQ(fn.invoke().body, "\"ok\"");
    const auto start = steady::now();
    fn.emu->stop();
    EXPECT_LT(elapsed_ms(start), 300);
    EXPECT_EQ(fn.text(), "");
}

TEST(EmulatorShutdown, ServesTheExtensionsApiAsAnInternalExtensionUsesIt) {
    external_emulator api;
    const auto endpoint = api.emu->runtime_api_endpoint();
    namespace http = boost::beast::http;
    const auto reg = call_api(endpoint, http::verb::post, "/2020-01-01/extension/register",
                              {{"Lambda-Extension-Name", "probe"}}, R"({"events": []})");
    EXPECT_EQ(reg.status, 200u);
    EXPECT_EQ(reg.extension_id.size(), 36u);
    EXPECT_EQ(json::parse(reg.body),
              json::parse(R"({"functionName": "test_function", "functionVersion": "$LATEST", "handler": ""})"));
    const auto unnamed =
        call_api(endpoint, http::verb::post, "/2020-01-01/extension/register", {}, R"({"events": []})");
    EXPECT_EQ(unnamed.status, 400u);
    EXPECT_EQ(json::parse(unnamed.body).at("errorType"), "InvalidRequest");
    const auto unknown = call_api(endpoint, http::verb::get, "/2020-01-01/extension/nope", {});
    EXPECT_EQ(unknown.status, 404u);
}

TEST(EmulatorShutdown, RefusesARegistrationAfterInitAndAnUnknownExtensionIdentifier) {
    emulated fn("shutdown_hooks.handler");
    ASSERT_EQ(fn.invoke().status, 200);  // the runtime is past its first /next
    namespace http = boost::beast::http;
    const auto endpoint = fn.emu->runtime_api_endpoint();
    const auto late = call_api(endpoint, http::verb::post, "/2020-01-01/extension/register",
                               {{"Lambda-Extension-Name", "late"}}, R"({"events": []})");
    EXPECT_EQ(late.status, 403u);
    EXPECT_EQ(json::parse(late.body).at("errorType"), "InvalidStateTransition");
    const auto stranger = call_api(endpoint, http::verb::get, "/2020-01-01/extension/event/next",
                                   {{"Lambda-Extension-Identifier", "00000000-0000-0000-0000-000000000000"}});
    EXPECT_EQ(stranger.status, 403u);
    EXPECT_EQ(json::parse(stranger.body).at("errorType"), "Extension.UnknownExtensionIdentifier");
}

TEST(EmulatorShutdown, TheCommandLineTakesTheBudgetInMilliseconds) {
    const auto status_of = [](std::vector<std::string> args) {
        args.insert(args.begin(), std::string(LAMBDA_PY27_BIN_DIR) + "/lambda-py27-emulator");
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        ::posix_spawn_file_actions_init(&actions);
        ::posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        ::posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
        pid_t pid = -1;
        const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
        ::posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) return -1;
        int st = 0;
        ::waitpid(pid, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    };
    EXPECT_EQ(status_of({"--shutdown-budget", "soon"}), 2);
    EXPECT_EQ(status_of({"--shutdown-budget", "70000"}), 2);
    EXPECT_EQ(status_of({"--shutdown-budget=250", "--help"}), 0);
}

// Not about shutdown, but the same child-process set-up: without AWS_LAMBDA_RUNTIME_API there is no API
// to report to, so the bootstrap says why on stderr and exits with the usage status, 2.
TEST(PythonBootstrap, WithoutTheRuntimeApiSaysSoAndExitsWithTheUsageStatus) {
    bootstrap_process rt("", "shutdown_hooks.handler", handlers());
    EXPECT_EQ(rt.wait_exit(), std::optional<int>(2));
    EXPECT_NE(rt.log().find("AWS_LAMBDA_RUNTIME_API is not set"), std::string::npos) << rt.log();
}
