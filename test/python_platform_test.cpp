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
    EXPECT_EQ(call(fn, {{"X-Amz-Tenant-Id", "tenant-42"}}), (json::object{{"tenant_id", "tenant-42"}, {"type", "str"}}));
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
    setup.extra_args = {"platform.wrapped"};  // the handler as argv[1], as container images pass it
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
