#include <lambda_py27/runtime/runtime_client.hpp>

#include <lambda_py27/version.hpp>

#include "support/fake_runtime_api.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <new>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

// Counts this thread's allocations, to show that steady-state calls of the client make none.
namespace {
thread_local std::size_t allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
    ++allocations;
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
// GCC 12 at -O3 inlines these into delete-expressions and then sees free() of new's memory; it is ours
// (malloc above), so the warning is a false positive here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace {

using lambda_py27::errc;
using lambda_py27::invocation;
using lambda_py27::runtime_client;
using lambda_py27::test_support::answer;
using lambda_py27::test_support::header_list;
using lambda_py27::test_support::fake_runtime_api;
using lambda_py27::test_support::received_request;
using namespace std::chrono_literals;

constexpr const char* next_path = "/2018-06-01/runtime/invocation/next";
constexpr const char* request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// The error of a `next()` whose answer is exactly `bytes` (a fresh API and client).
std::error_code next_error_for(const char* bytes) {
    fake_runtime_api api;
    api.then(answer::raw(bytes));
    runtime_client client(api.endpoint());
    invocation inv;
    std::error_code ec;
    client.next(inv, ec);
    return ec;
}

std::string all_byte_values(std::size_t size) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>(i * 7 % 256);
    return s;
}

// Lets the server notice whatever the client may still be sending before the test counts requests.
void settle() { std::this_thread::sleep_for(50ms); }

// ---- request ids ----------------------------------------------------------------------------------

TEST(RuntimeClient, AcceptsRequestIdsMadeOfThePlatformsCharacters) {
    EXPECT_TRUE(lambda_py27::is_valid_request_id(request_id));
    EXPECT_TRUE(lambda_py27::is_valid_request_id("abc_DEF.1:2"));
}

TEST(RuntimeClient, RejectsRequestIdsThatWouldChangeTheUrlPath) {
    for (const char* id : {"", "a/b", "..", ".", "a b", "a?b", "a#b", "a%2Fb", "a\\b", "\xc3\xa9"})
        EXPECT_FALSE(lambda_py27::is_valid_request_id(id)) << id;
    EXPECT_FALSE(lambda_py27::is_valid_request_id(std::string(257, 'a')));
}

// ---- construction ---------------------------------------------------------------------------------

TEST(RuntimeClient, DefaultUserAgentIsTheLibraryNameAndVersion) {
    EXPECT_EQ(runtime_client::default_user_agent(), std::string("lambda-py27/") + lambda_py27::version_string);
}

TEST(RuntimeClient, SendsTheUserAgentItWasGiven) {
    fake_runtime_api api;
    api.then(answer::event(request_id), answer::accepted());
    runtime_client client(api.endpoint(), "my-runtime/2.0 lambda-py27");
    client.post_response(client.next().request_id, "{}");
    for (const auto& r : api.requests()) EXPECT_EQ(r.header("User-Agent"), "my-runtime/2.0 lambda-py27");
}

TEST(RuntimeClient, RefusesAUserAgentWithLineBreaks) {
    EXPECT_THROW(runtime_client("127.0.0.1:9001", "ua\r\nX-Injected: 1"), std::invalid_argument);
}

TEST(RuntimeClient, RefusesAnEndpointWithoutHostAndPort) {
    for (const char* ep : {"", "localhost", ":9001", "localhost:", "local\r\nhost:1"})
        EXPECT_THROW(runtime_client{ep}, std::invalid_argument) << ep;
}

TEST(RuntimeClient, FromEnvironmentReadsTheRuntimeApiVariable) {
    ::setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001", 1);
    EXPECT_EQ(runtime_client::from_environment().endpoint(), "127.0.0.1:9001");
    ::unsetenv("AWS_LAMBDA_RUNTIME_API");
    EXPECT_THROW(runtime_client::from_environment(), std::runtime_error);
}

TEST(RuntimeClient, ConnectsLazilySoConstructionNeedsNoServer) {
    runtime_client client(lambda_py27::test_support::unused_endpoint());
    SUCCEED();
}

// ---- next() -------------------------------------------------------------------------------------

TEST(RuntimeClient, NextParsesEveryHeaderOfTheSpecIntoTheInvocation) {
    fake_runtime_api api;
    const auto deadline = now_ms() + 10'000;
    api.then(
        answer::event(request_id, R"({"hello":"world"})",
                      {{"Lambda-Runtime-Deadline-Ms", std::to_string(deadline)},
                       {"Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123:function:f"},
                       {"Lambda-Runtime-Trace-Id", "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1"},
                       {"Lambda-Runtime-Client-Context", R"({"client":{},"custom":{"k":"v"},"env":{}})"},
                       {"Lambda-Runtime-Cognito-Identity", R"({"cognitoIdentityId":"i","cognitoIdentityPoolId":"p"})"},
                       {"Lambda-Runtime-Aws-Tenant-Id", "tenant-42"},
                       {"Content-Type", "text/plain; charset=utf-8"}}));
    runtime_client client(api.endpoint());
    const invocation inv = client.next();

    EXPECT_EQ(inv.request_id, request_id);
    EXPECT_EQ(inv.deadline_ms, deadline);
    EXPECT_GT(inv.remaining_time(), 8s);
    EXPECT_LE(inv.remaining_time(), 10s);
    EXPECT_EQ(inv.function_arn, "arn:aws:lambda:us-east-1:123:function:f");
    EXPECT_EQ(inv.trace_id, "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1");
    EXPECT_EQ(inv.client_context, R"({"client":{},"custom":{"k":"v"},"env":{}})");
    EXPECT_EQ(inv.cognito_identity, R"({"cognitoIdentityId":"i","cognitoIdentityPoolId":"p"})");
    EXPECT_EQ(inv.tenant_id, "tenant-42");
    EXPECT_EQ(inv.content_type, "text/plain; charset=utf-8");
    EXPECT_EQ(inv.body, R"({"hello":"world"})");
}

TEST(RuntimeClient, NextSendsAGetToTheNextPathWithHostAndUserAgent) {
    fake_runtime_api api;
    api.then(answer::event(request_id));
    runtime_client client(api.endpoint());
    client.next();

    const auto reqs = api.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].method, "GET");
    EXPECT_EQ(reqs[0].target, next_path);
    EXPECT_EQ(reqs[0].header("Host"), api.endpoint());
    EXPECT_EQ(reqs[0].header("User-Agent"), runtime_client::default_user_agent());
    EXPECT_TRUE(reqs[0].body.empty());
}

