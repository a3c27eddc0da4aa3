// Issue 19: the platform's newer conventions a provided.* runtime must honour itself, each through the
// real emulator and the real bootstrap: tenant ids, AWS_LAMBDA_EXEC_WRAPPER, the telemetry log descriptor.
#include <lambda_py27/python/log.hpp>
#include <lambda_py27/testing/emulator.hpp>

#include "support/served_function.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace json = boost::json;
using lambda_py27::test_support::function_setup;
using lambda_py27::test_support::served_function;

namespace {

json::value call(served_function& fn, const std::map<std::string, std::string>& headers = {}) {
    const auto r = fn.invoke("{}", headers);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.function_error, "") << r.body;
    return served_function::parse(r.body);
}

}  // namespace

// ---- tenant ids --------------------------------------------------------------------------------

TEST(PythonPlatform, GivesTheInvokesTenantIdToTheContext) {
    served_function fn(function_setup{"platform.tenant"});
    EXPECT_EQ(call(fn, {{"X-Amz-Tenant-Id", "tenant-42"}}),
              (json::object{{"tenant_id", "tenant-42"}, {"type", "str"}}));
    // Each invocation its own: the next one without a tenant sees None, not the last tenant.
    EXPECT_EQ(call(fn), (json::object{{"tenant_id", nullptr}, {"type", "NoneType"}}));
    EXPECT_EQ(call(fn, {{"X-Amz-Tenant-Id", "other"}}).at("tenant_id"), "other");
}

TEST(PythonPlatform, AddsOnlyTenantIdToTheLegacyContextAttributes) {
    served_function fn(function_setup{"platform.context_attribute_names"});
    EXPECT_EQ(call(fn), (json::array{"aws_request_id", "client_context", "function_name", "function_version",
                                     "get_remaining_time_in_millis", "identity", "invoked_function_arn", "log",
                                     "log_group_name", "log_stream_name", "memory_limit_in_mb", "tenant_id"}));
}

// ---- AWS_LAMBDA_EXEC_WRAPPER ------------------------------------------------------------------

namespace {

std::string wrapper(const std::string& name) { return lambda_py27::test_support::data_dir() + "/wrappers/" + name; }

function_setup wrapped_setup(const std::string& wrapper_name) {
    function_setup s{"platform.wrapped"};
    s.environment["AWS_LAMBDA_EXEC_WRAPPER"] = wrapper(wrapper_name);
    return s;
}

}  // namespace

TEST(PythonPlatform, StartsTheRuntimeOnceThroughTheExecWrapperWithItsCommandLine) {
    auto setup = wrapped_setup("set_vars.sh");
    setup.extra_args = {"platform.wrapped"};            // the handler as argv[1], as container images pass it
    setup.environment["_HANDLER"] = "no_such.handler";  // argv[1] wins: the wrapper passed it on
    served_function fn(setup);
    const auto got = call(fn);
    EXPECT_EQ(got.at("wrapper_var"), "from-wrapper");
    EXPECT_EQ(got.at("mark"), json::array{});  // the mark is gone before the function runs
    EXPECT_EQ(got.at("argv0_seen_by_wrapper"),
              json::value(lambda_py27::test_support::bootstrap_path() + " platform.wrapped"));
    EXPECT_EQ(got.at("preloaded"), false);
}

TEST(PythonPlatform, RunsTheExecWrapperOnceNotAgainInTheProgramItExecs) {
    function_setup s{"platform.wrapped"};
    s.environment["AWS_LAMBDA_EXEC_WRAPPER"] = wrapper("set_vars.sh");
    served_function fn(s);
    const auto r = fn.invoke("{}");
    ASSERT_EQ(r.status, 200) << r.body;
    // A second wrapping would have counted 2 (and a wrapping without end would never answer).
    EXPECT_EQ(served_function::parse(r.body).at("runs"), "1");
}

TEST(PythonPlatform, ImportsTheModuleAnExecWrapperPreloadsBeforeTheHandlersModule) {
    served_function fn(wrapped_setup("preload.sh"));
    const auto got = call(fn);
    EXPECT_EQ(got.at("preloaded"), true);
    EXPECT_EQ(got.at("preloaded_before_handler"), true);
}

