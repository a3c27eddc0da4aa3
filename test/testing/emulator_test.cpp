// The Runtime API emulator, over real sockets, with real runtime processes.
#include <lambda_py27/testing/emulator.hpp>

#include <lambda_py27/runtime/run_loop.hpp>
#include <lambda_py27/runtime/runtime_client.hpp>
#include "support/raw_http.hpp"
#include "testing/text.hpp"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;  // NOLINT: POSIX

namespace {

namespace lt = lambda_py27::testing;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using lambda_py27::test_support::connect_to;
using lambda_py27::test_support::raw_answer;
using lambda_py27::test_support::raw_request;
using lambda_py27::test_support::read_raw_answer;
using namespace std::chrono_literals;

const std::string bin_dir = LAMBDA_PY27_BIN_DIR;
const std::string fixture = bin_dir + "/lambda-py27-test-cpp-runtime";
constexpr auto wait_limit = 20s;  // a test waiting this long has failed

// ---- raw HTTP, for what runtime_client deliberately cannot send ------------------------------------

// A streamed response as a runtime sends it: chunked, with the error trailers announced.
struct stream_upload {
    net::io_context ioc;
    tcp::socket socket{ioc};
    beast::flat_buffer buffer;

    stream_upload(const std::string& endpoint, const std::string& request_id) {
        connect_to(socket, ioc, endpoint);
        http::request<http::empty_body> req{http::verb::post,
                                            "/2018-06-01/runtime/invocation/" + request_id + "/response", 11};
        req.set(http::field::host, endpoint);
        req.set(http::field::content_type, "text/plain");
        req.set("Lambda-Runtime-Function-Response-Mode", "streaming");
        req.set(http::field::trailer, "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body");
        req.chunked(true);
        http::request_serializer<http::empty_body> sr{req};
        http::write_header(socket, sr);
    }
    void chunk(const std::string& data) { net::write(socket, http::make_chunk(net::buffer(data))); }
    raw_answer finish(const http::fields& trailers = {}) {
        net::write(socket, http::make_chunk_last(trailers));
        return read_raw_answer(socket, buffer);
    }
};

std::string json_string(const boost::json::value& v, const char* key) {
    const auto* p = v.as_object().if_contains(key);
    if (p == nullptr || !p->is_string()) return "<missing " + std::string(key) + ">";
    return std::string(p->as_string().c_str());
}

boost::json::value parse(const std::string& s) {
    boost::system::error_code ec;
    auto v = boost::json::parse(s, ec);
    EXPECT_FALSE(ec) << "not JSON: " << s;
    if (ec || !v.is_object()) return boost::json::object{};
    return v;
}

// What the emulator logs, readable while it writes (Event invokes log on the emulator's own thread).
class shared_log : public std::streambuf {
public:
    std::string str() const {
        std::lock_guard lk(m_);
        return text_;
    }

    // Waits until the log holds `needle` (false after `limit`).
    bool wait_for(const std::string& needle, std::chrono::milliseconds limit = wait_limit) const {
        for (const auto until = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < until;) {
            if (str().find(needle) != std::string::npos) return true;
            std::this_thread::sleep_for(10ms);
        }
        return str().find(needle) != std::string::npos;
    }

private:
    int_type overflow(int_type c) override {
        if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
        std::lock_guard lk(m_);
        text_.push_back(traits_type::to_char_type(c));
        return c;
    }
    std::streamsize xsputn(const char* s, std::streamsize n) override {
        std::lock_guard lk(m_);
        text_.append(s, static_cast<std::size_t>(n));
        return n;
    }

    mutable std::mutex m_;
    std::string text_;
};

// ---- the fixture -----------------------------------------------------------------------------------

class Emulator : public ::testing::Test {
protected:
    shared_log report;
    std::ostream report_stream{&report};
    std::unique_ptr<lt::emulator> emu;
    std::vector<std::thread> threads;

    void TearDown() override {
        if (emu) emu->stop();  // unblocks every runtime_client and caller still waiting
        for (auto& t : threads) t.join();
    }

    lt::emulator_options options() {
        lt::emulator_options o;
        o.invoke_port = 0;
        o.report = &report_stream;
        o.timeout = 1s;
        return o;
    }

    lt::emulator& start(lt::emulator_options o) {
        emu = std::make_unique<lt::emulator>(std::move(o));
        emu->start();
        return *emu;
    }

    lt::emulator& start_external() { return start(options()); }

    lt::emulator& start_child(const std::string& behaviour, lt::emulator_options o) {
        o.runtime_command = {fixture};
        o.handler = behaviour;
        return start(std::move(o));
    }

    lt::emulator& start_child(const std::string& behaviour) { return start_child(behaviour, options()); }

    lt::invoke_result call(const std::string& event, const std::map<std::string, std::string>& headers = {}) {
        return lt::invoke("127.0.0.1", emu->invoke_port(), event, headers, wait_limit);
    }

    // Runs `f` on a thread joined at TearDown, after the emulator stopped. `f` must own what it uses.
    template <class F>
    auto background(F f) {
        using result = std::invoke_result_t<F&>;
        std::packaged_task<result()> task(std::move(f));
        auto future = task.get_future();
        threads.emplace_back(std::move(task));
        return future;
    }

    std::future<lt::invoke_result> call_in_background(const std::string& event,
                                                      std::map<std::string, std::string> headers = {}) {
        const auto port = emu->invoke_port();
        return background([port, event, headers] { return lt::invoke("127.0.0.1", port, event, headers, wait_limit); });
    }

