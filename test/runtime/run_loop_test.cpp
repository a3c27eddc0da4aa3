#include <lambda_py27/runtime/run_loop.hpp>

#include "support/fake_runtime_api.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using lambda_py27::errc;
using lambda_py27::invocation;
using lambda_py27::invocation_response;
using lambda_py27::run;
using lambda_py27::run_options;
using lambda_py27::runtime_client;
using lambda_py27::test_support::answer;
using lambda_py27::test_support::fake_runtime_api;
namespace exit_status = lambda_py27::exit_status;
using namespace std::chrono_literals;

// ---- an in-memory api_client ----------------------------------------------------------------------

struct recorded_post {
    std::string path;  // "response", "error" or "init/error"
    std::string request_id;
    std::string body;
    std::string content_type;
    std::string error_type;
    std::string xray_cause;
};

// Hands out scripted invocations (then `errc::container_error` when the script is done) and records posts.
class scripted_client final : public lambda_py27::api_client {
public:
    using api_client::next;
    using api_client::post_error;
    using api_client::post_init_error;
    using api_client::post_response;

    scripted_client& event(std::string id, std::string body = "{}", std::string trace_id = {}) {
        invocation inv;
        inv.request_id = std::move(id);
        inv.body = std::move(body);
        inv.trace_id = std::move(trace_id);
        inv.content_type = "application/json";
        nexts_.push_back({std::move(inv), {}});
        return *this;
    }
    scripted_client& next_fails(std::error_code ec) {
        invocation inv;
        inv.request_id = "../bad";
        nexts_.push_back({std::move(inv), ec});
        return *this;
    }
    // Answers the next post with `ec` (and, for API answers, `error_type`); later posts succeed.
    scripted_client& post_fails(std::error_code ec, std::string error_type = {}) {
        post_results_.push_back({ec, std::move(error_type)});
        return *this;
    }

    void next(invocation& out, std::error_code& ec) override {
        ++next_calls;
        last_error_type_.clear();
        if (nexts_.empty()) {
            ec = errc::container_error;
            return;
        }
        out = std::move(nexts_.front().first);
        ec = nexts_.front().second;
        nexts_.pop_front();
    }
    void post_response(std::string_view id, std::string_view body, std::string_view content_type,
                       std::error_code& ec) override {
        posts.push_back({"response", std::string(id), std::string(body), std::string(content_type), {}, {}});
        ec = post_result();
    }
    void post_error(std::string_view id, std::string_view body, std::string_view error_type,
                    std::string_view xray_cause, std::error_code& ec) override {
        posts.push_back({"error", std::string(id), std::string(body), "application/json", std::string(error_type),
                         std::string(xray_cause)});
        ec = post_result();
    }
    void post_init_error(std::string_view body, std::string_view error_type, std::error_code& ec) override {
        posts.push_back({"init/error", {}, std::string(body), "application/json", std::string(error_type), {}});
        ec = post_result();
    }
    std::string last_api_error_type() const override { return last_error_type_; }

    std::vector<recorded_post> posts;
    int next_calls = 0;

private:
    std::error_code post_result() {
        last_error_type_.clear();
        if (post_results_.empty()) return {};
        auto [ec, type] = post_results_.front();
        post_results_.pop_front();
        last_error_type_ = type;
        return ec;
    }

    std::deque<std::pair<invocation, std::error_code>> nexts_;
    std::deque<std::pair<std::error_code, std::string>> post_results_;
    std::string last_error_type_;
};

// Options whose log lines are kept instead of going to stderr.
struct logged_options {
    std::vector<std::string> lines;
    run_options options;
    logged_options() {
        options.log = [this](std::string_view line) { lines.emplace_back(line); };
    }
    bool logged(std::string_view part) const {
        for (const auto& l : lines)
            if (l.find(part) != std::string::npos) return true;
        return false;
    }
};

invocation_response echo(const invocation& inv) { return invocation_response::success("echo:" + inv.body); }

std::optional<std::string> trace_env() {
    const char* v = std::getenv("_X_AMZN_TRACE_ID");
    return v ? std::optional<std::string>(v) : std::nullopt;
}

// ---- the loop against the in-memory client ----------------------------------------------------------

