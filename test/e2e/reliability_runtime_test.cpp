// Bad events, misbehaving handlers and dying runtimes, through every real part: the emulator, the Runtime
// API over sockets, the bootstrap as a child process, CPython 2.7 in it. Every invocation gets exactly one
// answer; a runtime that dies is reported as Runtime.ExitError and the next invoke gets a fresh one (a
// different pid), and one that survives keeps serving (the same pid).
//
// Handlers: test/data/reliability/rel.py. `rel.dispatch` runs the handler named by the event's "do", so
// one runtime can misbehave and then be probed with {"do": "pid"}.
#include <lambda_py27/testing/emulator.hpp>

#include "support/served_function.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <unistd.h>

namespace {

namespace json = boost::json;
using lambda_py27::test_support::data_dir;
using lambda_py27::test_support::function_setup;
using lambda_py27::test_support::served_function;
using namespace std::chrono_literals;

// Extra sanitizer options for the runtime child (ignored by builds without sanitizers): let a segfault be
// a segfault and a failed malloc return NULL, as they do in production.
std::string child_asan_options() {
    const char* current = std::getenv("ASAN_OPTIONS");
    std::string s = current != nullptr ? current : "";
    if (!s.empty()) s += ':';
    return s + "handle_segv=0:allocator_may_return_null=1";
}

function_setup reliability(const std::string& handler, const std::string& log_file = {}) {
    function_setup s{handler};
    s.task_root = data_dir() + "/reliability";
    s.environment["ASAN_OPTIONS"] = child_asan_options();
    s.log_file = log_file;
    return s;
}

std::string temp_path(const char* name) {
    return ::testing::TempDir() + "/lp27_rel_" + name + "_" + std::to_string(::getpid());
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

json::value parse(const std::string& body) { return served_function::parse(body); }

// The pid of the runtime that answers `{"do": "pid"}` (and fails the test if none does).
std::int64_t runtime_pid(served_function& fn) {
    const auto r = fn.invoke(R"({"do": "pid"})");
    EXPECT_EQ(r.status, 200) << r.body;
    const auto v = parse(r.body);
    if (!v.is_object() || !v.as_object().contains("pid")) {
        ADD_FAILURE() << "no pid in " << r.body;
        return -1;
    }
    return v.at("pid").as_int64();
}

json::value error_body(const lambda_py27::testing::invoke_result& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.function_error, "Unhandled") << r.body;
    return parse(r.body);
}

// ---- events ----------------------------------------------------------------------------------------

TEST(ReliabilityRuntime, InvalidEventsAreAnsweredWithJsonLoadsErrorsAndTheRuntimeGoesOn) {
    served_function fn(reliability("rel.describe"));
    const auto first = parse(fn.invoke("{}").body);
    ASSERT_TRUE(first.is_object()) << first;
    const struct {
        std::string event;
        const char* type;
        const char* message;
    } cases[] = {
        {"{bad", "ValueError", "Expecting property name: line 1 column 2 (char 1)"},
        {"", "ValueError", "No JSON object could be decoded"},
        {"   ", "ValueError", "No JSON object could be decoded"},
        {"[1,", "ValueError", "Expecting object: line 1 column 3 (char 2)"},
        {R"(["a" "b"])", "ValueError", "Expecting , delimiter: line 1 column 6 (char 5)"},
        {"{} {}", "ValueError", "Extra data: line 1 column 4 - line 1 column 6 (char 3 - 5)"},
        {"\xff", "ValueError", "No JSON object could be decoded"},
        {"\"\xff\"", "UnicodeDecodeError", "'utf8' codec can't decode byte 0xff in position 0: invalid start byte"},
        {"{\"k\": \"caf\xc3\"}", "UnicodeDecodeError",
         "'utf8' codec can't decode byte 0xc3 in position 3: unexpected end of data"},
        {"[\"\xc0\xaf\"]", "UnicodeDecodeError",
         "'utf8' codec can't decode byte 0xc0 in position 0: invalid start byte"},
    };
    for (const auto& c : cases) {
        const auto r = fn.invoke(c.event);
        EXPECT_EQ(error_body(r), (json::object{{"errorMessage", c.message}, {"errorType", c.type}})) << c.event;
    }
    EXPECT_EQ(parse(fn.invoke("[]").body).at("pid"), first.at("pid"));
}

TEST(ReliabilityRuntime, NumbersDecodeAsJsonLoadsDecodesThem) {
    served_function fn(reliability("rel.describe"));
    const std::string digits200 = "1" + std::string(198, '0') + "7";
    const struct {
        std::string event;
        const char* type;
        std::string repr;
    } cases[] = {
        {"1e400", "float", "inf"},
        {"-1e400", "float", "-inf"},
        {"1.5e-400", "float", "0.0"},
        {"-0", "int", "0"},
        {"-0.0", "float", "-0.0"},
        {"0e0", "float", "0.0"},
        {digits200, "long", digits200 + "L"},
        {"-" + digits200, "long", "-" + digits200 + "L"},
        {"9223372036854775807", "int", "9223372036854775807"},
        {"9223372036854775808", "long", "9223372036854775808L"},
        {"[1e400, -0, 1E+2]", "list", "[inf, 0, 100.0]"},
    };
    for (const auto& c : cases) {
        const auto got = parse(fn.invoke(c.event).body);
        ASSERT_TRUE(got.is_object()) << c.event << " -> " << got;
        EXPECT_EQ(got.at("type"), c.type) << c.event;
        EXPECT_EQ(got.at("repr"), json::value(c.repr)) << c.event;
    }
}

TEST(ReliabilityRuntime, NumbersComeBackAsJsonDumpsWritesThem) {
    served_function fn(reliability("rel.echo"));
    const std::string digits200 = "-9" + std::string(199, '3');
    EXPECT_EQ(fn.invoke("1e400").body, "Infinity");
    EXPECT_EQ(fn.invoke("[-1e400, -0, -0.0, 1.5e-400]").body, "[-Infinity, 0, -0.0, 0.0]");
    EXPECT_EQ(fn.invoke(digits200).body, digits200);
    EXPECT_EQ(fn.invoke("[" + digits200 + ", 1" + std::string(200, '0') + "]").body,
              "[" + digits200 + ", 1" + std::string(200, '0') + "]");
}

TEST(ReliabilityRuntime, DuplicateKeysKeepTheirLastValue) {
    served_function fn(reliability("rel.echo"));
    EXPECT_EQ(fn.invoke(R"({"a": 1, "a": 2})").body, R"({"a": 2})");
    EXPECT_EQ(parse(fn.invoke(R"({"a": 1, "b": {"c": 1, "c": [2], "c": {"d": 3}}, "a": [4]})").body),
              (json::object{{"a", json::array{4}}, {"b", json::object{{"c", json::object{{"d", 3}}}}}}));
}

TEST(ReliabilityRuntime, AnEventNested100000LevelsDeepIsARuntimeErrorNotACrash) {
    served_function fn(reliability("rel.describe"));
    const auto before = parse(fn.invoke("{}").body).at("pid");
    const std::size_t depth = 100000;
    const auto arrays = error_body(fn.invoke(std::string(depth, '[') + std::string(depth, ']')));
    EXPECT_EQ(arrays, (json::object{{"errorMessage",
                                     "maximum recursion depth exceeded while decoding a JSON array from a byte string"},
                                    {"errorType", "RuntimeError"}}));
    std::string objects;
    for (std::size_t i = 0; i < depth; ++i) objects += "{\"a\":";
    objects += "1" + std::string(depth, '}');
    const auto dicts = error_body(fn.invoke(objects));
    EXPECT_EQ(dicts.at("errorType"), "RuntimeError");
    EXPECT_EQ(dicts.at("errorMessage").as_string().find("maximum recursion depth exceeded"), 0u) << dicts;
    // Deep, but within what json.loads takes: decoded.
    const auto fine = parse(fn.invoke(std::string(900, '[') + std::string(900, ']')).body);
    EXPECT_EQ(fine.at("type"), "list");
    EXPECT_EQ(fine.at("pid"), before);
}

TEST(ReliabilityRuntime, ASixMegabyteEventIsServedAndOneByteMoreIsRefusedWithoutHarm) {
    served_function fn(reliability("rel.echo"));
    const std::size_t limit = 6 * 1024 * 1024;
    std::string event = "\"" + std::string(limit - 2, 'a') + "\"";
    for (std::size_t i = 1; i + 1 < event.size(); i += 4099) event[i] = static_cast<char>('a' + i % 26);
    const auto r = fn.invoke(event);
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.function_error.empty()) << r.body.substr(0, 200);
    EXPECT_EQ(r.body.size(), event.size());
    EXPECT_TRUE(r.body == event);
    const auto over = fn.invoke(event + " ");
    EXPECT_EQ(over.status, 413) << over.body.substr(0, 200);
    EXPECT_EQ(fn.invoke("[1, 2]").body, "[1, 2]");
}