TEST(PythonPlatform, ReportsAMissingOrNonExecutableExecWrapperAsAnInitError) {
    for (const char* name : {"no_such_wrapper.sh", "not_executable.sh"}) {
        served_function fn(wrapped_setup(name));
        const auto r = fn.invoke("{}");
        EXPECT_EQ(r.status, 200) << name;
        EXPECT_EQ(r.function_error, "Unhandled") << name;
        const auto body = served_function::parse(r.body);
        ASSERT_TRUE(body.is_object()) << r.body;
        EXPECT_EQ(body.at("errorType"), "Runtime.InvalidEntrypoint") << name;
        EXPECT_NE(std::string(body.at("errorMessage").as_string()).find(wrapper(name)), std::string::npos) << r.body;
    }
}

TEST(PythonPlatform, LeavesAnExecWrapperThatExitsToThePlatformAsARuntimeExit) {
    served_function fn(wrapped_setup("exits.sh"));
    const auto r = fn.invoke("{}");
    EXPECT_EQ(r.status, 502) << r.body;
    const auto body = served_function::parse(r.body);
    EXPECT_EQ(body.at("errorType"), "Runtime.ExitError");
    EXPECT_NE(std::string(body.at("errorMessage").as_string()).find("exit status 3"), std::string::npos) << r.body;
}

// ---- the telemetry log descriptor --------------------------------------------------------------

namespace {

struct frame {
    std::uint32_t type = 0;
    std::uint64_t micros = 0;
    std::string message;
};

std::uint64_t big_endian(const std::string& bytes, std::size_t at, int n) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
    return v;
}

// The frames of a telemetry log; a torn frame fails the test.
std::vector<frame> read_frames(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<frame> frames;
    std::size_t at = 0;
    while (at + 16 <= bytes.size()) {
        frame f;
        f.type = static_cast<std::uint32_t>(big_endian(bytes, at, 4));
        const auto length = static_cast<std::size_t>(big_endian(bytes, at + 4, 4));
        f.micros = big_endian(bytes, at + 8, 8);
        if (at + 16 + length > bytes.size()) break;
        f.message = bytes.substr(at + 16, length);
        frames.push_back(std::move(f));
        at += 16 + length;
    }
    EXPECT_EQ(at, bytes.size()) << "a torn frame in " << path;
    return frames;
}

std::string temp_path(const char* name) {
    return ::testing::TempDir() + "/lp27_" + name + "_" + std::to_string(::getpid());
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::uint64_t micros_now() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
}

}  // namespace

TEST(PythonPlatform, EncodesTelemetryFramesAsAwsRuntimesDo) {
    using lambda_py27::python::log_level;
    using lambda_py27::python::telemetry_log_frame;
    const auto f = telemetry_log_frame("a\nb", log_level::plain, false, 0x0102030405060708ull);
    EXPECT_EQ(f, std::string("\xA5\x5A\x00\x03\x00\x00\x00\x03\x01\x02\x03\x04\x05\x06\x07\x08"
                             "a\nb",
                             19));
    const auto type = [](log_level l, bool json) { return big_endian(telemetry_log_frame("", l, json, 0), 0, 4); };
    EXPECT_EQ(type(log_level::plain, true), 0xA55A0003u);
    EXPECT_EQ(type(log_level::notset, true), 0xA55A0002u);
    EXPECT_EQ(type(log_level::debug, false), 0xA55A000Bu);
    EXPECT_EQ(type(log_level::info, true), 0xA55A000Eu);
    EXPECT_EQ(type(log_level::warn, false), 0xA55A0013u);
    EXPECT_EQ(type(log_level::error, true), 0xA55A0016u);
    EXPECT_EQ(type(log_level::error, false), 0xA55A0017u);
    EXPECT_EQ(type(log_level::fatal, true), 0xA55A001Au);
    EXPECT_EQ(lambda_py27::python::log_level_of(0), log_level::notset);
    EXPECT_EQ(lambda_py27::python::log_level_of(10), log_level::debug);
    EXPECT_EQ(lambda_py27::python::log_level_of(25), log_level::info);
    EXPECT_EQ(lambda_py27::python::log_level_of(30), log_level::warn);
    EXPECT_EQ(lambda_py27::python::log_level_of(40), log_level::error);
    EXPECT_EQ(lambda_py27::python::log_level_of(99), log_level::fatal);
}