TEST(RunLoop, CallsTheHandlerOncePerInvocationWithThatInvocation) {
    scripted_client client;
    client.event("a", "1").event("b", "2").event("c", "3");
    std::vector<std::string> seen;
    logged_options o;
    const int status = run(
        client,
        [&](const invocation& inv) {
            seen.push_back(inv.request_id + "=" + inv.body);
            return echo(inv);
        },
        o.options);
    EXPECT_EQ(seen, (std::vector<std::string>{"a=1", "b=2", "c=3"}));
    EXPECT_EQ(status, exit_status::container_error);  // the script ends with a 500
}

TEST(RunLoop, PostsASuccessAsTheResponseWithItsContentType) {
    scripted_client client;
    client.event("a", "in");
    logged_options o;
    run(
        client, [](const invocation&) { return invocation_response::success("<p/>", "text/html"); }, o.options);
    ASSERT_EQ(client.posts.size(), 1u);
    EXPECT_EQ(client.posts[0].path, "response");
    EXPECT_EQ(client.posts[0].request_id, "a");
    EXPECT_EQ(client.posts[0].body, "<p/>");
    EXPECT_EQ(client.posts[0].content_type, "text/html");
}

TEST(RunLoop, PostsAFailureAsAnErrorWithItsTypeAndXRayCause) {
    scripted_client client;
    client.event("a");
    logged_options o;
    run(
        client,
        [](const invocation&) {
            return invocation_response::failure(R"({"errorType":"KeyError"})", "KeyError", R"({"paths":[]})");
        },
        o.options);
    ASSERT_EQ(client.posts.size(), 1u);
    EXPECT_EQ(client.posts[0].path, "error");
    EXPECT_EQ(client.posts[0].request_id, "a");
    EXPECT_EQ(client.posts[0].body, R"({"errorType":"KeyError"})");
    EXPECT_EQ(client.posts[0].error_type, "KeyError");
    EXPECT_EQ(client.posts[0].xray_cause, R"({"paths":[]})");
}

TEST(RunLoop, PostsNothingForAnExitAndReturnsItsStatus) {
    scripted_client client;
    client.event("a").event("b");
    logged_options o;
    const int status = run(
        client, [](const invocation&) { return invocation_response::exit(7); }, o.options);
    EXPECT_EQ(status, 7);
    EXPECT_TRUE(client.posts.empty());
    EXPECT_EQ(client.next_calls, 1);
}

TEST(RunLoop, ExitStatusOnAnAnswerEndsTheLoopAfterPostingIt) {
    scripted_client client;
    client.event("a").event("b");
    logged_options o;
    const int status = run(
        client,
        [](const invocation&) {
            auto r = invocation_response::success("{}");
            r.exit_status = 0;
            return r;
        },
        o.options);
    EXPECT_EQ(status, 0);
    ASSERT_EQ(client.posts.size(), 1u);
    EXPECT_EQ(client.next_calls, 1);
}

TEST(RunLoop, SetsTheTraceIdVariablePerInvocationAndUnsetsItWhenAbsent) {
    ::setenv("_X_AMZN_TRACE_ID", "stale", 1);
    scripted_client client;
    client.event("a", "{}", "Root=1-a").event("b", "{}").event("c", "{}", "Root=1-c");
    std::vector<std::optional<std::string>> seen;
    logged_options o;
    run(
        client,
        [&](const invocation& inv) {
            seen.push_back(trace_env());
            return echo(inv);
        },
        o.options);
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0], std::optional<std::string>("Root=1-a"));
    EXPECT_EQ(seen[1], std::nullopt);
    EXPECT_EQ(seen[2], std::optional<std::string>("Root=1-c"));
    ::unsetenv("_X_AMZN_TRACE_ID");
}

TEST(RunLoop, RewritesTheTraceIdVariableInPlaceSoNewIdsDoNotGrowTheHeap) {
    // glibc's setenv() keeps every value it was given; the loop must not use it per invocation.
    scripted_client client;
    for (int i = 0; i < 200; ++i) client.event("id", "{}", "Root=1-" + std::to_string(1000 + i));
    std::vector<const char*> where;
    std::vector<std::string> values;
    logged_options o;
    run(
        client,
        [&](const invocation& inv) {
            where.push_back(std::getenv("_X_AMZN_TRACE_ID"));
            values.emplace_back(where.back() ? where.back() : "");
            return echo(inv);
        },
        o.options);
    ASSERT_EQ(values.size(), 200u);
    for (int i = 0; i < 200; ++i) EXPECT_EQ(values[i], "Root=1-" + std::to_string(1000 + i));
    EXPECT_TRUE(std::all_of(where.begin(), where.end(), [&](const char* p) { return p == where.front(); }));
    ::unsetenv("_X_AMZN_TRACE_ID");
}