// ---- handlers that fail --------------------------------------------------------------------------

TEST(ReliabilityRuntime, InfiniteRecursionIsPostedAsRuntimeErrorAndTheRuntimeGoesOn) {
    served_function fn(reliability("rel.dispatch"));
    const auto pid = runtime_pid(fn);
    const auto body = error_body(fn.invoke(R"({"do": "recurse"})"));
    EXPECT_EQ(body.at("errorType"), "RuntimeError");
    EXPECT_EQ(body.at("errorMessage"), "maximum recursion depth exceeded");
    EXPECT_GT(body.at("stackTrace").as_array().size(), 100u);
    EXPECT_EQ(runtime_pid(fn), pid);
}

TEST(ReliabilityRuntime, MemoryErrorIsPostedAndTheRuntimeGoesOn) {
    served_function fn(reliability("rel.dispatch"));
    const auto pid = runtime_pid(fn);
    const auto body = error_body(fn.invoke(R"({"do": "memory_error"})"));
    EXPECT_EQ(body.at("errorType"), "MemoryError");
    EXPECT_FALSE(body.as_object().contains("errorMessage"));  // str(MemoryError()) is empty
    EXPECT_EQ(runtime_pid(fn), pid);
}

TEST(ReliabilityRuntime, ASevenMegabyteResultIsAnsweredWithResponseSizeTooLargeAndTheRuntimeGoesOn) {
    served_function fn(reliability("rel.dispatch"));
    const auto pid = runtime_pid(fn);
    const auto r = fn.invoke(R"({"do": "big_result"})");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.function_error, "Unhandled");
    const auto body = parse(r.body);
    EXPECT_EQ(body.at("errorType"), "Function.ResponseSizeTooLarge");
    EXPECT_NE(body.at("errorMessage").as_string().find("7340034"), json::string::npos) << body;
    EXPECT_EQ(runtime_pid(fn), pid);
}