TEST(PythonPlatform, WritesAMultiLineLogRecordToTheTelemetryLogAsOneFrame) {
    const auto telemetry = temp_path("telemetry"), output = temp_path("output");
    std::remove(telemetry.c_str());
    std::remove(output.c_str());
    function_setup s{"platform.log_exception"};
    s.telemetry_log_file = telemetry;
    s.log_file = output;
    const auto before = micros_now();
    {
        served_function fn(s);
        const auto got = call(fn);
        EXPECT_EQ(got.at("telemetry_fd"), nullptr);     // gone from the environment
        EXPECT_EQ(got.at("child_inherits_fd"), false);  // close-on-exec
    }
    const auto frames = read_frames(telemetry);
    ASSERT_EQ(frames.size(), 2u);
    // The legacy text record, traceback and all, as one plain frame.
    EXPECT_EQ(frames[0].type, 0xA55A0003u);
    EXPECT_EQ(frames[0].message.rfind("[ERROR]\t", 0), 0u) << frames[0].message;
    EXPECT_NE(frames[0].message.find("\tit failed\nTraceback (most recent call last):\n"), std::string::npos)
        << frames[0].message;
    EXPECT_NE(frames[0].message.find("ValueError: bad value"), std::string::npos);
    EXPECT_GE(frames[0].micros, before);
    EXPECT_LE(frames[0].micros, micros_now());
    EXPECT_EQ(frames[1].type, 0xA55A0003u);
    EXPECT_EQ(frames[1].message, "context line\n");
    // print stays on stdout, as in AWS's runtimes; no record is written twice.
    const auto text = read_text(output);
    EXPECT_NE(text.find("printed line\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("it failed"), std::string::npos) << text;
    std::remove(telemetry.c_str());
    std::remove(output.c_str());
}

TEST(PythonPlatform, WritesAHandlerExceptionReportAsOneErrorFrame) {
    const auto telemetry = temp_path("telemetry_error");
    std::remove(telemetry.c_str());
    function_setup s{"platform.fail"};
    s.telemetry_log_file = telemetry;
    {
        served_function fn(s);
        EXPECT_EQ(fn.invoke("{}").function_error, "Unhandled");
    }
    const auto frames = read_frames(telemetry);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].type, 0xA55A0017u);  // text, ERROR
    EXPECT_EQ(frames[0].message.rfind("line one\nline two: ValueError\nTraceback", 0), 0u) << frames[0].message;
    std::remove(telemetry.c_str());
}

TEST(PythonPlatform, WritesJsonLogRecordsAsLevelledJsonFrames) {
    const auto telemetry = temp_path("telemetry_json");
    std::remove(telemetry.c_str());
    function_setup s{"platform.log_json"};
    s.telemetry_log_file = telemetry;
    s.environment["AWS_LAMBDA_LOG_FORMAT"] = "json";
    {
        served_function fn(s);
        EXPECT_EQ(fn.invoke("{}").body, "\"ok\"");
    }
    const auto frames = read_frames(telemetry);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].type, 0xA55A0012u);  // JSON, WARNING
    const auto record = served_function::parse(frames[0].message);
    ASSERT_TRUE(record.is_object()) << frames[0].message;
    EXPECT_EQ(record.at("message"), "warned\nacross lines");
    EXPECT_EQ(record.at("logger"), "orders");
    std::remove(telemetry.c_str());
}

TEST(PythonPlatform, EmulatorShowsEachTelemetryFrameAsOneLine) {
    std::ostringstream telemetry, report;
    lambda_py27::testing::emulator_options o;
    o.runtime_command = {lambda_py27::test_support::bootstrap_path()};
    o.invoke_port = 0;
    o.task_root = lambda_py27::test_support::data_dir() + "/handlers";
    o.handler = "platform.log_exception";
    o.environment["PYTHONDONTWRITEBYTECODE"] = "1";
    o.report = &report;
    o.telemetry_log = &telemetry;
    {
        lambda_py27::testing::emulator em(o);
        em.start();
        const auto r = lambda_py27::testing::invoke("127.0.0.1", em.invoke_port(), "{}");
        EXPECT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(served_function::parse(r.body).at("telemetry_fd"), nullptr);
    }  // stopped: every reader joined
    const auto text = telemetry.str();
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    ASSERT_EQ(lines.size(), 2u) << text;
    EXPECT_EQ(lines[0].rfind("[ERROR]\t", 0), 0u) << text;
    EXPECT_NE(lines[0].find("\tit failed\\nTraceback (most recent call last):\\n"), std::string::npos) << text;
    EXPECT_NE(lines[0].find("\\nValueError: bad value"), std::string::npos) << text;
    EXPECT_EQ(lines[1], "context line");
}