    template <class T>
    static T get(std::future<T>& f) {
        if (f.wait_for(wait_limit) != std::future_status::ready) {
            ADD_FAILURE() << "timed out waiting";
            return T{};
        }
        return f.get();
    }
};

// ---- external runtime (the test is the runtime) ----------------------------------------------------

TEST_F(Emulator, AnExternalRuntimeGetsTheEventAndTheCallerGetsItsResponse) {
    start_external();
    auto caller = call_in_background(R"({"name": "world"})");
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto inv = rc.next();
    EXPECT_EQ(inv.body, R"({"name": "world"})");
    rc.post_response(inv.request_id, R"({"hello": "world"})");
    const auto res = get(caller);
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body, R"({"hello": "world"})");
    EXPECT_EQ(res.function_error, "");
    EXPECT_EQ(res.headers.at("X-Amzn-RequestId"), inv.request_id);
}

TEST_F(Emulator, TheRunLoopServesSeveralInvokesOverOneKeepAliveConnection) {
    start_external();
    const auto endpoint = emu->runtime_api_endpoint();
    auto served = background([endpoint] {
        lambda_py27::runtime_client rc(endpoint);
        lambda_py27::run_options ro;
        ro.max_invocations = 3;
        ro.log = [](std::string_view) {};
        return lambda_py27::run(
            rc,
            [](const lambda_py27::invocation& inv) {
                return lambda_py27::invocation_response::success("[" + inv.body + "]");
            },
            ro);
    });
    for (int i = 0; i < 3; ++i) {
        const auto res = call(std::to_string(i));
        EXPECT_EQ(res.status, 200);
        EXPECT_EQ(res.body, "[" + std::to_string(i) + "]");
    }
    EXPECT_EQ(get(served), 0);
}

TEST_F(Emulator, AFunctionErrorReachesTheCallerAsUnhandledWithItsTypeInTheBody) {
    start_external();
    auto caller = call_in_background("{}");
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto inv = rc.next();
    rc.post_error(inv.request_id, R"({"errorMessage": "boom", "errorType": "MyError"})", "MyError");
    const auto res = get(caller);
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body, R"({"errorMessage": "boom", "errorType": "MyError"})");
    EXPECT_EQ(res.function_error, "Unhandled");  // as Lambda: the runtime's error type is in the body
}

TEST_F(Emulator, AFunctionErrorWithoutErrorTypeIsReportedAsUnhandled) {
    start_external();
    auto caller = call_in_background("{}");
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto inv = rc.next();
    rc.post_error(inv.request_id, R"({"errorMessage": "boom"})");
    const auto res = get(caller);
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.function_error, "Unhandled");
}