TEST(RunLoop, TraceIdReachesTheEnvironmentEvenAfterTheHandlerChangedTheVariable) {
    scripted_client client;
    client.event("a", "{}", "Root=1-a").event("b", "{}", "Root=1-b").event("c", "{}", "Root=1-c");
    client.event("d", "{}", std::string(1000, 'd'));
    std::vector<std::optional<std::string>> seen;
    logged_options o;
    run(
        client,
        [&](const invocation& inv) {
            seen.push_back(trace_env());
            if (inv.request_id == "a") ::setenv("_X_AMZN_TRACE_ID", "handler's own", 1);
            if (inv.request_id == "b") ::unsetenv("_X_AMZN_TRACE_ID");
            return echo(inv);
        },
        o.options);
    ASSERT_EQ(seen.size(), 4u);
    EXPECT_EQ(seen[0], std::optional<std::string>("Root=1-a"));
    EXPECT_EQ(seen[1], std::optional<std::string>("Root=1-b"));
    EXPECT_EQ(seen[2], std::optional<std::string>("Root=1-c"));
    EXPECT_EQ(seen[3], std::optional<std::string>(std::string(1000, 'd')));  // longer than any before
    ::unsetenv("_X_AMZN_TRACE_ID");
}

TEST(RunLoop, RunsTheBeforeHookBeforeTheHandlerAndTheAfterHookAfterThePost) {
    scripted_client client;
    client.event("a", "{}", "Root=1").event("b");
    client.post_fails(errc::invalid_state_transition, "InvalidStateTransition");
    std::vector<std::string> order;
    logged_options o;
    o.options.hooks.before = [&](const invocation& inv) {
        order.push_back("before " + inv.request_id + " trace=" + trace_env().value_or("-"));
    };
    o.options.hooks.after = [&](const invocation& inv, const invocation_response& res, std::error_code ec) {
        order.push_back("after " + inv.request_id + " " + res.body + " posts=" + std::to_string(client.posts.size()) +
                        " ec=" + (ec ? ec.message() : "ok"));
    };
    run(
        client,
        [&](const invocation& inv) {
            order.push_back("handler " + inv.request_id);
            return invocation_response::success("r-" + inv.request_id);
        },
        o.options);
    const std::string refused = std::error_code(errc::invalid_state_transition).message();
    EXPECT_EQ(order,
              (std::vector<std::string>{"before a trace=Root=1", "handler a", "after a r-a posts=1 ec=" + refused,
                                        "before b trace=-", "handler b", "after b r-b posts=2 ec=ok"}));
}

TEST(RunLoop, PostsAnErrorAndGoesOnWhenTheHandlerThrows) {
    scripted_client client;
    client.event("a").event("b").event("c");
    int calls = 0;
    logged_options o;
    run(
        client,
        [&](const invocation& inv) -> invocation_response {
            ++calls;
            if (inv.request_id == "a") throw std::runtime_error("bad \"input\"\n");
            if (inv.request_id == "b") throw 42;
            return echo(inv);
        },
        o.options);
    EXPECT_EQ(calls, 3);
    ASSERT_EQ(client.posts.size(), 3u);
    EXPECT_EQ(client.posts[0].path, "error");
    EXPECT_EQ(client.posts[0].error_type, "Runtime.HandlerError");
    EXPECT_NE(client.posts[0].body.find(R"(bad \"input\"\n)"), std::string::npos) << client.posts[0].body;
    EXPECT_EQ(client.posts[1].path, "error");
    EXPECT_NE(client.posts[1].body.find("unknown C++ exception"), std::string::npos);
    EXPECT_EQ(client.posts[2].path, "response");
}