TEST(RuntimeClient, NextLeavesOptionalHeadersEmptyAndDefaultsTheContentTypeToJson) {
    fake_runtime_api api;
    api.then(answer::event(request_id, "{}"));
    runtime_client client(api.endpoint());
    const invocation inv = client.next();

    EXPECT_EQ(inv.request_id, request_id);
    EXPECT_EQ(inv.deadline_ms, 0);
    EXPECT_EQ(inv.remaining_time(), 0ms);
    EXPECT_TRUE(inv.function_arn.empty());
    EXPECT_TRUE(inv.trace_id.empty());
    EXPECT_TRUE(inv.client_context.empty());
    EXPECT_TRUE(inv.cognito_identity.empty());
    EXPECT_TRUE(inv.tenant_id.empty());
    EXPECT_EQ(inv.content_type, "application/json");
}

TEST(RuntimeClient, NextMatchesHeaderNamesWhateverTheirCase) {
    fake_runtime_api api;
    api.then(answer::http(200, "{}",
                          {{"lambda-runtime-aws-request-id", request_id},
                           {"LAMBDA-RUNTIME-TRACE-ID", "Root=1"},
                           {"content-type", "application/octet-stream"}}));
    runtime_client client(api.endpoint());
    const invocation inv = client.next();
    EXPECT_EQ(inv.request_id, request_id);
    EXPECT_EQ(inv.trace_id, "Root=1");
    EXPECT_EQ(inv.content_type, "application/octet-stream");
}

TEST(RuntimeClient, RemainingTimeIsClampedAtZeroWhenTheDeadlinePassed) {
    fake_runtime_api api;
    api.then(answer::event(request_id, "{}", {{"Lambda-Runtime-Deadline-Ms", std::to_string(now_ms() - 5000)}}));
    runtime_client client(api.endpoint());
    const invocation inv = client.next();
    EXPECT_GT(inv.deadline_ms, 0);
    EXPECT_EQ(inv.remaining_time(), 0ms);
}

TEST(RuntimeClient, DeadlineThatIsNotANumberReadsAsZero) {
    for (const char* bad : {"soon", "12abc", "-5", "1.5", "99999999999999999999999"}) {
        fake_runtime_api api;
        api.then(answer::event(request_id, "{}", {{"Lambda-Runtime-Deadline-Ms", bad}}));
        runtime_client client(api.endpoint());
        EXPECT_EQ(client.next().deadline_ms, 0) << bad;
    }
}

TEST(RuntimeClient, NextKeepsABinaryBodyIntact) {
    fake_runtime_api api;
    const std::string body = all_byte_values(4096);
    api.then(answer::event(request_id, body, {{"Content-Type", "application/octet-stream"}}));
    runtime_client client(api.endpoint());
    EXPECT_EQ(client.next().body, body);
}

TEST(RuntimeClient, NextReadsASixMegabyteEvent) {
    fake_runtime_api api;
    const std::string body = all_byte_values(6 * 1024 * 1024);
    api.then(answer::event(request_id, body), answer::event("second", "{}"));
    runtime_client client(api.endpoint());
    const invocation inv = client.next();
    EXPECT_EQ(inv.body.size(), body.size());
    EXPECT_TRUE(inv.body == body);
    // The connection is still in step after the large answer.
    EXPECT_EQ(client.next().request_id, "second");
    EXPECT_EQ(api.accepted_connections(), 1u);
}