TEST_F(Emulator, NextDeliversRequestIdDeadlineArnTraceIdAndDecodedClientContext) {
    auto o = options();
    o.function_name = "my-function";
    o.timeout = 3s;
    start(o);
    const std::string context = R"({"custom": {"k": "v"}, "env": {}, "client": {}})";
    auto caller = call_in_background(
        "{}", {{"X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"},
               {"X-Amz-Client-Context", lt::detail::base64_encode(context)}});
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto inv = rc.next();
    EXPECT_TRUE(std::regex_match(inv.request_id,
                                 std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
        << inv.request_id;
    const auto left = inv.remaining_time();
    EXPECT_GT(left, 2s);
    EXPECT_LE(left, 3s);
    EXPECT_EQ(inv.function_arn, "arn:aws:lambda:us-east-1:012345678912:function:my-function");
    EXPECT_EQ(inv.trace_id, "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
    EXPECT_EQ(inv.client_context, context);
    EXPECT_EQ(inv.cognito_identity, "");
    EXPECT_EQ(inv.content_type, "application/json");
    rc.post_response(inv.request_id, "null");
    EXPECT_EQ(get(caller).status, 200);
}

TEST_F(Emulator, ATraceIdIsGeneratedWhenTheCallerSendsNone) {
    start_external();
    auto caller = call_in_background("{}");
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto inv = rc.next();
    EXPECT_TRUE(
        std::regex_match(inv.trace_id, std::regex("Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0")))
        << inv.trace_id;
    EXPECT_EQ(inv.client_context, "");
    rc.post_response(inv.request_id, "null");
    get(caller);
}

TEST_F(Emulator, AClientContextThatIsNotBase64IsRejectedWith400) {
    start_external();
    const auto res = call("{}", {{"X-Amz-Client-Context", "{not base64}"}});
    EXPECT_EQ(res.status, 400);
    EXPECT_EQ(json_string(parse(res.body), "errorType"), "InvalidRequestContentException");
}

TEST_F(Emulator, AnEventInvokeCarriesItsTenantIdToTheRuntimeAsASynchronousOneDoes) {
    start_external();
    const auto res = call(R"("e")", {{"X-Amz-Invocation-Type", "Event"}, {"X-Amz-Tenant-Id", "tenant-7"}});
    EXPECT_EQ(res.status, 202);
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto queued = rc.next();
    EXPECT_EQ(queued.body, R"("e")");
    EXPECT_EQ(queued.request_id, res.headers.at("X-Amzn-RequestId"));
    EXPECT_EQ(queued.tenant_id, "tenant-7");
    rc.post_response(queued.request_id, "dropped");
    // The Event invocation has ended (its REPORT) before the next invoke asks for the one slot.
    EXPECT_TRUE(report.wait_for("REPORT RequestId: " + queued.request_id));
    auto sync = call_in_background(R"("s")", {{"X-Amz-Tenant-Id", "tenant-8"}});
    const auto direct = rc.next();
    EXPECT_EQ(direct.tenant_id, "tenant-8");
    rc.post_response(direct.request_id, "done");
    EXPECT_EQ(get(sync).body, "done");
}

TEST_F(Emulator, EventInvokesAreAnswered202AtOnceAndRunInOrderBehindTheOneInFlight) {
    start_external();
    auto sync = call_in_background(R"("sync")");
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto first = rc.next();  // the synchronous invoke is in flight
    EXPECT_EQ(first.body, R"("sync")");
    std::vector<std::string> ids;
    for (const std::string event : {R"("e1")", R"("e2")"}) {
        const auto t0 = std::chrono::steady_clock::now();
        const auto res = call(event, {{"X-Amz-Invocation-Type", "Event"}});
        EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);  // not held behind the invocation in flight
        EXPECT_EQ(res.status, 202);
        EXPECT_EQ(res.body, "");
        EXPECT_EQ(res.function_error, "");
        ids.push_back(res.headers.at("X-Amzn-RequestId"));
    }
    EXPECT_NE(ids[0], ids[1]);
    rc.post_response(first.request_id, "done");
    EXPECT_EQ(get(sync).body, "done");
    const auto e1 = rc.next();
    EXPECT_EQ(e1.body, R"("e1")");
    EXPECT_EQ(e1.request_id, ids[0]);
    rc.post_response(e1.request_id, "dropped");
    const auto e2 = rc.next();
    EXPECT_EQ(e2.body, R"("e2")");
    EXPECT_EQ(e2.request_id, ids[1]);
    rc.post_error(e2.request_id, R"({"errorMessage": "boom", "errorType": "MyError"})", "MyError");
    // Both ran as invocations: START, END and REPORT, in order, like any other.
    EXPECT_TRUE(report.wait_for("REPORT RequestId: " + ids[1]));
    const auto text = report.str();
    const auto start1 = text.find("START RequestId: " + ids[0]);
    const auto end1 = text.find("END RequestId: " + ids[0]);
    const auto start2 = text.find("START RequestId: " + ids[1]);
    ASSERT_NE(start1, std::string::npos) << text;
    ASSERT_NE(end1, std::string::npos) << text;
    ASSERT_NE(start2, std::string::npos) << text;
    EXPECT_LT(start1, end1);
    EXPECT_LT(end1, start2);
    // And the function is free for a synchronous invoke again.
    auto third = call_in_background("3");
    const auto inv3 = rc.next();
    rc.post_response(inv3.request_id, "three");
    EXPECT_EQ(get(third).body, "three");
}

TEST_F(Emulator, AnEventThatTimesOutKillsTheRuntimeAndTheNextEventGetsAFreshOne) {
    start_child("event");  // timeout 1 s
    const auto pid = call(R"("pid")");
    ASSERT_EQ(pid.status, 200);
    EXPECT_EQ(call(R"("sleep:10000")", {{"X-Amz-Invocation-Type", "Event"}}).status, 202);
    const auto echoed = call(R"("echo")", {{"X-Amz-Invocation-Type", "Event"}});
    EXPECT_EQ(echoed.status, 202);
    const auto id = echoed.headers.at("X-Amzn-RequestId");
    EXPECT_TRUE(report.wait_for("REPORT RequestId: " + id)) << report.str();
    EXPECT_NE(report.str().find("Task timed out after 1.00 seconds"), std::string::npos) << report.str();
    EXPECT_NE(::kill(std::stoi(pid.body), 0), 0);  // the first runtime was killed for the timeout
    EXPECT_EQ(call(R"("echo")").status, 200);
}

TEST_F(Emulator, StopEndsPromptlyWithEventsInFlightAndQueued) {
    auto o = options();
    o.timeout = 60s;
    start_child("event", o);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(call(R"("sleep:30000")", {{"X-Amz-Invocation-Type", "Event"}}).status, 202);
    EXPECT_TRUE(report.wait_for("START RequestId: "));
    std::this_thread::sleep_for(200ms);  // the runtime has the first one by now
    const auto t0 = std::chrono::steady_clock::now();
    emu->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

TEST_F(Emulator, ADryRunIsAnswered204AndRunsNothing) {
    start_external();
    const auto dry = call("{}", {{"X-Amz-Invocation-Type", "DryRun"}});
    EXPECT_EQ(dry.status, 204);
    EXPECT_EQ(dry.body, "");
    EXPECT_FALSE(dry.headers.at("X-Amzn-RequestId").empty());
    // Nothing was queued: the runtime's first event is the next invoke's.
    auto caller = call_in_background(R"("real")", {{"X-Amz-Invocation-Type", "RequestResponse"}});
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto inv = rc.next();
    EXPECT_EQ(inv.body, R"("real")");
    rc.post_response(inv.request_id, "1");
    EXPECT_EQ(get(caller).body, "1");
    EXPECT_EQ(report.str().find(dry.headers.at("X-Amzn-RequestId")), std::string::npos) << report.str();
}

TEST_F(Emulator, AnUnknownInvocationTypeIsRejectedWith400) {
    start_external();
    for (const std::string type : {"event", "Async"}) {  // the values are case-sensitive
        const auto res = call("{}", {{"X-Amz-Invocation-Type", type}});
        EXPECT_EQ(res.status, 400) << type;
        EXPECT_EQ(json_string(parse(res.body), "errorType"), "InvalidParameterValueException");
        EXPECT_NE(json_string(parse(res.body), "errorMessage").find(type), std::string::npos) << res.body;
    }
}

TEST_F(Emulator, AnAnswerForAnUnknownRequestIdIsRejectedWith400) {
    start_external();
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    std::error_code ec;
    rc.post_response("no-such-id", "{}", "application/json", ec);
    EXPECT_EQ(ec, lambda_py27::errc::invalid_request_id);
    EXPECT_EQ(rc.last_api_error_type(), "InvalidRequestID");

    const auto raw = raw_request(emu->runtime_api_endpoint(), http::verb::post,
                                 "/2018-06-01/runtime/invocation/no-such-id/error", "{}");
    EXPECT_EQ(raw.status, 400u);
    const auto doc = parse(raw.body);
    EXPECT_EQ(json_string(doc, "errorType"), "InvalidRequestID");
    EXPECT_NE(json_string(doc, "errorMessage"), "<missing errorMessage>");
}

TEST_F(Emulator, ASecondAnswerForOneRequestIdIsRejectedWith403) {
    start_external();
    auto caller = call_in_background("{}");
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto inv = rc.next();
    rc.post_response(inv.request_id, "1");
    std::error_code ec;
    rc.post_response(inv.request_id, "2", "application/json", ec);
    EXPECT_EQ(ec, lambda_py27::errc::invalid_state_transition);
    EXPECT_EQ(rc.last_api_error_type(), "InvalidStateTransition");
    rc.post_error(inv.request_id, "{}", {}, {}, ec);
    EXPECT_EQ(ec, lambda_py27::errc::invalid_state_transition);
    EXPECT_EQ(get(caller).body, "1");
}

TEST_F(Emulator, AResponseOverTheLimitIsRejectedWith413AndTheCallerGetsResponseSizeTooLarge) {
    start_external();
    auto caller = call_in_background("{}");
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto inv = rc.next();
    // runtime_client refuses to send such a body, so it goes over a raw connection.
    const auto raw = raw_request(emu->runtime_api_endpoint(), http::verb::post,
                                 "/2018-06-01/runtime/invocation/" + inv.request_id + "/response",
                                 std::string(lambda_py27::max_response_bytes + 1, 'x'));
    EXPECT_EQ(raw.status, 413u);
    EXPECT_EQ(json_string(parse(raw.body), "errorType"), "RequestEntityTooLarge");
    const auto res = get(caller);
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.function_error, "Unhandled");
    EXPECT_EQ(json_string(parse(res.body), "errorType"), "Function.ResponseSizeTooLarge");
    // The id counts as answered.
    std::error_code ec;
    rc.post_response(inv.request_id, "{}", "application/json", ec);
    EXPECT_EQ(ec, lambda_py27::errc::invalid_state_transition);
}

TEST_F(Emulator, AResponseOfExactlyTheLimitIsAccepted) {
    start_external();
    auto caller = call_in_background("{}");
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto inv = rc.next();
    rc.post_response(inv.request_id, std::string(lambda_py27::max_response_bytes, 'y'));
    const auto res = get(caller);
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body.size(), lambda_py27::max_response_bytes);
}

TEST_F(Emulator, AnEventOverTheLimitIsRejectedWith413AndTheEndpointStaysUsable) {
    auto o = options();
    o.max_event_bytes = 1000;
    start(o);
    const auto res = call(std::string(1001, 'x'));
    EXPECT_EQ(res.status, 413);
    EXPECT_EQ(json_string(parse(res.body), "errorType"), "RequestEntityTooLargeException");

    auto caller = call_in_background(std::string(1000, 'x'));
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto inv = rc.next();
    EXPECT_EQ(inv.body.size(), 1000u);
    rc.post_response(inv.request_id, "ok");
    EXPECT_EQ(get(caller).body, "ok");
}

TEST_F(Emulator, AConcurrentInvokeIsRejectedWith400) {
    start_external();
    auto first = call_in_background("1");
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto inv = rc.next();  // the first invoke is now in progress
    const auto second = call("2");
    EXPECT_EQ(second.status, 400);
    EXPECT_EQ(json_string(parse(second.body), "errorType"), "ResourceConflictException");
    rc.post_response(inv.request_id, "one");
    EXPECT_EQ(get(first).body, "one");
    // And the function is free again.
    auto third = call_in_background("3");
    const auto inv3 = rc.next();
    EXPECT_EQ(inv3.body, "3");
    rc.post_response(inv3.request_id, "three");
    EXPECT_EQ(get(third).body, "three");
}

TEST_F(Emulator, AnExternalRuntimeThatDoesNotAnswerInTimeGetsTheCallerATimeout) {
    auto o = options();
    o.timeout = 300ms;
    start(o);
    auto caller = call_in_background("{}");
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto inv = rc.next();
    const auto res = get(caller);
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.function_error, "Unhandled");
    const auto doc = parse(res.body);
    EXPECT_EQ(json_string(doc, "errorType"), "Sandbox.Timedout");
    EXPECT_EQ(json_string(doc, "errorMessage"), inv.request_id + " Task timed out after 0.30 seconds");
    std::error_code ec;
    rc.post_response(inv.request_id, "late", "application/json", ec);
    EXPECT_EQ(ec, lambda_py27::errc::invalid_request_id);
}