TEST(RunLoop, ExceptionMessageThatIsNotUtf8StillMakesAValidJsonErrorBody) {
    scripted_client client;
    client.event("a");
    logged_options o;
    run(
        client,
        [](const invocation&) -> invocation_response {
            throw std::runtime_error("caf\xe9 \xc3\xa9 \x01 \xed\xa0\x80 \xf0\x9f\x98\x80");
        },
        o.options);
    ASSERT_EQ(client.posts.size(), 1u);
    EXPECT_NE(client.posts[0].body.find("caf\\ufffd \xc3\xa9 \\u0001 \\ufffd\\ufffd\\ufffd \xf0\x9f\x98\x80"),
              std::string::npos)
        << client.posts[0].body;
}

TEST(RunLoop, BeforeHookThatThrowsIsAnsweredLikeAHandlerThatThrew) {
    scripted_client client;
    client.event("a");
    bool handler_called = false;
    logged_options o;
    o.options.hooks.before = [](const invocation&) { throw std::logic_error("hook failed"); };
    run(
        client,
        [&](const invocation& inv) {
            handler_called = true;
            return echo(inv);
        },
        o.options);
    EXPECT_FALSE(handler_called);
    ASSERT_EQ(client.posts.size(), 1u);
    EXPECT_EQ(client.posts[0].path, "error");
    EXPECT_NE(client.posts[0].body.find("hook failed"), std::string::npos);
}

TEST(RunLoop, AfterHookThatThrowsIsLoggedAndTheLoopGoesOn) {
    scripted_client client;
    client.event("a").event("b");
    logged_options o;
    o.options.hooks.after = [](const invocation&, const invocation_response&, std::error_code) {
        throw std::runtime_error("after failed");
    };
    run(client, echo, o.options);
    EXPECT_EQ(client.posts.size(), 2u);
    EXPECT_TRUE(o.logged("after failed"));
}

TEST(RunLoop, ResponseAboveTheLimitIsPostedAsAResponseSizeTooLargeError) {
    scripted_client client;
    client.event("a").event("b");
    std::optional<invocation_response> seen_by_after;
    logged_options o;
    o.options.hooks.after = [&](const invocation& inv, const invocation_response& res, std::error_code) {
        if (inv.request_id == "a") seen_by_after = res;
    };
    run(
        client,
        [](const invocation& inv) {
            return invocation_response::success(std::string(
                inv.request_id == "a" ? lambda_py27::max_response_bytes + 1 : lambda_py27::max_response_bytes, 'x'));
        },
        o.options);
    ASSERT_EQ(client.posts.size(), 2u);
    EXPECT_EQ(client.posts[0].path, "error");
    EXPECT_EQ(client.posts[0].error_type, "Function.ResponseSizeTooLarge");
    EXPECT_NE(client.posts[0].body.find(R"("errorType": "Function.ResponseSizeTooLarge")"), std::string::npos);
    EXPECT_LT(client.posts[0].body.size(), 1000u);
    EXPECT_EQ(client.posts[1].path, "response");  // exactly at the limit is fine
    EXPECT_EQ(client.posts[1].body.size(), lambda_py27::max_response_bytes);
    ASSERT_TRUE(seen_by_after);
    EXPECT_EQ(seen_by_after->outcome, invocation_response::kind::failure);
    EXPECT_TRUE(o.logged("exceeded maximum allowed payload size"));
}

TEST(RunLoop, RefusedPostsAreLoggedAndTheLoopGoesOn) {
    scripted_client client;
    client.event("a").event("b").event("c").event("d");
    client.post_fails(errc::invalid_request_id, "InvalidRequestID")
        .post_fails(errc::invalid_state_transition, "InvalidStateTransition")
        .post_fails(errc::payload_too_large, "RequestEntityTooLarge");
    logged_options o;
    const int status = run(client, echo, o.options);
    EXPECT_EQ(client.posts.size(), 4u);
    EXPECT_EQ(status, exit_status::container_error);  // only the end of the script stops it
    EXPECT_TRUE(o.logged("InvalidRequestID"));
    EXPECT_TRUE(o.logged("InvalidStateTransition"));
    EXPECT_TRUE(o.logged("RequestEntityTooLarge"));
}