// ---- runtimes that die ---------------------------------------------------------------------------

TEST(ReliabilityRuntime, OsExitIsARuntimeExitErrorAndTheNextInvokeGetsAFreshRuntime) {
    const std::string log = temp_path("exit5");
    served_function fn(reliability("rel.dispatch", log));
    const auto pid = runtime_pid(fn);
    const auto r = fn.invoke(R"({"do": "exit5"})");
    EXPECT_EQ(r.status, 502);
    const auto body = parse(r.body);
    EXPECT_EQ(body.at("errorType"), "Runtime.ExitError");
    EXPECT_NE(body.at("errorMessage").as_string().find("Runtime exited with error: exit status 5"), json::string::npos)
        << body;
    const auto fresh = fn.invoke(R"({"do": "pid"})");
    EXPECT_EQ(fresh.status, 200);
    EXPECT_NE(parse(fresh.body).at("pid"), pid);
    EXPECT_EQ(parse(fresh.body).at("calls"), 1);
    // What the handler wrote just before it died reached the log.
    EXPECT_NE(read_file(log).find("about to _exit\n"), std::string::npos) << read_file(log);
    ::unlink(log.c_str());
}

TEST(ReliabilityRuntime, ASegfaultInACExtensionIsReportedWithItsSignalAndTheNextInvokeGetsAFreshRuntime) {
    served_function fn(reliability("rel.dispatch"));
    const auto pid = runtime_pid(fn);
    const auto r = fn.invoke(R"({"do": "segfault"})");
    EXPECT_EQ(r.status, 502);
    const auto body = parse(r.body);
    EXPECT_EQ(body.at("errorType"), "Runtime.ExitError");
    EXPECT_NE(body.at("errorMessage").as_string().find("signal: segmentation fault"), json::string::npos) << body;
    const auto fresh = runtime_pid(fn);
    EXPECT_NE(fresh, pid);
    EXPECT_GT(fresh, 0);
}