TEST(RuntimeClient, NextReadsAChunkedEvent) {
    fake_runtime_api api;
    api.then(answer::raw(std::string("HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: ") + request_id +
                         "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
             answer::event("second"));
    runtime_client client(api.endpoint());
    EXPECT_EQ(client.next().body, "hello world");
    EXPECT_EQ(client.next().request_id, "second");
}

TEST(RuntimeClient, ReusedInvocationIsClearedOfThePreviousOne) {
    fake_runtime_api api;
    api.then(answer::event("first", "a long first body",
                           {{"Lambda-Runtime-Trace-Id", "Root=1"}, {"Lambda-Runtime-Deadline-Ms", "123"}}),
             answer::event("second", "b"));
    runtime_client client(api.endpoint());
    invocation inv;
    std::error_code ec;
    client.next(inv, ec);
    ASSERT_FALSE(ec) << ec.message();
    client.next(inv, ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(inv.request_id, "second");
    EXPECT_EQ(inv.body, "b");
    EXPECT_TRUE(inv.trace_id.empty());
    EXPECT_EQ(inv.deadline_ms, 0);
}

TEST(RuntimeClient, NextWithoutARequestIdIsAProtocolError) {
    fake_runtime_api api;
    api.then(answer::http(200, "{}", {{"Lambda-Runtime-Deadline-Ms", "1"}}), answer::event("after"));
    runtime_client client(api.endpoint());
    invocation inv;
    std::error_code ec;
    client.next(inv, ec);
    EXPECT_EQ(ec, errc::protocol_error);
    // The answer was complete, so the connection goes on.
    client.next(inv, ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(inv.request_id, "after");
    EXPECT_EQ(api.accepted_connections(), 1u);
}

TEST(RuntimeClient, NextRefusesRequestIdsThatCannotGoIntoAUrlAndBuildsNoRequestWithThem) {
    for (const std::string bad : {"../../init/error", "a/b", "..", "has space"}) {
        fake_runtime_api api;
        api.then(answer::event(bad));
        runtime_client client(api.endpoint());
        invocation inv;
        std::error_code ec;
        client.next(inv, ec);
        EXPECT_EQ(ec, errc::bad_request_id) << bad;

        client.post_response(inv.request_id, "{}", "application/json", ec);
        EXPECT_EQ(ec, errc::bad_request_id) << bad;
        client.post_error(inv.request_id, "{}", "E", "", ec);
        EXPECT_EQ(ec, errc::bad_request_id) << bad;
        EXPECT_THROW(client.post_response(inv.request_id, "{}"), std::system_error);
        settle();
        EXPECT_EQ(api.request_count(), 1u) << bad;  // the GET only
    }
}

TEST(RuntimeClient, TraceIdWithControlCharactersIsDropped) {
    fake_runtime_api api;
    api.then(answer::event(request_id, "{}",
                           {{"Lambda-Runtime-Trace-Id", "Root=1\tX-Injected=1"},
                            {"Lambda-Runtime-Aws-Tenant-Id", "a\tb"},
                            {"Lambda-Runtime-Invoked-Function-Arn", "arn"}}));
    runtime_client client(api.endpoint());
    const invocation inv = client.next();
    EXPECT_TRUE(inv.trace_id.empty());
    EXPECT_TRUE(inv.tenant_id.empty());
    EXPECT_EQ(inv.function_arn, "arn");
}

TEST(RuntimeClient, NextAnswered500IsAContainerErrorWithTheApisErrorType) {
    fake_runtime_api api;
    api.then(answer::api_error(500, "Runtime.Unknown"));
    runtime_client client(api.endpoint());
    invocation inv;
    std::error_code ec;
    client.next(inv, ec);
    EXPECT_EQ(ec, errc::container_error);
    EXPECT_EQ(client.last_api_error_type(), "Runtime.Unknown");
    EXPECT_TRUE(inv.body.empty());
}

TEST(RuntimeClient, NextThrowsSystemErrorWithTheCodeInTheThrowingOverload) {
    fake_runtime_api api;
    api.then(answer::api_error(500, "Runtime.Unknown"));
    runtime_client client(api.endpoint());
    try {
        client.next();
        FAIL() << "no exception";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), errc::container_error);
    }
}

TEST(RuntimeClient, NextAnsweredWithAnUnexpected4xxIsAProtocolError) {
    fake_runtime_api api;
    api.then(answer::api_error(404, "NotFound"), answer::api_error(400, "InvalidRequestID"));
    runtime_client client(api.endpoint());
    invocation inv;
    std::error_code ec;
    client.next(inv, ec);
    EXPECT_EQ(ec, errc::protocol_error);
    client.next(inv, ec);
    EXPECT_EQ(ec, errc::protocol_error);
    EXPECT_EQ(client.last_api_error_type(), "InvalidRequestID");
}

// ---- posts ----------------------------------------------------------------------------------------

TEST(RuntimeClient, PostResponseSendsTheBodyToTheResponsePathWithItsHeaders) {
    fake_runtime_api api;
    api.then(answer::accepted());
    runtime_client client(api.endpoint());
    std::error_code ec;
    client.post_response(request_id, R"({"result":1})", "application/json", ec);
    EXPECT_FALSE(ec) << ec.message();

    const auto reqs = api.requests();
    ASSERT_EQ(reqs.size(), 1u);
    const received_request& r = reqs[0];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, std::string("/2018-06-01/runtime/invocation/") + request_id + "/response");
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    EXPECT_EQ(r.header("Content-Length"), "12");
    EXPECT_EQ(r.header("User-Agent"), std::string("lambda-py27/") + lambda_py27::version_string);
    EXPECT_EQ(r.header("Host"), api.endpoint());
    EXPECT_FALSE(r.has_header("Lambda-Runtime-Function-Error-Type"));
    EXPECT_FALSE(r.has_header("Lambda-Runtime-Function-XRay-Error-Cause"));
    EXPECT_EQ(r.body, R"({"result":1})");
}

TEST(RuntimeClient, PostResponseKeepsTheCallersContentTypeAndABinaryBody) {
    fake_runtime_api api;
    api.then(answer::accepted(), answer::accepted());
    runtime_client client(api.endpoint());
    const std::string body = all_byte_values(70'000);
    client.post_response(request_id, body, "application/octet-stream");
    client.post_response(request_id, "", "text/plain");
    const auto reqs = api.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].header("Content-Type"), "application/octet-stream");
    EXPECT_TRUE(reqs[0].body == body);
    EXPECT_EQ(reqs[1].header("Content-Length"), "0");
    EXPECT_TRUE(reqs[1].body.empty());
}

TEST(RuntimeClient, PostResponseOfTheLargestAllowedBodyIsSent) {
    fake_runtime_api api;
    api.then(answer::accepted());
    runtime_client client(api.endpoint());
    const std::string body(lambda_py27::max_response_bytes, 'x');
    client.post_response(request_id, body);
    const auto reqs = api.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].body.size(), body.size());
}

TEST(RuntimeClient, PostResponseAboveTheLimitIsRefusedWithoutSendingIt) {
    fake_runtime_api api;
    runtime_client client(api.endpoint());
    std::error_code ec;
    client.post_response(request_id, std::string(lambda_py27::max_response_bytes + 1, 'x'), "application/json", ec);
    EXPECT_EQ(ec, errc::payload_too_large);
    settle();
    EXPECT_EQ(api.request_count(), 0u);
}

TEST(RuntimeClient, PostErrorSendsTheErrorTypeAndXRayCauseHeaders) {
    fake_runtime_api api;
    api.then(answer::accepted());
    runtime_client client(api.endpoint());
    const std::string body = R"({"errorMessage":"boom","errorType":"ValueError","stackTrace":[]})";
    const std::string cause = R"({"working_directory":"/var/task","exceptions":[],"paths":[]})";
    client.post_error(request_id, body, "ValueError", cause);

    const auto reqs = api.requests();
    ASSERT_EQ(reqs.size(), 1u);
    const received_request& r = reqs[0];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, std::string("/2018-06-01/runtime/invocation/") + request_id + "/error");
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    EXPECT_EQ(r.header("Lambda-Runtime-Function-Error-Type"), "ValueError");
    EXPECT_EQ(r.header("Lambda-Runtime-Function-XRay-Error-Cause"), cause);
    EXPECT_EQ(r.header("User-Agent"), runtime_client::default_user_agent());
    EXPECT_EQ(r.body, body);
}

TEST(RuntimeClient, PostErrorSendsNoOptionalHeaderWhenTheirValuesAreEmpty) {
    fake_runtime_api api;
    api.then(answer::accepted());
    runtime_client client(api.endpoint());
    client.post_error(request_id, "{}");
    const auto reqs = api.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_FALSE(reqs[0].has_header("Lambda-Runtime-Function-Error-Type"));
    EXPECT_FALSE(reqs[0].has_header("Lambda-Runtime-Function-XRay-Error-Cause"));
}