TEST(RunLoop, ContainerErrorOnAPostEndsTheLoopWithContainerError) {
    scripted_client client;
    client.event("a").event("b");
    client.post_fails(errc::container_error);
    logged_options o;
    EXPECT_EQ(run(client, echo, o.options), exit_status::container_error);
    EXPECT_EQ(client.next_calls, 1);
}

TEST(RunLoop, LostConnectionOnAPostEndsTheLoopWithApiUnavailable) {
    scripted_client client;
    client.event("a").event("b");
    client.post_fails(errc::api_unavailable);
    logged_options o;
    EXPECT_EQ(run(client, echo, o.options), exit_status::api_unavailable);
    EXPECT_EQ(client.next_calls, 1);
}

TEST(RunLoop, ReturnsContainerErrorWhenNextFailsWithIt) {
    scripted_client client;
    client.next_fails(errc::container_error).event("never");
    int calls = 0;
    logged_options o;
    EXPECT_EQ(run(
                  client,
                  [&](const invocation& inv) {
                      ++calls;
                      return echo(inv);
                  },
                  o.options),
              exit_status::container_error);
    EXPECT_EQ(calls, 0);
    EXPECT_TRUE(o.logged("runtime/invocation/next failed"));
}

TEST(RunLoop, ReturnsApiUnavailableWhenNextCannotReachTheApi) {
    scripted_client client;
    client.next_fails(errc::api_unavailable);
    logged_options o;
    EXPECT_EQ(run(client, echo, o.options), exit_status::api_unavailable);
}

TEST(RunLoop, ReturnsProtocolErrorWhenNextsAnswerIsNotUnderstood) {
    scripted_client client;
    client.next_fails(errc::protocol_error);
    logged_options o;
    EXPECT_EQ(run(client, echo, o.options), exit_status::protocol_error);
}

TEST(RunLoop, SkipsAnInvocationWithABadRequestIdAndLogsIt) {
    scripted_client client;
    client.next_fails(errc::bad_request_id).event("good");
    std::vector<std::string> seen;
    logged_options o;
    run(
        client,
        [&](const invocation& inv) {
            seen.push_back(inv.request_id);
            return echo(inv);
        },
        o.options);
    EXPECT_EQ(seen, std::vector<std::string>{"good"});
    ASSERT_EQ(client.posts.size(), 1u);
    EXPECT_EQ(client.posts[0].request_id, "good");
    EXPECT_TRUE(o.logged("request id"));
}

TEST(RunLoop, StopsAfterMaxInvocationsAndReturnsZero) {
    scripted_client client;
    client.event("a").event("b").event("c");
    logged_options o;
    o.options.max_invocations = 2;
    EXPECT_EQ(run(client, echo, o.options), 0);
    EXPECT_EQ(client.posts.size(), 2u);
    EXPECT_EQ(client.next_calls, 2);
}

TEST(RunLoop, EmptyHandlerFunctionIsAnsweredWithAnError) {
    scripted_client client;
    client.event("a");
    logged_options o;
    run(client, lambda_py27::handler_function{}, o.options);
    ASSERT_EQ(client.posts.size(), 1u);
    EXPECT_EQ(client.posts[0].path, "error");
}

// ---- the loop against a real socket -------------------------------------------------------------