TEST_F(Emulator, AnInitErrorPostedByAnExternalRuntimeIsReturnedToTheNextInvoke) {
    start_external();
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    rc.post_init_error(R"({"errorMessage": "bad init", "errorType": "MyInitError"})", "MyInitError");
    const auto res = call("{}");
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.function_error, "Unhandled");
    EXPECT_EQ(res.body, R"({"errorMessage": "bad init", "errorType": "MyInitError"})");
}

TEST_F(Emulator, UnknownPathsAndMethodsAreAnsweredWithErrorDocuments) {
    start_external();
    const auto invoke_endpoint = "127.0.0.1:" + std::to_string(emu->invoke_port());
    auto res = raw_request(invoke_endpoint, http::verb::post, "/nope", "{}");
    EXPECT_EQ(res.status, 404u);
    EXPECT_EQ(json_string(parse(res.body), "errorType"), "ResourceNotFoundException");
    res = raw_request(invoke_endpoint, http::verb::get, "/2015-03-31/functions/function/invocations", "");
    EXPECT_EQ(res.status, 405u);
    res = raw_request(emu->runtime_api_endpoint(), http::verb::get, "/2018-06-01/runtime/nothing", "");
    EXPECT_EQ(res.status, 404u);
    EXPECT_NE(json_string(parse(res.body), "errorMessage"), "<missing errorMessage>");
    res = raw_request(emu->runtime_api_endpoint(), http::verb::post, "/2018-06-01/runtime/invocation/next", "");
    EXPECT_EQ(res.status, 405u);
}