TEST(ReliabilityRuntime, ARuntimeKilledWhileIdleIsReplacedAtTheNextInvoke) {
    served_function fn(reliability("rel.dispatch"));
    const auto pid = runtime_pid(fn);
    ASSERT_GT(pid, 0);
    ASSERT_EQ(::kill(static_cast<pid_t>(pid), SIGKILL), 0);
    std::this_thread::sleep_for(200ms);
    const auto r = fn.invoke(R"({"do": "pid"})");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_NE(parse(r.body).at("pid"), pid);
}

TEST(ReliabilityRuntime, ARuntimeKilledDuringAnInvocationIsARuntimeExitErrorAndIsReplaced) {
    served_function fn(reliability("rel.dispatch"));
    const auto pid = runtime_pid(fn);
    ASSERT_GT(pid, 0);
    auto pending =
        std::async(std::launch::async, [&] { return fn.invoke(R"({"do": "sleep", "with": {"seconds": 30}})"); });
    std::this_thread::sleep_for(500ms);
    ::kill(static_cast<pid_t>(pid), SIGKILL);
    ASSERT_EQ(pending.wait_for(15s), std::future_status::ready);
    const auto r = pending.get();
    EXPECT_EQ(r.status, 502);
    EXPECT_NE(r.body.find("Runtime exited with error: signal: killed"), std::string::npos) << r.body;
    EXPECT_NE(runtime_pid(fn), pid);
}

// ---- handlers that leave things behind ---------------------------------------------------------------

TEST(ReliabilityRuntime, ThreadsLeftRunningDoNotStopTheNextInvocations) {
    served_function fn(reliability("rel.dispatch"));
    const auto first = parse(fn.invoke(R"({"do": "threads"})").body);
    const auto second = parse(fn.invoke(R"({"do": "threads"})").body);
    ASSERT_TRUE(second.is_object()) << second;
    EXPECT_EQ(second.at("pid"), first.at("pid"));
    EXPECT_EQ(second.at("alive"), 2);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) EXPECT_EQ(runtime_pid(fn), first.at("pid").as_int64());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 15s);
}

// Python installs its signal handlers without SA_RESTART: a signal interrupts the runtime's blocking
// socket calls. That must not end the runtime (nor lose an answer).
TEST(ReliabilityRuntime, SignalsCaughtByTheHandlersOwnPythonHandlersDoNotEndTheRuntime) {
    served_function fn(reliability("rel.dispatch"));
    const auto installed = parse(fn.invoke(R"({"do": "signals"})").body);
    ASSERT_TRUE(installed.is_object()) << installed;
    const auto pid = installed.at("pid").as_int64();
    for (int i = 0; i < 3; ++i) {  // the runtime waits in /next meanwhile
        std::this_thread::sleep_for(100ms);
        ::kill(static_cast<pid_t>(pid), SIGUSR1);
    }
    std::this_thread::sleep_for(200ms);
    const auto after = parse(fn.invoke(R"({"do": "signals"})").body);
    ASSERT_TRUE(after.is_object()) << after;
    EXPECT_EQ(after.at("pid"), pid);
    EXPECT_EQ(after.at("calls"), 2);
    EXPECT_EQ(after.at("signals"), (json::array{SIGUSR1}));  // delivered to Python once it ran again
}