TEST(RunLoop, ServesInvocationsFromARealRuntimeApi) {
    fake_runtime_api api;
    api.then(answer::event("ok-1", R"({"n":1})", {{"Lambda-Runtime-Trace-Id", "Root=1-x"}}), answer::accepted(),
             answer::event("fail-2", R"({"n":2})"), answer::accepted(), answer::event("throw-3"), answer::accepted(),
             answer::event("big-4"), answer::accepted(), answer::api_error(500, "Runtime.Unknown"));
    runtime_client client(api.endpoint());
    std::vector<std::optional<std::string>> traces;
    logged_options o;
    const int status = run(
        client,
        [&](const invocation& inv) -> invocation_response {
            traces.push_back(trace_env());
            if (inv.request_id == "ok-1") return invocation_response::success("got " + inv.body, "text/plain");
            if (inv.request_id == "fail-2")
                return invocation_response::failure(R"({"errorType":"E"})", "E", R"({"cause":1})");
            if (inv.request_id == "throw-3") throw std::runtime_error("thrown");
            return invocation_response::success(std::string(lambda_py27::max_response_bytes + 1, 'x'));
        },
        o.options);
    EXPECT_EQ(status, exit_status::container_error);
    EXPECT_TRUE(o.logged("Runtime.Unknown"));

    const auto reqs = api.requests();
    ASSERT_EQ(reqs.size(), 9u);
    EXPECT_EQ(reqs[1].target, "/2018-06-01/runtime/invocation/ok-1/response");
    EXPECT_EQ(reqs[1].body, R"(got {"n":1})");
    EXPECT_EQ(reqs[1].header("Content-Type"), "text/plain");
    EXPECT_EQ(reqs[3].target, "/2018-06-01/runtime/invocation/fail-2/error");
    EXPECT_EQ(reqs[3].header("Lambda-Runtime-Function-Error-Type"), "E");
    EXPECT_EQ(reqs[3].header("Lambda-Runtime-Function-XRay-Error-Cause"), R"({"cause":1})");
    EXPECT_EQ(reqs[5].target, "/2018-06-01/runtime/invocation/throw-3/error");
    EXPECT_NE(reqs[5].body.find("thrown"), std::string::npos);
    EXPECT_EQ(reqs[7].target, "/2018-06-01/runtime/invocation/big-4/error");
    EXPECT_EQ(reqs[7].header("Lambda-Runtime-Function-Error-Type"), "Function.ResponseSizeTooLarge");
    EXPECT_EQ(reqs[8].target, "/2018-06-01/runtime/invocation/next");
    EXPECT_EQ(api.accepted_connections(), 1u);

    ASSERT_EQ(traces.size(), 4u);
    EXPECT_EQ(traces[0], std::optional<std::string>("Root=1-x"));
    EXPECT_EQ(traces[1], std::nullopt);
}

TEST(RunLoop, ReturnsContainerErrorPromptlyWhenTheRealApiAnswers500) {
    fake_runtime_api api;
    api.then(answer::api_error(500, "Runtime.Unknown"));
    runtime_client client(api.endpoint());
    logged_options o;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(run(client, echo, o.options), exit_status::container_error);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    EXPECT_EQ(api.request_count(), 1u);
}

TEST(RunLoop, ReturnsApiUnavailableWhenNothingListens) {
    runtime_client client(lambda_py27::test_support::unused_endpoint());
    logged_options o;
    EXPECT_EQ(run(client, echo, o.options), exit_status::api_unavailable);
}

TEST(RunLoop, GoesOnAfterTheRealApiRefusesAPost) {
    fake_runtime_api api;
    api.then(answer::event("a"), answer::api_error(400, "InvalidRequestID"), answer::event("b"),
             answer::api_error(403, "InvalidStateTransition"), answer::event("c"),
             answer::api_error(413, "RequestEntityTooLarge"), answer::event("d"), answer::accepted());
    runtime_client client(api.endpoint());
    logged_options o;
    o.options.max_invocations = 4;
    EXPECT_EQ(run(client, echo, o.options), 0);
    EXPECT_EQ(api.request_count(), 8u);
    EXPECT_TRUE(o.logged("InvalidRequestID"));
    EXPECT_TRUE(o.logged("InvalidStateTransition"));
    EXPECT_TRUE(o.logged("RequestEntityTooLarge"));
}

TEST(RunLoop, SkipsABadRequestIdFromTheRealApiWithoutPostingForIt) {
    fake_runtime_api api;
    api.then(answer::event("../../init/error"), answer::event("good"), answer::accepted());
    runtime_client client(api.endpoint());
    logged_options o;
    o.options.max_invocations = 1;
    EXPECT_EQ(run(client, echo, o.options), 0);
    const auto reqs = api.requests();
    ASSERT_EQ(reqs.size(), 3u);
    EXPECT_EQ(reqs[2].target, "/2018-06-01/runtime/invocation/good/response");
    EXPECT_TRUE(o.logged("request id"));
}

TEST(RunLoop, HandlerExitCodeIsReturnedAgainstTheRealApi) {
    fake_runtime_api api;
    api.then(answer::event("a"));
    runtime_client client(api.endpoint());
    logged_options o;
    EXPECT_EQ(run(
                  client, [](const invocation&) { return invocation_response::exit(42); }, o.options),
              42);
    EXPECT_EQ(api.request_count(), 1u);
}

}  // namespace