TEST(RuntimeClient, XRayCauseOfOneMebibyteIsSentAndALargerOneIsDropped) {
    fake_runtime_api api;
    api.then(answer::accepted(), answer::accepted());
    runtime_client client(api.endpoint());
    const std::string at_limit(lambda_py27::max_xray_cause_bytes, 'c');
    const std::string above(lambda_py27::max_xray_cause_bytes + 1, 'c');
    client.post_error(request_id, "{}", "E", at_limit);
    client.post_error(request_id, "{}", "E", above);
    const auto reqs = api.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].header("Lambda-Runtime-Function-XRay-Error-Cause").size(), at_limit.size());
    EXPECT_FALSE(reqs[1].has_header("Lambda-Runtime-Function-XRay-Error-Cause"));
    EXPECT_EQ(reqs[1].header("Lambda-Runtime-Function-Error-Type"), "E");
}

TEST(RuntimeClient, HeaderValuesWithLineBreaksAreDroppedSoNoHeaderCanBeInjected) {
    fake_runtime_api api;
    api.then(answer::accepted(), answer::accepted());
    runtime_client client(api.endpoint());
    client.post_error(request_id, "{}", "E\r\nX-Injected: 1", "{}\r\nX-Injected: 2");
    client.post_response(request_id, "{}", "text/plain\r\nX-Injected: 3");
    const auto reqs = api.requests();
    ASSERT_EQ(reqs.size(), 2u);
    for (const auto& r : reqs) EXPECT_FALSE(r.has_header("X-Injected"));
    EXPECT_FALSE(reqs[0].has_header("Lambda-Runtime-Function-Error-Type"));
    EXPECT_FALSE(reqs[0].has_header("Lambda-Runtime-Function-XRay-Error-Cause"));
    EXPECT_FALSE(reqs[1].has_header("Content-Type"));
    EXPECT_EQ(reqs[1].body, "{}");
}

TEST(RuntimeClient, PostInitErrorSendsToTheInitErrorPath) {
    fake_runtime_api api;
    api.then(answer::accepted());
    runtime_client client(api.endpoint());
    client.post_init_error(R"({"errorMessage":"no module","errorType":"Runtime.ImportModuleError"})",
                           "Runtime.ImportModuleError");
    const auto reqs = api.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].method, "POST");
    EXPECT_EQ(reqs[0].target, "/2018-06-01/runtime/init/error");
    EXPECT_EQ(reqs[0].header("Lambda-Runtime-Function-Error-Type"), "Runtime.ImportModuleError");
    EXPECT_EQ(reqs[0].header("Content-Type"), "application/json");
}

struct status_case {
    int status;
    const char* error_type;
    errc expected;
};

void PrintTo(const status_case& c, std::ostream* os) { *os << c.status << " " << c.error_type; }

class RuntimeClientPostStatus : public ::testing::TestWithParam<status_case> {};

TEST_P(RuntimeClientPostStatus, MapsTheApisAnswerToItsErrorAndRemembersTheErrorType) {
    const status_case c = GetParam();
    fake_runtime_api api;
    api.then(answer::api_error(c.status, c.error_type), answer::api_error(c.status, c.error_type),
             answer::api_error(c.status, c.error_type), answer::api_error(c.status, c.error_type));
    runtime_client client(api.endpoint());

    std::error_code ec;
    client.post_response(request_id, "{}", "application/json", ec);
    EXPECT_EQ(ec, c.expected);
    EXPECT_EQ(client.last_api_error_type(), c.error_type);

    client.post_error(request_id, "{}", "E", "", ec);
    EXPECT_EQ(ec, c.expected);
    EXPECT_EQ(client.last_api_error_type(), c.error_type);

    try {
        client.post_response(request_id, "{}");
        ADD_FAILURE() << "no exception";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), c.expected);
    }
    try {
        client.post_error(request_id, "{}");
        ADD_FAILURE() << "no exception";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), c.expected);
    }
    // An error answer is a complete answer: the connection is kept.
    EXPECT_EQ(api.accepted_connections(), 1u);
}

INSTANTIATE_TEST_SUITE_P(ErrorAnswers, RuntimeClientPostStatus,
                         ::testing::Values(status_case{400, "InvalidRequestID", errc::invalid_request_id},
                                           status_case{403, "InvalidStateTransition", errc::invalid_state_transition},
                                           status_case{413, "RequestEntityTooLarge", errc::payload_too_large},
                                           status_case{500, "Runtime.Unknown", errc::container_error},
                                           status_case{404, "NotFound", errc::protocol_error}),
                         [](const ::testing::TestParamInfo<status_case>& p) {
                             return "Status" + std::to_string(p.param.status);
                         });

