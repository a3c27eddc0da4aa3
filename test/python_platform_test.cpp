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