TEST_F(Emulator, StopUnblocksAWaitingRuntimeAndAWaitingCaller) {
    start_external();
    const auto endpoint = emu->runtime_api_endpoint();
    auto runtime = background([endpoint] {
        lambda_py27::runtime_client rc(endpoint);
        lambda_py27::invocation inv;
        std::error_code ec;
        rc.next(inv, ec);
        return ec;
    });
    auto caller = background([port = emu->invoke_port()] {
        try {
            const auto res = lt::invoke("127.0.0.1", port, "{}", {}, wait_limit);
            return std::to_string(res.status) + " " + json_string(parse(res.body), "errorType");
        } catch (const std::system_error&) {
            return std::string("failed");
        }
    });
    std::this_thread::sleep_for(200ms);  // both are blocked by now (the runtime may have the event)
    const auto t0 = std::chrono::steady_clock::now();
    emu->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);  // the shutdown budget (500 ms) and no more
    EXPECT_EQ(runtime.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(caller.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(get(caller), "502 Sandbox.Shutdown");  // the caller in flight is answered, not cut off
}

// ---- response streaming ----------------------------------------------------------------------------

TEST_F(Emulator, AStreamedResponseReachesTheCallerChunkByChunk) {
    start_external();
    auto first_chunk_seen = std::make_shared<std::promise<void>>();
    auto caller = background([port = emu->invoke_port(), first_chunk_seen] {
        net::io_context ioc;
        tcp::socket socket(ioc);
        connect_to(socket, ioc, "127.0.0.1:" + std::to_string(port));
        http::request<http::string_body> req{http::verb::post, "/2015-03-31/functions/function/invocations", 11};
        req.set(http::field::host, "localhost");
        req.body() = "{}";
        req.prepare_payload();
        http::write(socket, req);
        beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        std::string body;
        bool first = true;
        auto on_body = [&](std::uint64_t, beast::string_view piece, beast::error_code&) {
            body.append(piece.data(), piece.size());
            if (first && !piece.empty()) {
                first = false;
                first_chunk_seen->set_value();
            }
            return piece.size();
        };
        parser.on_chunk_body(on_body);
        http::read(socket, buffer, parser);
        return std::make_pair(body, std::string(parser.get()["X-Amz-Function-Error"]));
    });
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto inv = rc.next();
    stream_upload up(emu->runtime_api_endpoint(), inv.request_id);
    up.chunk("hello, ");
    // The caller has the first chunk while the runtime is still streaming.
    EXPECT_EQ(first_chunk_seen->get_future().wait_for(wait_limit), std::future_status::ready);
    up.chunk("world");
    const auto answer = up.finish();
    EXPECT_EQ(answer.status, 202u);
    const auto [body, function_error] = get(caller);
    EXPECT_EQ(body, "hello, world");
    EXPECT_EQ(function_error, "");
}

TEST_F(Emulator, AnErrorInStreamTrailersReachesTheCallerInTrailersAsUnhandled) {
    start_external();
    auto caller = call_in_background("{}");
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto inv = rc.next();
    stream_upload up(emu->runtime_api_endpoint(), inv.request_id);
    up.chunk("partial");
    http::fields trailers;
    const auto error_body = lt::detail::base64_encode(R"({"errorMessage": "late", "errorType": "StreamError"})");
    trailers.set("Lambda-Runtime-Function-Error-Type", "StreamError");
    trailers.set("Lambda-Runtime-Function-Error-Body", error_body);
    EXPECT_EQ(up.finish(trailers).status, 202u);
    const auto res = get(caller);
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body, "partial");
    EXPECT_EQ(res.function_error, "Unhandled");
    EXPECT_EQ(res.headers.at("X-Amz-Function-Error-Body"), error_body);
    // The stream was the answer.
    std::error_code ec;
    rc.post_response(inv.request_id, "{}", "application/json", ec);
    EXPECT_EQ(ec, lambda_py27::errc::invalid_state_transition);
}

TEST_F(Emulator, AStreamErrorWithOnlyATypeGetsAnErrorBodyNamingIt) {
    start_external();
    auto caller = call_in_background("{}");
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto inv = rc.next();
    stream_upload up(emu->runtime_api_endpoint(), inv.request_id);
    up.chunk("partial");
    http::fields trailers;
    trailers.set("Lambda-Runtime-Function-Error-Type", "StreamError");
    EXPECT_EQ(up.finish(trailers).status, 202u);
    const auto res = get(caller);
    EXPECT_EQ(res.function_error, "Unhandled");
    std::string decoded;
    ASSERT_TRUE(lt::detail::base64_decode(res.headers.at("X-Amz-Function-Error-Body"), decoded));
    EXPECT_EQ(json_string(parse(decoded), "errorType"), "StreamError");
}