TEST(RuntimeClient, Post202IsSuccessAndClearsTheLastErrorType) {
    fake_runtime_api api;
    api.then(answer::api_error(403, "InvalidStateTransition"), answer::accepted());
    runtime_client client(api.endpoint());
    std::error_code ec;
    client.post_response(request_id, "{}", "application/json", ec);
    EXPECT_EQ(client.last_api_error_type(), "InvalidStateTransition");
    client.post_response(request_id, "{}", "application/json", ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(client.last_api_error_type(), "");
}

TEST(RuntimeClient, ErrorAnswerWithoutAJsonBodyLeavesTheErrorTypeEmpty) {
    fake_runtime_api api;
    api.then(answer::http(400, "not json"));
    runtime_client client(api.endpoint());
    std::error_code ec;
    client.post_response(request_id, "{}", "application/json", ec);
    EXPECT_EQ(ec, errc::invalid_request_id);
    EXPECT_EQ(client.last_api_error_type(), "");
}

// ---- the connection -------------------------------------------------------------------------------

TEST(RuntimeClient, ManyCallsShareOneKeepAliveConnection) {
    fake_runtime_api api;
    for (int i = 0; i < 20; ++i) api.then(answer::event("id-" + std::to_string(i)), answer::accepted());
    runtime_client client(api.endpoint());
    for (int i = 0; i < 20; ++i) {
        const invocation inv = client.next();
        EXPECT_EQ(inv.request_id, "id-" + std::to_string(i));
        client.post_response(inv.request_id, "{}");
    }
    EXPECT_EQ(api.accepted_connections(), 1u);
    EXPECT_EQ(api.request_count(), 40u);
}

TEST(RuntimeClient, SteadyStateNextAndPostAllocateNothing) {
    fake_runtime_api api;
    const header_list headers = {{"Lambda-Runtime-Deadline-Ms", "4102444800000"},
                                 {"Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:1:function:f"},
                                 {"Lambda-Runtime-Trace-Id", "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1"},
                                 {"Content-Type", "application/json"}};
    for (int i = 0; i < 10; ++i)
        api.then(answer::event(request_id, std::string(3000, 'e'), headers), answer::accepted());
    runtime_client client(api.endpoint());
    invocation inv;
    const std::string result(2000, 'r');
    std::error_code ec;
    std::size_t first_calls = 0, during_steady_state = 0;
    for (int i = 0; i < 10; ++i) {
        const std::size_t before = allocations;
        client.next(inv, ec);
        ASSERT_FALSE(ec) << ec.message();
        client.post_response(inv.request_id, result, "application/json", ec);
        ASSERT_FALSE(ec) << ec.message();
        (i < 2 ? first_calls : during_steady_state) += allocations - before;  // the first calls size the buffers
    }
    EXPECT_GT(first_calls, 0u);  // the counter does count
    EXPECT_EQ(during_steady_state, 0u);
}

TEST(RuntimeClient, PostOnAnIdleConnectionThePeerClosedGoesOutOnceOnANewConnection) {
    fake_runtime_api api;
    api.then(answer::event(request_id).then_close(), answer::accepted());
    runtime_client client(api.endpoint());
    const invocation inv = client.next();
    ASSERT_TRUE(api.wait_for_closed_connections(1));

    std::error_code ec;
    client.post_response(inv.request_id, "{}", "application/json", ec);
    EXPECT_FALSE(ec) << ec.message();
    settle();
    const auto reqs = api.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[1].method, "POST");
    EXPECT_EQ(reqs[1].connection, 2u);
    EXPECT_EQ(api.accepted_connections(), 2u);
}

TEST(RuntimeClient, NextOnAnIdleConnectionThePeerClosedIsRetriedOnANewConnection) {
    fake_runtime_api api;
    api.then(answer::event("first"), answer::accepted().then_close(), answer::event("second"));
    runtime_client client(api.endpoint());
    client.post_response(client.next().request_id, "{}");
    ASSERT_TRUE(api.wait_for_closed_connections(1));

    std::error_code ec;
    invocation inv;
    client.next(inv, ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(inv.request_id, "second");
    EXPECT_EQ(api.accepted_connections(), 2u);
}

TEST(RuntimeClient, IdleConnectionClosedAndNoReconnectPossibleIsApiUnavailable) {
    fake_runtime_api api;
    api.then(answer::event(request_id).then_close());
    runtime_client client(api.endpoint());
    invocation inv = client.next();
    ASSERT_TRUE(api.wait_for_closed_connections(1));
    api.stop_listening();

    std::error_code ec;
    client.post_response(inv.request_id, "{}", "application/json", ec);
    EXPECT_EQ(ec, errc::api_unavailable);
    client.next(inv, ec);
    EXPECT_EQ(ec, errc::api_unavailable);
    EXPECT_EQ(api.request_count(), 1u);
}

TEST(RuntimeClient, ReconnectsAfterAnAnswerWithConnectionClose) {
    fake_runtime_api api;
    api.then(answer::http(200, "{}", {{"Lambda-Runtime-Aws-Request-Id", "a"}, {"Connection", "close"}}).then_close(),
             answer::accepted());
    runtime_client client(api.endpoint());
    const invocation inv = client.next();
    EXPECT_EQ(inv.request_id, "a");
    client.post_response(inv.request_id, "{}");
    const auto reqs = api.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[1].connection, 2u);
}

