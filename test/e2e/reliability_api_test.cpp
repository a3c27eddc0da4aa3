// Every invocation is answered exactly once, or the process exits as the protocol requires: the real
// bootstrap (a child process running CPython 2.7) against a scripted, fault-injecting Runtime API
// (test/support/fake_runtime_api.hpp) that answers each request with the next scripted bytes and 500 once
// the script is exhausted, so every run ends with the bootstrap exiting on its own.
//
// Exit statuses (lambda_py27::exit_status): 3 the API answered 500, 4 the API went away, 5 its answer
// could not be understood.
#include "support/bootstrap_process.hpp"
#include "support/fake_runtime_api.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;  // NOLINT: POSIX

namespace {

namespace json = boost::json;
using lambda_py27::test_support::answer;
using lambda_py27::test_support::fake_runtime_api;
using lambda_py27::test_support::received_request;
using namespace std::chrono_literals;

const std::string task_root = std::string(LAMBDA_PY27_TEST_DATA_DIR) + "/reliability";
// The bootstrap as a child process (test/support/bootstrap_process.hpp), in the reliability task root.
class bootstrap_process : public lambda_py27::test_support::bootstrap_process {
public:
    bootstrap_process(const std::string& endpoint, const std::string& handler,
                      std::map<std::string, std::string> env = {})
        : lambda_py27::test_support::bootstrap_process(endpoint, handler, task_root, named(std::move(env))) {}

private:
    static std::map<std::string, std::string> named(std::map<std::string, std::string> env) {
        env.emplace("AWS_LAMBDA_FUNCTION_NAME", "reliability");
        return env;
    }
};

// Waits until the fake API has read `n` requests (true), or the runtime exited or `timeout` passed.
bool wait_for_requests(const fake_runtime_api& api, bootstrap_process& rt, std::size_t n,
                       std::chrono::milliseconds timeout = 20s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (api.request_count() < n) {
        if (std::chrono::steady_clock::now() >= until || !rt.running()) return api.request_count() >= n;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

std::vector<std::string> targets(const std::vector<received_request>& reqs) {
    std::vector<std::string> out;
    for (const auto& r : reqs) out.push_back(r.method + " " + r.target);
    return out;
}

constexpr const char* next_target = "GET /2018-06-01/runtime/invocation/next";
std::string response_target(const std::string& id) { return "POST /2018-06-01/runtime/invocation/" + id + "/response"; }
std::string error_target(const std::string& id) { return "POST /2018-06-01/runtime/invocation/" + id + "/error"; }

json::value parse(const std::string& s) {
    boost::system::error_code ec;
    auto v = json::parse(s, ec);
    return ec ? json::value("<not JSON: " + s.substr(0, 200) + ">") : v;
}

// ---- request ids --------------------------------------------------------------------------------

TEST(ReliabilityApi, InvocationsWhoseRequestIdCannotGoIntoAUrlAreSkippedAndTheNextIsAnswered) {
    fake_runtime_api api;
    const std::vector<std::string> bad = {"a/b",       "../../init/error",    "..",         ".",
                                          "has space", "tab\there",           "%2e%2e%2f",  "q?x=1",
                                          "h#f",       std::string(300, 'x'), "caf\xc3\xa9"};
    for (const auto& id : bad) api.then(answer::event(id, R"({"n": 1})"));
    api.then(answer::event("good-1", R"({"n": 2})"), answer::accepted());
    bootstrap_process rt(api.endpoint(), "rel.echo");
    EXPECT_EQ(rt.wait_exit(), 3) << rt.log();

    std::vector<std::string> expected(bad.size() + 1, next_target);
    expected.push_back(response_target("good-1"));
    expected.push_back(next_target);
    EXPECT_EQ(targets(api.requests()), expected);
    EXPECT_EQ(api.requests().at(bad.size() + 1).body, R"({"n": 2})");
    const std::string log = rt.log();
    std::size_t dropped = 0;
    for (auto at = log.find("dropped an invocation"); at != std::string::npos;
         at = log.find("dropped an invocation", at + 1))
        ++dropped;
    EXPECT_EQ(dropped, bad.size()) << log;
}

TEST(ReliabilityApi, ARequestIdWithABareCarriageReturnIsAProtocolErrorAndNothingIsPosted) {
    for (const char* raw :
         {"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a\rInjected: 1\r\nContent-Length: 2\r\n\r\n{}",
          "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a\nb\r\nContent-Length: 2\r\n\r\n{}",
          "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a\x01"
          "b\r\nContent-Length: 2\r\n\r\n{}"}) {
        fake_runtime_api api;
        api.then(answer::raw(raw));
        bootstrap_process rt(api.endpoint(), "rel.echo");
        EXPECT_EQ(rt.wait_exit(), 5) << rt.log();
        EXPECT_EQ(targets(api.requests()), std::vector<std::string>{next_target});
    }
}

TEST(ReliabilityApi, AFoldedRequestIdHeaderNeverReachesAUrl) {
    // obs-fold: a header value continued on the next line. Whatever the parser makes of it, no request
    // may carry anything but a platform-shaped id in its path.
    fake_runtime_api api;
    api.then(
        answer::raw(
            "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: abc\r\n /../init/error\r\nContent-Length: 2\r\n\r\n{}"),
        answer::event("after"), answer::accepted());
    bootstrap_process rt(api.endpoint(), "rel.echo");
    const auto status = rt.wait_exit();
    ASSERT_TRUE(status.has_value());
    for (const auto& r : api.requests()) {
        EXPECT_TRUE(r.target == "/2018-06-01/runtime/invocation/next" ||
                    r.target == "/2018-06-01/runtime/invocation/after/response")
            << r.target;
    }
}

TEST(ReliabilityApi, AnInvocationWithoutARequestIdEndsTheRuntimeWithoutAnAnswer) {
    fake_runtime_api api;
    api.then(answer::http(200, "{}", {{"Lambda-Runtime-Deadline-Ms", "1"}}));
    bootstrap_process rt(api.endpoint(), "rel.echo");
    EXPECT_EQ(rt.wait_exit(), 5) << rt.log();
    EXPECT_EQ(targets(api.requests()), std::vector<std::string>{next_target});
}

// ---- API errors -----------------------------------------------------------------------------------

TEST(ReliabilityApi, A500OnNextEndsTheRuntimePromptlyWithoutPosting) {
    fake_runtime_api api;
    api.then(answer::api_error(500, "Runtime.Unknown"));
    const auto start = std::chrono::steady_clock::now();
    bootstrap_process rt(api.endpoint(), "rel.echo");
    EXPECT_EQ(rt.wait_exit(), 3) << rt.log();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 15s);
    EXPECT_EQ(targets(api.requests()), std::vector<std::string>{next_target});
    EXPECT_NE(rt.log().find("Runtime.Unknown"), std::string::npos) << rt.log();
}

TEST(ReliabilityApi, A500OnAPostEndsTheRuntimeAndNothingIsPostedTwice) {
    for (const bool error : {false, true}) {
        fake_runtime_api api;
        api.then(answer::event("a", error ? R"({"n": 1})" : "{}"), answer::api_error(500, "Runtime.Unknown"),
                 answer::event("never-asked"));
        bootstrap_process rt(api.endpoint(), error ? "rel.fail" : "rel.echo");
        EXPECT_EQ(rt.wait_exit(), 3) << rt.log();
        EXPECT_EQ(targets(api.requests()),
                  (std::vector<std::string>{next_target, error ? error_target("a") : response_target("a")}));
        EXPECT_EQ(api.unused_answers(), 1u);
    }
}

TEST(ReliabilityApi, RefusedAnswersAreLoggedAndTheNextInvocationIsServed) {
    fake_runtime_api api;
    api.then(answer::event("a"), answer::api_error(400, "InvalidRequestID"), answer::event("b"),
             answer::api_error(403, "InvalidStateTransition"), answer::event("c"),
             answer::api_error(413, "RequestEntityTooLarge"), answer::event("d"), answer::accepted());
    bootstrap_process rt(api.endpoint(), "rel.echo");
    EXPECT_EQ(rt.wait_exit(), 3) << rt.log();
    EXPECT_EQ(
        targets(api.requests()),
        (std::vector<std::string>{next_target, response_target("a"), next_target, response_target("b"), next_target,
                                  response_target("c"), next_target, response_target("d"), next_target}));
    const std::string log = rt.log();
    for (const char* type : {"InvalidRequestID", "InvalidStateTransition", "RequestEntityTooLarge"})
        EXPECT_NE(log.find(type), std::string::npos) << type << "\n" << log;
}

// ---- broken connections and malformed answers -------------------------------------------------------

TEST(ReliabilityApi, AConnectionClosedMidHeadersOrMidBodyOfNextEndsTheRuntimeWithoutPosting) {
    const std::string event = answer::event("cut-1", std::string(400, 'x')).bytes;
    for (const std::size_t cut : {std::size_t{10}, std::size_t{40}, event.size() - 100}) {
        fake_runtime_api api;
        api.then(answer::event("cut-1", std::string(400, 'x')).cut_after(cut), answer::event("never-asked"));
        bootstrap_process rt(api.endpoint(), "rel.echo");
        EXPECT_EQ(rt.wait_exit(), 4) << "cut at " << cut << "\n" << rt.log();
        EXPECT_EQ(targets(api.requests()), std::vector<std::string>{next_target}) << cut;
        EXPECT_EQ(api.unused_answers(), 1u);
    }
}

TEST(ReliabilityApi, AConnectionLostAfterAPostIsNeverPostedAgain) {
    fake_runtime_api api;
    api.then(answer::event("a"), answer::hang_up());
    bootstrap_process rt(api.endpoint(), "rel.echo");
    // The post may have reached the API: it is not sent again, and the runtime, which cannot know
    // whether the invocation was answered, exits (4: the API went away).
    EXPECT_EQ(rt.wait_exit(), 4) << rt.log();
    EXPECT_EQ(targets(api.requests()), (std::vector<std::string>{next_target, response_target("a")}));
}

TEST(ReliabilityApi, MalformedHttpAndAOneMegabyteHeaderLineEndTheRuntimeWithoutPosting) {
    for (const std::string& raw :
         {std::string("garbage\r\n\r\n"), std::string("HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n"),
          std::string("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"),
          std::string("HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a\r\nContent-Length: 1\r\nContent-Length: "
                      "2\r\n\r\nab"),
          std::string(
              "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
          answer::event("a", "{}", {{"X-Huge", std::string(1024 * 1024, 'h')}}).bytes}) {
        fake_runtime_api api;
        api.then(answer::raw(raw));
        bootstrap_process rt(api.endpoint(), "rel.echo");
        EXPECT_EQ(rt.wait_exit(), 5) << raw.substr(0, 80) << "\n" << rt.log();
        EXPECT_EQ(targets(api.requests()), std::vector<std::string>{next_target}) << raw.substr(0, 80);
    }
}

// ---- headers that reach the handler ----------------------------------------------------------------

json::object probe(const std::vector<std::pair<std::string, std::string>>& headers, std::string* log = nullptr) {
    fake_runtime_api api;
    api.then(answer::event("probe-1", "{}", headers), answer::accepted());
    bootstrap_process rt(api.endpoint(), "rel.context_probe");
    EXPECT_EQ(rt.wait_exit(), 3) << rt.log();
    if (log != nullptr) *log = rt.log();
    const auto reqs = api.requests();
    if (reqs.size() < 2 || reqs[1].target != "/2018-06-01/runtime/invocation/probe-1/response") {
        ADD_FAILURE() << "no response was posted: " << (reqs.size() >= 2 ? reqs[1].target + " " + reqs[1].body : "");
        return {};
    }
    auto v = parse(reqs[1].body);
    return v.is_object() ? v.as_object() : json::object{};
}

TEST(ReliabilityApi, ADeadlineThatIsNotANumberLeavesNoTimeRemainingButTheInvocationIsServed) {
    for (const char* bad : {"soon", "-5", "1e3", "99999999999999999999999", ""}) {
        const auto got = probe({{"Lambda-Runtime-Deadline-Ms", bad}});
        EXPECT_EQ(got.if_contains("remaining") ? *got.if_contains("remaining") : json::value("missing"), 0) << bad;
    }
}

TEST(ReliabilityApi, ACognitoIdentityThatIsNotJsonOrNotAnObjectGivesAnIdentityWithNoneAttributes) {
    for (const char* bad :
         {"{not json", "[\"cognitoIdentityId\", \"x\"]", "\"text\"", "42", "null", "{\"cognitoIdentityId\": "}) {
        const auto got = probe({{"Lambda-Runtime-Cognito-Identity", bad}});
        EXPECT_EQ(got.if_contains("identity") ? *got.if_contains("identity") : json::value("missing"),
                  (json::array{nullptr, nullptr}))
            << bad;
    }
    const auto good =
        probe({{"Lambda-Runtime-Cognito-Identity", R"({"cognitoIdentityId": "i-1", "cognitoIdentityPoolId": "p-1"})"}});
    EXPECT_EQ(good.at("identity"), (json::array{"i-1", "p-1"}));
}

TEST(ReliabilityApi, AClientContextThatIsNotJsonFailsTheInvocationWithValueError) {
    for (const auto& [bad, message] : std::vector<std::pair<std::string, std::string>>{
             {"not json", "No JSON object could be decoded"},
             {"{\"custom\": ", "No JSON object could be decoded"},
             {"{\"custom\": {}} trailing", "Extra data: line 1 column 16 - line 1 column 24 (char 15 - 23)"}}) {
        fake_runtime_api api;
        api.then(answer::event("cc-1", "{}", {{"Lambda-Runtime-Client-Context", bad}}), answer::accepted(),
                 answer::event("cc-2", "{}"), answer::accepted());
        bootstrap_process rt(api.endpoint(), "rel.context_probe");
        EXPECT_EQ(rt.wait_exit(), 3) << rt.log();
        const auto reqs = api.requests();
        ASSERT_EQ(targets(reqs), (std::vector<std::string>{next_target, error_target("cc-1"), next_target,
                                                           response_target("cc-2"), next_target}))
            << bad;
        EXPECT_EQ(parse(reqs[1].body), (json::object{{"errorMessage", message}, {"errorType", "ValueError"}})) << bad;
        EXPECT_NE(rt.log().find("Unable to parse client context as json: " + message), std::string::npos) << rt.log();
        // The next invocation, without a client context, is served normally.
        EXPECT_EQ(parse(reqs[3].body).at("client_context"), nullptr);
    }
}

TEST(ReliabilityApi, AClientContextThatIsJsonButNotAnObjectGivesAContextWithNoneAttributes) {
    for (const char* other : {"[1, 2]", "\"text\"", "7"}) {
        const auto got = probe({{"Lambda-Runtime-Client-Context", other}});
        EXPECT_EQ(got.if_contains("client_context") ? *got.if_contains("client_context") : json::value("missing"),
                  (json::object{{"custom", nullptr}, {"env", nullptr}, {"client", nullptr}}))
            << other;
    }
    // An object whose `client` is not an object: no client.
    const auto odd = probe({{"Lambda-Runtime-Client-Context", R"({"client": [1], "custom": {"a": 1}, "env": "e"})"}});
    EXPECT_EQ(odd.at("client_context"),
              (json::object{{"custom", json::object{{"a", 1}}}, {"env", "e"}, {"client", nullptr}}));
}

TEST(ReliabilityApi, ATraceIdWithControlCharactersNeverReachesTheEnvironment) {
    const auto tabbed = probe({{"Lambda-Runtime-Trace-Id", "Root=1-abc\tX-Injected=1"}});
    EXPECT_EQ(tabbed.at("trace_id"), nullptr);
    const auto good = probe({{"Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"}});
    EXPECT_EQ(good.at("trace_id"), "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1");
}

// ---- results --------------------------------------------------------------------------------------

TEST(ReliabilityApi, ASevenMegabyteResultIsPostedAsResponseSizeTooLargeAndTheNextInvocationIsServed) {
    fake_runtime_api api;
    api.then(answer::event("big-1", R"({"do": "big_result"})"), answer::accepted(),
             answer::event("after-1", R"({"do": "pid"})"), answer::accepted());
    bootstrap_process rt(api.endpoint(), "rel.dispatch");
    EXPECT_EQ(rt.wait_exit(), 3) << rt.log();
    const auto reqs = api.requests();
    ASSERT_EQ(targets(reqs), (std::vector<std::string>{next_target, error_target("big-1"), next_target,
                                                       response_target("after-1"), next_target}));
    EXPECT_EQ(reqs[1].header("Lambda-Runtime-Function-Error-Type"), "Function.ResponseSizeTooLarge");
    const auto body = parse(reqs[1].body);
    EXPECT_EQ(body.at("errorType"), "Function.ResponseSizeTooLarge");
    EXPECT_NE(body.at("errorMessage").as_string().find("7340034 bytes"), json::string::npos) << body;
    EXPECT_LT(reqs[1].body.size(), 1024u);
    EXPECT_EQ(parse(reqs[3].body).at("pid"), rt.pid());
}

// ---- signals -------------------------------------------------------------------------------------

// Python's signal.signal() installs its handler without SA_RESTART, so a signal makes a blocking
// recv()/send() fail with EINTR. A runtime must take that as "go on", not as a broken Runtime API: here
// SIGUSR1 arrives while the runtime reads the event of /next and while it reads the answer to its post
// (both dribbled byte by byte by the API).
TEST(ReliabilityApi, SignalsCaughtByPythonHandlersDoNotBreakNextOrAPost) {
    fake_runtime_api api;
    api.then(answer::event("install", "{}"), answer::accepted(),
             answer::event("during-next", "{}", {{"X-Padding", std::string(40, 'p')}}).dribbled(15ms),
             answer::accepted().dribbled(15ms));
    bootstrap_process rt(api.endpoint(), "rel.signals");
    ASSERT_TRUE(wait_for_requests(api, rt, 3)) << rt.log();  // the handlers are installed, the next GET is out
    for (int i = 0; i < 5 && rt.running(); ++i) {
        std::this_thread::sleep_for(150ms);
        ::kill(rt.pid(), SIGUSR1);
    }
    ASSERT_TRUE(wait_for_requests(api, rt, 4)) << rt.log();  // the post of "during-next" is out
    for (int i = 0; i < 5 && rt.running(); ++i) {
        std::this_thread::sleep_for(150ms);
        ::kill(rt.pid(), SIGUSR1);
    }
    EXPECT_EQ(rt.wait_exit(), 3) << rt.log();
    const auto reqs = api.requests();
    ASSERT_EQ(targets(reqs), (std::vector<std::string>{next_target, response_target("install"), next_target,
                                                       response_target("during-next"), next_target}))
        << rt.log();
    const auto body = parse(reqs[3].body);
    EXPECT_EQ(body.at("pid"), rt.pid());
    EXPECT_NE(body.at("signals").as_array().size(), 0u) << body;  // the Python handler ran, at the next bytecode
}

}  // namespace

// ---- hostile answers that are nearly HTTP (see also runtime_hostile_answer_test) -------------------

TEST(ReliabilityApi, InterimAnswersAreSkippedAndStatusesAndRepeatedRequestIdsEndTheRuntimeAsDocumented) {
    {  // 100 and 103 before the event and before the post's answer: served
        fake_runtime_api api;
        const std::string interim = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n";
        api.then(answer::raw(interim + answer::event("a").bytes), answer::raw(interim + answer::accepted().bytes));
        bootstrap_process rt(api.endpoint(), "rel.echo");
        EXPECT_EQ(rt.wait_exit(), 3) << rt.log();  // the script's end
        EXPECT_EQ(targets(api.requests()), (std::vector<std::string>{next_target, response_target("a"), next_target}));
    }
    for (const auto& [status, exit, text] : std::vector<std::tuple<int, int, std::string>>{
             {503, 3, "container error (503) (Scripted.Error)"},
             {502, 3, "container error (502) (Scripted.Error)"},
             {999, 5, "could not be understood (status 999) (Scripted.Error)"}}) {
        fake_runtime_api api;
        api.then(answer::api_error(status, "Scripted.Error"));
        bootstrap_process rt(api.endpoint(), "rel.echo");
        EXPECT_EQ(rt.wait_exit(), exit) << rt.log();
        EXPECT_NE(rt.log().find(text), std::string::npos) << rt.log();
    }
    {  // two request ids: nothing is posted, for either
        fake_runtime_api api;
        api.then(answer::event("a", "{}", {{"Lambda-Runtime-Aws-Request-Id", "b"}}));
        bootstrap_process rt(api.endpoint(), "rel.echo");
        EXPECT_EQ(rt.wait_exit(), 5) << rt.log();
        EXPECT_EQ(targets(api.requests()), std::vector<std::string>{next_target});
    }
    {  // a chunk-size line that never ends
        fake_runtime_api api;
        api.then(
            answer::raw("HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a\r\nTransfer-Encoding: chunked\r\n\r\n2;")
                .flooded(4 * 1024 * 1024)
                .then_close());
        bootstrap_process rt(api.endpoint(), "rel.echo");
        EXPECT_EQ(rt.wait_exit(), 5) << rt.log();
        EXPECT_EQ(targets(api.requests()), std::vector<std::string>{next_target});
    }
}