TEST_F(Emulator, TrailersSentAsTheLastDataChunkAreTakenAsTrailers) {
    start_external();
    auto caller = call_in_background("{}");
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto inv = rc.next();
    stream_upload up(emu->runtime_api_endpoint(), inv.request_id);
    up.chunk("data");
    const auto error_body = lt::detail::base64_encode(R"({"errorMessage": "x", "errorType": "Oops"})");
    up.chunk("Lambda-Runtime-Function-Error-Type: Oops\r\nLambda-Runtime-Function-Error-Body: " + error_body + "\r\n");
    EXPECT_EQ(up.finish().status, 202u);
    const auto res = get(caller);
    EXPECT_EQ(res.body, "data");
    EXPECT_EQ(res.function_error, "Unhandled");
    EXPECT_EQ(res.headers.at("X-Amz-Function-Error-Body"), error_body);
}

TEST_F(Emulator, AStreamingRuntimeThatNeverFinishesTimesOutWithTrailers) {
    auto o = options();
    o.timeout = 300ms;
    start(o);
    auto caller = call_in_background("{}");
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto inv = rc.next();
    stream_upload up(emu->runtime_api_endpoint(), inv.request_id);
    up.chunk("started");
    const auto res = get(caller);
    EXPECT_EQ(res.body, "started");
    EXPECT_EQ(res.function_error, "Unhandled");
    std::string decoded;
    ASSERT_TRUE(lt::detail::base64_decode(res.headers.at("X-Amz-Function-Error-Body"), decoded));
    EXPECT_EQ(json_string(parse(decoded), "errorType"), "Sandbox.Timedout");
}

// ---- a real runtime process ------------------------------------------------------------------------

TEST_F(Emulator, AChildRuntimeEchoesTheEventAndIsReusedForTheNextInvoke) {
    ASSERT_TRUE(std::filesystem::exists(fixture)) << fixture;
    start_child("event");
    const auto a = call(R"("pid")");
    const auto b = call(R"("pid")");
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.body, b.body);
    const auto echo = call(R"("echo")");
    EXPECT_EQ(echo.status, 200);
    EXPECT_EQ(echo.body, R"("echo")");
}

TEST_F(Emulator, AChildRuntimeChosenByHandlerEchoes) {
    start_child("echo");
    const auto res = call(R"({"a": [1, 2, 3]})");
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body, R"({"a": [1, 2, 3]})");
    EXPECT_EQ(res.function_error, "");
}

TEST_F(Emulator, AChildRuntimesErrorIsUnhandledWithItsErrorTypeInTheBody) {
    start_child("error");
    const auto res = call("{}");
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.function_error, "Unhandled");
    EXPECT_EQ(json_string(parse(res.body), "errorType"), "MyError");
}

TEST_F(Emulator, AChildRuntimeGetsThePlatformEnvironmentAndRunsInTheTaskRoot) {
    char dir_template[] = "/tmp/lambda-py27-emulator-test-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    const std::string task_root = std::filesystem::canonical(dir_template).string();
    auto o = options();
    o.function_name = "my-function";
    o.memory_mb = 256;
    o.task_root = task_root;
    o.environment = {{"LAMBDA_PY27_TEST_EXTRA", "yes"}};
    start_child("env", o);
    const auto res = call("{}", {{"X-Amzn-Trace-Id", "Root=1-00000000-000000000000000000000001;Sampled=0"}});
    std::filesystem::remove_all(task_root);
    ASSERT_EQ(res.status, 200) << res.body;
    const auto env = parse(res.body);
    EXPECT_EQ(json_string(env, "AWS_LAMBDA_FUNCTION_NAME"), "my-function");
    EXPECT_EQ(json_string(env, "AWS_LAMBDA_FUNCTION_VERSION"), "$LATEST");
    EXPECT_EQ(json_string(env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), "256");
    EXPECT_EQ(json_string(env, "AWS_LAMBDA_LOG_GROUP_NAME"), "/aws/lambda/Functions");
    EXPECT_EQ(json_string(env, "AWS_LAMBDA_LOG_STREAM_NAME"), "$LATEST");
    EXPECT_EQ(json_string(env, "AWS_REGION"), "us-east-1");
    EXPECT_EQ(json_string(env, "AWS_DEFAULT_REGION"), "us-east-1");
    EXPECT_EQ(json_string(env, "LAMBDA_TASK_ROOT"), task_root);
    EXPECT_EQ(json_string(env, "cwd"), task_root);
    EXPECT_EQ(json_string(env, "LAMBDA_RUNTIME_DIR"), "/var/runtime");
    EXPECT_EQ(json_string(env, "_HANDLER"), "env");
    EXPECT_EQ(json_string(env, "AWS_LAMBDA_RUNTIME_API"), emu->runtime_api_endpoint());
    EXPECT_EQ(json_string(env, "AWS_EXECUTION_ENV"), "AWS_Lambda_python2.7");
    EXPECT_EQ(json_string(env, "TZ"), ":UTC");
    EXPECT_EQ(json_string(env, "AWS_LAMBDA_INITIALIZATION_TYPE"), "on-demand");
    EXPECT_FALSE(json_string(env, "AWS_ACCESS_KEY_ID").empty());
    EXPECT_FALSE(json_string(env, "AWS_SECRET_ACCESS_KEY").empty());
    EXPECT_FALSE(json_string(env, "AWS_SESSION_TOKEN").empty());
    EXPECT_EQ(json_string(env, "_X_AMZN_TRACE_ID"), "Root=1-00000000-000000000000000000000001;Sampled=0");
    EXPECT_EQ(json_string(env, "LAMBDA_PY27_TEST_EXTRA"), "yes");
}

std::string log_result(const lt::invoke_result& res) {
    const auto it = res.headers.find("X-Amz-Log-Result");
    if (it == res.headers.end()) return "<no X-Amz-Log-Result>";
    std::string text;
    EXPECT_TRUE(lt::detail::base64_decode(it->second, text)) << it->second;
    return text;
}