TEST(RuntimeClient, ReadsAnHttp10AnswerThatEndsAtConnectionClose) {
    fake_runtime_api api;
    api.then(answer::raw("HTTP/1.0 202 Accepted\r\n\r\n{\"status\":\"OK\"}").then_close(), answer::accepted());
    runtime_client client(api.endpoint());
    std::error_code ec;
    client.post_response(request_id, "{}", "application/json", ec);
    EXPECT_FALSE(ec) << ec.message();
    client.post_response(request_id, "{}", "application/json", ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(api.accepted_connections(), 2u);
}

struct cut_case {
    const char* name;
    std::size_t cut;  // bytes of the 202 answer written before the server hangs up
};

void PrintTo(const cut_case& c, std::ostream* os) { *os << c.name << " (" << c.cut << " bytes)"; }

class RuntimeClientPostCut : public ::testing::TestWithParam<cut_case> {};

TEST_P(RuntimeClientPostCut, PostWhoseAnswerIsCutIsAnErrorAndIsNeverSentAgain) {
    fake_runtime_api api;
    const std::size_t cut = GetParam().cut;
    api.then(answer::event(request_id), answer::accepted().cut_after(cut), answer::event("later"));
    runtime_client client(api.endpoint());
    const invocation inv = client.next();

    std::error_code ec;
    client.post_response(inv.request_id, "{}", "application/json", ec);
    EXPECT_EQ(ec, errc::api_unavailable);
    settle();
    EXPECT_EQ(api.request_count(), 2u);  // the GET and one POST
    EXPECT_EQ(api.accepted_connections(), 1u);

    // The client recovers on a new connection for the next call.
    EXPECT_EQ(client.next().request_id, "later");
    EXPECT_EQ(api.accepted_connections(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Cuts, RuntimeClientPostCut,
                         ::testing::Values(cut_case{"NothingAtAll", 0}, cut_case{"MidStatusLine", 7},
                                           cut_case{"MidHeaders", 30}, cut_case{"MidBody", 80}),
                         [](const ::testing::TestParamInfo<cut_case>& p) { return std::string(p.param.name); });

TEST(RuntimeClient, NextWhoseAnswerIsCutMidBodyIsAnError) {
    fake_runtime_api api;
    api.then(answer::event(request_id, std::string(1000, 'x')).cut_after(200));
    runtime_client client(api.endpoint());
    invocation inv;
    std::error_code ec;
    client.next(inv, ec);
    EXPECT_EQ(ec, errc::api_unavailable);
    EXPECT_TRUE(inv.request_id.empty());
    settle();
    EXPECT_EQ(api.request_count(), 1u);
}

TEST(RuntimeClient, NextOnAFreshConnectionThatGetsNoAnswerIsNotRetried) {
    fake_runtime_api api;
    api.then(answer::hang_up());
    runtime_client client(api.endpoint());
    invocation inv;
    std::error_code ec;
    client.next(inv, ec);
    EXPECT_EQ(ec, errc::api_unavailable);
    settle();
    EXPECT_EQ(api.accepted_connections(), 1u);
}

TEST(RuntimeClient, AnswerDribbledByteByByteStillParses) {
    fake_runtime_api api;
    api.then(answer::event(request_id, R"({"slow":true})", {{"Lambda-Runtime-Trace-Id", "Root=1"}}).dribbled(200us),
             answer::accepted().dribbled(200us));
    runtime_client client(api.endpoint());
    const invocation inv = client.next();
    EXPECT_EQ(inv.request_id, request_id);
    EXPECT_EQ(inv.trace_id, "Root=1");
    EXPECT_EQ(inv.body, R"({"slow":true})");
    std::error_code ec;
    client.post_response(inv.request_id, "{}", "application/json", ec);
    EXPECT_FALSE(ec) << ec.message();
}

TEST(RuntimeClient, ServerNotListeningIsApiUnavailable) {
    runtime_client client(lambda_py27::test_support::unused_endpoint());
    invocation inv;
    std::error_code ec;
    client.next(inv, ec);
    EXPECT_EQ(ec, errc::api_unavailable);
    client.post_response(request_id, "{}", "application/json", ec);
    EXPECT_EQ(ec, errc::api_unavailable);
    client.post_error(request_id, "{}", "", "", ec);
    EXPECT_EQ(ec, errc::api_unavailable);
    client.post_init_error("{}", "", ec);
    EXPECT_EQ(ec, errc::api_unavailable);
    EXPECT_THROW(client.next(), std::system_error);
}

TEST(RuntimeClient, UnresolvableHostIsApiUnavailable) {
    runtime_client client("no-such-host.invalid:9001");
    invocation inv;
    std::error_code ec;
    client.next(inv, ec);
    EXPECT_EQ(ec, errc::api_unavailable);
}

TEST(RuntimeClient, HeaderLineOfOneMegabyteIsAProtocolErrorNotACrash) {
    fake_runtime_api api;
    api.then(answer::event(request_id, "{}", {{"X-Huge", std::string(1024 * 1024, 'h')}}), answer::event("after"));
    runtime_client client(api.endpoint());
    invocation inv;
    std::error_code ec;
    client.next(inv, ec);
    EXPECT_EQ(ec, errc::protocol_error);
    // The connection is dropped and a new one serves the next call.
    client.next(inv, ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(inv.request_id, "after");
}

TEST(RuntimeClient, MalformedHttpIsAProtocolError) {
    for (const char* bytes :
         {"garbage\r\n\r\n", "HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n",
          "HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n", "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
          "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a\x01"
          "b\r\nContent-Length: 0\r\n\r\n",
          "HTTP/1.1 200 OK\nContent-Length: 0\n\n"}) {
        EXPECT_EQ(next_error_for(bytes), errc::protocol_error) << bytes;
    }
}

TEST(RuntimeClient, EventAboveTheBodyLimitIsAProtocolError) {
    fake_runtime_api api;
    api.then(answer::raw("HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a\r\nContent-Length: 1000000000\r\n\r\n"));
    runtime_client client(api.endpoint());
    invocation inv;
    std::error_code ec;
    client.next(inv, ec);
    EXPECT_EQ(ec, errc::protocol_error);
}

TEST(RuntimeClient, UnaskedBytesAfterAnAnswerMakeTheClientStartAFreshConnection) {
    fake_runtime_api api;
    // Two answers in one write: the second was never asked for.
    api.then(answer::raw(answer::event("first").bytes + answer::event("unasked").bytes), answer::event("second"));
    runtime_client client(api.endpoint());
    EXPECT_EQ(client.next().request_id, "first");
    EXPECT_EQ(client.next().request_id, "second");
    EXPECT_EQ(api.accepted_connections(), 2u);
}

TEST(RuntimeClient, MovedClientKeepsItsConnection) {
    fake_runtime_api api;
    api.then(answer::event("a"), answer::event("b"));
    runtime_client first(api.endpoint());
    EXPECT_EQ(first.next().request_id, "a");
    runtime_client second(std::move(first));
    EXPECT_EQ(second.next().request_id, "b");
    EXPECT_EQ(api.accepted_connections(), 1u);
}

}  // namespace

// The Runtime API's plain answers are read without Beast's parser; every other shape goes to Beast. Both
// must give the same invocation: the same head is sent plain (Content-Length), as chunked and as
// HTTP/1.0 (both Beast's), with odd spacing and case, in one piece and byte by byte.
namespace {
std::string head_fields() {
    return "lambda-runtime-aws-request-id:req-1  \r\n"
           "Lambda-Runtime-Deadline-Ms: \t4102444800000\r\n"
           "LAMBDA-RUNTIME-INVOKED-FUNCTION-ARN: arn:aws:lambda:us-east-1:1:function:f\r\n"
           "Lambda-Runtime-Trace-Id: Root=1-2;Parent=3;Sampled=1\r\n"
           "Lambda-Runtime-Client-Context: {\"custom\": {\"k\": \"v\"}}\r\n"
           "Lambda-Runtime-Cognito-Identity: {\"cognitoIdentityId\": \"x\"}\r\n"
           "Lambda-Runtime-Aws-Tenant-Id: tenant\r\n"
           "X-Other: ignored\r\n"
           "content-type: application/json; charset=utf-8\r\n";
}
}  // namespace

TEST(RuntimeClient, PlainAndGeneralAnswersGiveTheSameInvocation) {
    const std::string body = R"({"k": [1, 2, 3]})";
    const std::string plain =
        "HTTP/1.1 200 OK\r\n" + head_fields() + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    const std::string chunked = "HTTP/1.1 200 OK\r\n" + head_fields() + "Transfer-Encoding: chunked\r\n\r\n" + "5\r\n" +
                                body.substr(0, 5) + "\r\n" + "b\r\n" + body.substr(5) + "\r\n0\r\n\r\n";
    const std::string http10 =
        "HTTP/1.0 200 OK\r\n" + head_fields() + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    std::vector<invocation> got;
    for (const std::string& bytes : {plain, chunked, http10}) {
        for (bool dribble : {false, true}) {
            fake_runtime_api api;
            answer a = answer::raw(bytes);
            if (dribble) a = std::move(a).dribbled(std::chrono::microseconds(50));
            api.then(std::move(a));
            runtime_client client(api.endpoint());
            invocation inv;
            std::error_code ec;
            client.next(inv, ec);
            ASSERT_FALSE(ec) << ec.message() << "\n" << bytes;
            got.push_back(inv);
        }
    }
    const invocation& first = got.front();
    EXPECT_EQ(first.request_id, "req-1");
    EXPECT_EQ(first.deadline_ms, 4102444800000);
    EXPECT_EQ(first.function_arn, "arn:aws:lambda:us-east-1:1:function:f");
    EXPECT_EQ(first.trace_id, "Root=1-2;Parent=3;Sampled=1");
    EXPECT_EQ(first.client_context, R"({"custom": {"k": "v"}})");
    EXPECT_EQ(first.cognito_identity, R"({"cognitoIdentityId": "x"})");
    EXPECT_EQ(first.tenant_id, "tenant");
    EXPECT_EQ(first.content_type, "application/json; charset=utf-8");
    EXPECT_EQ(first.body, body);
    for (const invocation& inv : got) {
        EXPECT_EQ(inv.request_id, first.request_id);
        EXPECT_EQ(inv.deadline_ms, first.deadline_ms);
        EXPECT_EQ(inv.function_arn, first.function_arn);
        EXPECT_EQ(inv.trace_id, first.trace_id);
        EXPECT_EQ(inv.client_context, first.client_context);
        EXPECT_EQ(inv.cognito_identity, first.cognito_identity);
        EXPECT_EQ(inv.tenant_id, first.tenant_id);
        EXPECT_EQ(inv.content_type, first.content_type);
        EXPECT_EQ(inv.body, first.body);
    }
}

namespace {

// What next() makes of each of `heads` (an answer's head with its "HTTP/1.x" left out, and its body),
// sent once as HTTP/1.1, which the plain reader reads when it is clean, and once as HTTP/1.0, which only
// Beast's parser reads. Both must give the same: an error from both, or the same invocation.
struct both_ways {
    std::size_t compared = 0, accepted = 0;

    void check(const std::vector<std::string>& heads) {
        std::vector<std::pair<std::error_code, invocation>> outcomes[2];
        for (int v = 0; v < 2; ++v) {
            fake_runtime_api api;
            for (const auto& h : heads) api.then(answer::raw((v == 0 ? "HTTP/1.1" : "HTTP/1.0") + h));
            runtime_client client(api.endpoint());
            for (std::size_t i = 0; i < heads.size(); ++i) {
                invocation inv;
                std::error_code ec;
                client.next(inv, ec);
                outcomes[v].emplace_back(ec, inv);
            }
        }
        for (std::size_t i = 0; i < heads.size(); ++i) {
            const auto& [plain_ec, plain] = outcomes[0][i];
            const auto& [beast_ec, beast] = outcomes[1][i];
            ++compared;
            EXPECT_EQ(static_cast<bool>(plain_ec), static_cast<bool>(beast_ec))
                << plain_ec.message() << " / " << beast_ec.message() << "\n"
                << heads[i];
            if (plain_ec || beast_ec) continue;
            ++accepted;
            EXPECT_EQ(plain.request_id, beast.request_id) << heads[i];
            EXPECT_EQ(plain.trace_id, beast.trace_id) << heads[i];
            EXPECT_EQ(plain.deadline_ms, beast.deadline_ms) << heads[i];
            EXPECT_EQ(plain.function_arn, beast.function_arn) << heads[i];
            EXPECT_EQ(plain.client_context, beast.client_context) << heads[i];
            EXPECT_EQ(plain.cognito_identity, beast.cognito_identity) << heads[i];
            EXPECT_EQ(plain.tenant_id, beast.tenant_id) << heads[i];
            EXPECT_EQ(plain.content_type, beast.content_type) << heads[i];
            EXPECT_EQ(plain.body, beast.body) << heads[i];
        }
    }
};

}  // namespace

// The plain reader reads a head eight bytes at a time. Every byte value that matters to it (control
// characters, tab, DEL, bytes above 0x7f, ':', space), at every offset across two words of a value and of
// the status line's reason, must give what Beast's parser gives.
TEST(RuntimeClient, PlainReaderAgreesWithBeastOnEveryByteAtEveryOffset) {
    std::vector<unsigned char> probes;
    for (int c = 0; c < 0x20; ++c) probes.push_back(static_cast<unsigned char>(c));
    for (int c : {0x20, int{':'}, int{'~'}, 0x7f, 0x80, 0xa0, 0xfe, 0xff})
        probes.push_back(static_cast<unsigned char>(c));
    both_ways check;
    for (bool in_reason : {false, true}) {
        std::vector<std::string> heads;
        for (unsigned char probe : probes) {
            for (std::size_t at = 0; at < 17; ++at) {
                std::string text = "Root=1-abcdefgh-ij";
                text.insert(at, 1, static_cast<char>(probe));
                const std::string reason = in_reason ? text : "OK";
                const std::string trace = in_reason ? "t" : text;
                heads.push_back(" 200 " + reason + "\r\nLambda-Runtime-Aws-Request-Id: r\r\nLambda-Runtime-Trace-Id: " +
                                trace + "\r\nContent-Length: 2\r\n\r\n{}");
            }
        }
        check.check(heads);
    }
    EXPECT_EQ(check.compared, 2 * probes.size() * 17);
    // Both take exactly tab, space, ':', '~' and the bytes above 0x7f, wherever they are.
    EXPECT_EQ(check.accepted, 2 * 8 * 17u);
}

// Random heads from the shapes a Runtime API answer can take, bent the ways a peer can bend them: names
// in any case, names with a byte that is not a token character, space before the colon, several colons,
// tabs and odd bytes in values, lines of every length. The plain reader must agree with Beast on each.
TEST(RuntimeClient, PlainReaderAgreesWithBeastOnRandomHeads) {
    std::mt19937 rng(20261126);
    const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    const auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
    const std::string value_bytes = "abcXYZ019-_.:;=/ ,\t\"{}";
    const std::string odd_bytes = std::string("\x01\x7f\x80\xff\r\n\x0b", 7);
    const auto value = [&](std::size_t max) {
        std::string v;
        for (std::size_t n = pick(max + 1); n > 0; --n)
            v += chance(3) ? odd_bytes[pick(odd_bytes.size())] : value_bytes[pick(value_bytes.size())];
        return v;
    };
    const auto recase = [&](std::string name) {
        for (char& c : name)
            if (chance(30))
                c = static_cast<char>(std::isupper(static_cast<unsigned char>(c)) ? std::tolower(c) : std::toupper(c));
        if (chance(3)) name[pick(name.size())] = "( @\"/"[pick(5)];  // not a token character
        return name;
    };
    const std::vector<std::string> names = {"Lambda-Runtime-Aws-Request-Id",
                                            "Lambda-Runtime-Trace-Id",
                                            "Lambda-Runtime-Deadline-Ms",
                                            "Lambda-Runtime-Invoked-Function-Arn",
                                            "Lambda-Runtime-Client-Context",
                                            "Lambda-Runtime-Cognito-Identity",
                                            "Lambda-Runtime-Aws-Tenant-Id",
                                            "Lambda-Runtime-Aws-Request-Ix",
                                            "Lambda-Runtime-Other",
                                            "Content-Type",
                                            "Date",
                                            "X-Amzn-Something",
                                            "Connection"};
    std::vector<std::string> heads;
    for (int n = 0; n < 1500; ++n) {
        std::string h = " 200 " + (chance(90) ? std::string("OK") : value(12)) + "\r\n";
        if (chance(95))
            h += recase("Lambda-Runtime-Aws-Request-Id") + ":" + (chance(80) ? " " : "") + "req-" + std::to_string(n) +
                 (chance(5) ? value(3) : "") + "\r\n";
        for (std::size_t lines = pick(7); lines > 0; --lines) {
            const std::string& name = names[pick(names.size())];
            std::string v = name == "Connection" ? (chance(50) ? "keep-alive" : "close")
                            : name == "Lambda-Runtime-Deadline-Ms" && chance(70)
                                ? std::to_string(rng() % 5000000000000ull)
                                : value(40);
            h += recase(name) + (chance(4) ? " :" : ":") +
                 (chance(70)   ? " "
                  : chance(50) ? "\t"
                               : "") +
                 v + (chance(20) ? " \t" : "") + "\r\n";
        }
        h += "Content-Length: 2\r\n\r\n{}";
        heads.push_back(std::move(h));
    }
    both_ways check;
    check.check(heads);
    EXPECT_EQ(check.compared, heads.size());
    // Most heads are clean enough to be taken, a good share are not: both paths are exercised.
    EXPECT_GT(check.accepted, heads.size() / 3);
    EXPECT_LT(check.accepted, heads.size() - heads.size() / 10);
}

// Heads the plain reader must hand to Beast at once rather than wait for a blank line: Beast's verdict
// (a protocol error) comes without the peer closing the connection.
TEST(RuntimeClient, AnswersThatAreNotPlainGetBeastsVerdictWithoutWaiting) {
    for (const char* bytes :
         {"HTTP/1.1 200 OK\nContent-Length: 0\n\n", "HTTP/1.1 200 OK\r\nX: a\nb\r\n\r\n", "\nHTTP/1.1 200 OK\r\n\r\n",
          // no blank line yet, and none is needed to see that these are not HTTP
          "HTTP/1.1 200 OK\r\nX: a\x01"
          "b\r\n",
          "garbage, not a status line\r\n"}) {
        EXPECT_EQ(next_error_for(bytes), errc::protocol_error) << bytes;
    }
}

// A body larger than what arrived with the head is read straight into the invocation, in pieces.
TEST(RuntimeClient, PlainAnswerBodyArrivingInPiecesIsReadWhole) {
    const std::string body(3 * 1024 * 1024 + 7, 'z');
    fake_runtime_api api;
    api.then(answer::event(request_id, "\"" + body + "\""));
    runtime_client client(api.endpoint());
    const invocation inv = client.next();
    EXPECT_EQ(inv.body.size(), body.size() + 2);
    EXPECT_EQ(inv.body.substr(1, body.size()), body);
    EXPECT_EQ(inv.request_id, request_id);
}

// Found by fuzz/fuzz_answer_reader_vs_beast.cpp: the plain reader waited for the end of a head whose
// first lines Beast already refuses, so an answer cut there was a lost connection (exit status 4) where
// Beast says it cannot be understood (5). A head cut while still sound is a lost connection for both.
TEST(RuntimeClient, AnswerCutMidHeadGetsBeastsVerdict) {
    const auto next_error_for_cut = [](const char* bytes) {
        fake_runtime_api api;
        api.then(answer::raw(bytes).then_close());
        runtime_client client(api.endpoint());
        invocation inv;
        std::error_code ec;
        client.next(inv, ec);
        return ec;
    };
    EXPECT_EQ(next_error_for_cut("HTTP/1.1 200 OK\r\nContent-Type: a\x05"
                                 "b\r\n"),
              errc::protocol_error);
    EXPECT_EQ(next_error_for_cut("garbage, not a status line\r\n"), errc::protocol_error);
    EXPECT_EQ(next_error_for_cut("HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a\r\n"), errc::api_unavailable);
}

// Beast gives a 304 no body, whatever its Content-Length says (RFC 9110); the plain reader read one, so an
// errorType in it was remembered. Found reading the code; the differential fuzzer reports it.
TEST(RuntimeClient, A304AnswerHasNoBodyWhateverItsContentLengthSays) {
    fake_runtime_api api;
    api.then(answer::raw("HTTP/1.1 304 Not Modified\r\nContent-Length: 24\r\n\r\n{\"errorType\": \"Ignored\"}"));
    runtime_client client(api.endpoint());
    std::error_code ec;
    client.post_response(request_id, "{}", "application/json", ec);
    EXPECT_EQ(ec, errc::protocol_error);
    EXPECT_EQ(client.last_api_error_type(), "");
}