TEST(ReliabilityRuntime, AnAlarmThatFiresBetweenInvocationsDoesNotEndTheRuntime) {
    served_function fn(reliability("rel.dispatch"));
    // The common "warn before the timeout" idiom, with the alarm left armed after the handler returned.
    const auto armed = parse(fn.invoke(R"({"do": "signals", "with": {"alarm": 1}})").body);
    ASSERT_TRUE(armed.is_object()) << armed;
    std::this_thread::sleep_for(1500ms);
    const auto after = parse(fn.invoke(R"({"do": "signals"})").body);
    ASSERT_TRUE(after.is_object()) << after;
    EXPECT_EQ(after.at("pid"), armed.at("pid"));
    EXPECT_EQ(after.at("signals"), (json::array{SIGALRM}));
}

TEST(ReliabilityRuntime, TenMegabytesWrittenToStdoutInOneInvocationAreAllLogged) {
    const std::string log = temp_path("big_stdout");
    served_function fn(reliability("rel.dispatch", log));
    const int lines = 10240, width = 1024;
    const auto r = fn.invoke(R"({"do": "big_stdout", "with": {"lines": 10240, "width": 1024}})");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(parse(r.body).at("bytes"), lines * width);
    runtime_pid(fn);  // the runtime went on, and its output of the first invocation is all out
    const std::string text = read_file(log);
    ::unlink(log.c_str());
    std::size_t bytes = 0;
    std::set<int> seen;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.size() != static_cast<std::size_t>(width - 1) || line[8] != ' ') continue;
        seen.insert(std::atoi(line.substr(0, 8).c_str()));
        bytes += line.size() + 1;
    }
    EXPECT_EQ(bytes, static_cast<std::size_t>(lines) * width);
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(lines));
    EXPECT_EQ(*seen.begin(), 0);
    EXPECT_EQ(*seen.rbegin(), lines - 1);
}

TEST(ReliabilityRuntime, ReplacingSysStdoutKeepsTheRuntimeLoggingAndAnswering) {
    const std::string log = temp_path("replace_stdout");
    served_function fn(reliability("rel.dispatch", log));
    const auto pid = runtime_pid(fn);
    EXPECT_EQ(parse(fn.invoke(R"({"do": "replace_stdout"})").body).at("pid"), pid);
    const auto after = parse(fn.invoke(R"({"do": "print_after"})").body);
    EXPECT_EQ(after.at("pid"), pid);
    const auto failed = error_body(fn.invoke(R"({"do": "fail", "with": {"n": 7}})"));
    EXPECT_EQ(failed.at("errorMessage"), "reliability failure 7");
    EXPECT_EQ(runtime_pid(fn), pid);
    const std::string text = read_file(log);
    ::unlink(log.c_str());
    EXPECT_NE(text.find("\tlogged after replacing stdout "), std::string::npos) << text;
    EXPECT_NE(text.find("\tstill logging "), std::string::npos) << text;
    EXPECT_NE(text.find("reliability failure 7: ValueError\nTraceback (most recent call last):"), std::string::npos)
        << text;
    EXPECT_EQ(text.find("into the replacement"), std::string::npos) << text;  // it went where the handler sent it
}

TEST(ReliabilityRuntime, ClosingSysStdoutAndStderrKeepsTheRuntimeLoggingAndAnswering) {
    const std::string log = temp_path("close_stdout");
    served_function fn(reliability("rel.dispatch", log));
    const auto pid = runtime_pid(fn);
    EXPECT_EQ(parse(fn.invoke(R"({"do": "close_stdout"})").body).at("pid"), pid);
    const auto after = parse(fn.invoke(R"({"do": "print_after"})").body);
    EXPECT_EQ(after.at("pid"), pid);
    EXPECT_EQ(after.at("printed"), "ValueError: I/O operation on closed file");  // the handler's own print
    const auto failed = error_body(fn.invoke(R"({"do": "fail", "with": {"n": 8}})"));
    EXPECT_EQ(failed.at("errorMessage"), "reliability failure 8");
    EXPECT_EQ(runtime_pid(fn), pid);
    const std::string text = read_file(log);
    ::unlink(log.c_str());
    EXPECT_NE(text.find("\tlogged after closing stdout "), std::string::npos) << text;
    EXPECT_NE(text.find("context.log after closing stdout\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\tstill logging "), std::string::npos) << text;
    EXPECT_NE(text.find("reliability failure 8: ValueError\nTraceback (most recent call last):"), std::string::npos)
        << text;
}

}  // namespace