TEST_F(Emulator, LogTypeTailAnswersWithTheInvocationsLogFromStartToReport) {
    start_child("event");
    const auto quiet = call(R"("say:before")");  // not part of the next invocation's log
    EXPECT_EQ(quiet.headers.count("X-Amz-Log-Result"), 0u);
    const auto res = call(R"("say:hello")", {{"X-Amz-Log-Type", "Tail"}});
    ASSERT_EQ(res.status, 200);
    const auto id = res.headers.at("X-Amzn-RequestId");
    const auto text = log_result(res);
    // Written just before the runtime answered, on both streams: none of it is missed.
    const std::regex whole("START RequestId: " + id +
                           " Version: \\$LATEST\n"
                           "(hello on stdout\nhello on stderr\n|hello on stderr\nhello on stdout\n)"
                           "END RequestId: " +
                           id + "\nREPORT RequestId: " + id + "\tDuration: [^\n]*\n");
    EXPECT_TRUE(std::regex_match(text, whole)) << text;
    EXPECT_EQ(text.find("before"), std::string::npos) << text;
}

TEST_F(Emulator, ALogTailIsTheLast4KBAndATimeoutIsInIt) {
    start_child("event");
    const auto res = call(R"("spam:10000")", {{"X-Amz-Log-Type", "Tail"}});
    const auto text = log_result(res);
    EXPECT_EQ(text.size(), 4096u);
    EXPECT_EQ(text.front(), 'x');
    EXPECT_NE(text.find("x\nEND RequestId: " + res.headers.at("X-Amzn-RequestId") + "\nREPORT"), std::string::npos)
        << text;

    const auto late = call(R"("sleep:5000")", {{"X-Amz-Log-Type", "Tail"}});
    const auto id = late.headers.at("X-Amzn-RequestId");
    EXPECT_NE(log_result(late).find(id + " Task timed out after 1.00 seconds\nEND RequestId: " + id), std::string::npos)
        << log_result(late);
}

TEST_F(Emulator, AnExternalRuntimesLogTailHasThePlatformLines) {
    start_external();
    auto caller = call_in_background("{}", {{"X-Amz-Log-Type", "Tail"}});
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto inv = rc.next();
    rc.post_response(inv.request_id, "{}");
    const auto text = log_result(get(caller));
    EXPECT_EQ(text.rfind("START RequestId: " + inv.request_id + " Version: $LATEST\nEND RequestId: " + inv.request_id +
                             "\nREPORT RequestId: ",
                         0),
              0u)
        << text;
}

TEST_F(Emulator, ATimedOutRuntimeIsKilledAndTheNextInvokeStartsAFreshOne) {
    start_child("event");
    const auto before = call(R"("pid")");
    ASSERT_EQ(before.status, 200);
    const auto t0 = std::chrono::steady_clock::now();
    const auto res = call(R"("sleep:10000")");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.function_error, "Unhandled");
    const auto doc = parse(res.body);
    EXPECT_EQ(json_string(doc, "errorType"), "Sandbox.Timedout");
    EXPECT_EQ(json_string(doc, "errorMessage"),
              res.headers.at("X-Amzn-RequestId") + " Task timed out after 1.00 seconds");
    const auto after = call(R"("pid")");
    EXPECT_EQ(after.status, 200);
    EXPECT_NE(after.body, before.body);
    EXPECT_NE(::kill(std::stoi(before.body), 0), 0);  // killed and reaped
}

TEST_F(Emulator, AHungInitCountsAgainstTheTimeoutFromTheInvoke) {
    start_child("slow_init:5000");  // timeout 1 s
    const auto t0 = std::chrono::steady_clock::now();
    const auto res = call(R"("echo")");
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(took, 1s);
    EXPECT_LT(took, 3s);  // not the init's own 10 s on top
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.function_error, "Unhandled");
    const auto doc = parse(res.body);
    EXPECT_EQ(json_string(doc, "errorType"), "Sandbox.Timedout");
    EXPECT_EQ(json_string(doc, "errorMessage"),
              res.headers.at("X-Amzn-RequestId") + " Task timed out after 1.00 seconds");
    EXPECT_NE(report.str().find("Task timed out after 1.00 seconds"), std::string::npos) << report.str();
}

TEST_F(Emulator, ARuntimeGetsTheTimeLeftAfterItsInit) {
    auto o = options();
    o.timeout = 3s;
    start_child("slow_init:1000", o);
    const auto cold = call(R"("remaining")");
    ASSERT_EQ(cold.status, 200) << cold.body;
    EXPECT_LE(std::stol(cold.body), 2000);  // the init's second is not given back
    EXPECT_GT(std::stol(cold.body), 0);
    const auto warm = call(R"("remaining")");
    EXPECT_GT(std::stol(warm.body), 2500);
}

TEST_F(Emulator, ARuntimeThatExitsDuringAnInvokeGets502AndTheNextInvokeStartsAFreshOne) {
    start_child("event");
    const auto res = call(R"("exit:3")");
    EXPECT_EQ(res.status, 502);
    const auto doc = parse(res.body);
    EXPECT_EQ(json_string(doc, "errorType"), "Runtime.ExitError");
    EXPECT_EQ(json_string(doc, "errorMessage"),
              "RequestId: " + res.headers.at("X-Amzn-RequestId") + " Error: Runtime exited with error: exit status 3");
    const auto next = call(R"("echo")");
    EXPECT_EQ(next.status, 200);
    EXPECT_EQ(next.body, R"("echo")");
}

TEST_F(Emulator, ARuntimeThatCrashesGets502NamingTheSignal) {
    start_child("event");
    const auto res = call(R"("crash")");
    EXPECT_EQ(res.status, 502);
    const auto doc = parse(res.body);
    EXPECT_EQ(json_string(doc, "errorType"), "Runtime.ExitError");
    EXPECT_NE(json_string(doc, "errorMessage").find("Runtime exited with error: signal: aborted"), std::string::npos)
        << res.body;
    EXPECT_EQ(call(R"("echo")").status, 200);
}

TEST_F(Emulator, AnInitErrorIsReturnedToTheFirstInvokeAndTheRuntimeIsStartedAgainNextTime) {
    start_child("init_error");
    for (int i = 0; i < 2; ++i) {
        const auto res = call("{}");
        EXPECT_EQ(res.status, 200);
        EXPECT_EQ(res.function_error, "Unhandled");
        EXPECT_EQ(json_string(parse(res.body), "errorType"), "MyInitError");
    }
}

TEST_F(Emulator, AMissingRuntimeExecutableGets502) {
    auto o = options();
    o.runtime_command = {"/nonexistent/lambda-runtime"};
    start(o);
    const auto res = call("{}");
    EXPECT_EQ(res.status, 502);
    EXPECT_EQ(json_string(parse(res.body), "errorType"), "Runtime.InvalidEntrypoint");
}

TEST_F(Emulator, AResponseOverTheLimitFromAChildIsAnErrorForTheCaller) {
    start_child("big:" + std::to_string(lambda_py27::max_response_bytes + 1));
    const auto res = call("{}");
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.function_error, "Unhandled");
    EXPECT_EQ(json_string(parse(res.body), "errorType"), "Function.ResponseSizeTooLarge");
}

TEST_F(Emulator, StartEndAndReportLinesArePrintedWithInitDurationOnlyForAColdStart) {
    start_child("echo");
    const auto a = call("1");
    const auto b = call("2");
    const auto id_a = a.headers.at("X-Amzn-RequestId");
    const auto id_b = b.headers.at("X-Amzn-RequestId");
    const auto text = report.str();
    const std::string number = R"([0-9]+\.[0-9]{2})";
    const std::regex cold("START RequestId: " + id_a + " Version: \\$LATEST\nEND RequestId: " + id_a +
                          "\nREPORT RequestId: " + id_a + "\tInit Duration: " + number + " ms\tDuration: " + number +
                          " ms\tBilled Duration: [0-9]+ ms\tMemory Size: 3008 MB\tMax Memory Used: [1-9][0-9]* MB\n");
    const std::regex warm("START RequestId: " + id_b + " Version: \\$LATEST\nEND RequestId: " + id_b +
                          "\nREPORT RequestId: " + id_b + "\tDuration: " + number +
                          " ms\tBilled Duration: [0-9]+ ms\tMemory Size: 3008 MB\tMax Memory Used: [1-9][0-9]* MB\n");
    EXPECT_TRUE(std::regex_search(text, cold)) << text;
    EXPECT_TRUE(std::regex_search(text, warm)) << text;
}

// ---- the command -----------------------------------------------------------------------------------

// Runs the emulator command with `args`, its output to /dev/null; returns the pid.
pid_t spawn_emulator(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {bin_dir + "/lambda-py27-emulator"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> ptrs;
    for (auto& a : argv) ptrs.push_back(a.data());
    ptrs.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, ptrs[0], &fa, nullptr, ptrs.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? pid : -1;
}

int exit_status_of(pid_t pid) {
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(EmulatorCommand, BadOptionsExitWithStatus2AndHelpWithStatus0) {
    if (!std::filesystem::exists(bin_dir + "/lambda-py27-emulator"))
        GTEST_SKIP() << "the emulator command is not built";
    EXPECT_EQ(exit_status_of(spawn_emulator({"--no-such-option"})), 2);
    EXPECT_EQ(exit_status_of(spawn_emulator({"--port", "http"})), 2);
    EXPECT_EQ(exit_status_of(spawn_emulator({"--port"})), 2);
    EXPECT_EQ(exit_status_of(spawn_emulator({"--timeout", "-1"})), 2);
    EXPECT_EQ(exit_status_of(spawn_emulator({"--env", "NOVALUE"})), 2);
    EXPECT_EQ(exit_status_of(spawn_emulator({"--help"})), 0);
}

TEST(EmulatorCommand, ServesInvokesWithTheGivenRuntimeAndStopsOnSigterm) {
    if (!std::filesystem::exists(bin_dir + "/lambda-py27-emulator"))
        GTEST_SKIP() << "the emulator command is not built";
    // A free port: bound, read, released (the emulator binds it with SO_REUSEADDR right after).
    net::io_context ioc;
    tcp::acceptor probe(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    const auto port = probe.local_endpoint().port();
    probe.close();
    const pid_t pid = spawn_emulator(
        {"--port", std::to_string(port), "--timeout=2", "--env", "LAMBDA_PY27_TEST_X=1", "--", fixture, "echo"});
    ASSERT_GT(pid, 0);
    lt::invoke_result res;
    const auto until = std::chrono::steady_clock::now() + wait_limit;
    for (;;) {
        try {
            res = lt::invoke("127.0.0.1", port, R"({"via": "command"})", {}, 10s);
            break;
        } catch (const std::system_error&) {
            if (std::chrono::steady_clock::now() > until) break;
            std::this_thread::sleep_for(50ms);
        }
    }
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body, R"({"via": "command"})");
    ::kill(pid, SIGTERM);
    EXPECT_EQ(exit_status_of(pid), 0);
}

}  // namespace
