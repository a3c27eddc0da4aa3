// Answers of a broken or hostile Runtime API that are valid HTTP, or nearly: interim (1xx) answers, chunk
// extensions and trailers without end, statuses the API does not use, a repeated request id. Each through
// a real socket (test/support/fake_runtime_api.hpp) to a real runtime_client.
#include <lambda_py27/runtime/runtime_client.hpp>

#include "support/fake_runtime_api.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace {

using lambda_py27::errc;
using lambda_py27::invocation;
using lambda_py27::runtime_client;
using lambda_py27::test_support::answer;
using lambda_py27::test_support::fake_runtime_api;

constexpr const char* request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";
constexpr std::size_t MiB = 1024 * 1024;

std::string event_bytes(const std::string& id = request_id) { return answer::event(id).bytes; }
std::string accepted_bytes() { return answer::accepted().bytes; }

std::error_code next_error(fake_runtime_api&, runtime_client& client, invocation& inv) {
    std::error_code ec;
    client.next(inv, ec);
    return ec;
}

// The process's peak resident memory (kB) since the last reset_peak_memory().
long peak_memory_kb() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}
// Resets the peak to the current resident size (Linux 4.0+); false when the kernel does not allow it.
bool reset_peak_memory() {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    clear.flush();
    return static_cast<bool>(clear);
}

// ---- interim (1xx) answers --------------------------------------------------------------------------

const std::string interim =
    "HTTP/1.1 100 Continue\r\n\r\n"
    "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n"
    "Lambda-Runtime-Aws-Request-Id: from-the-interim-answer\r\n\r\n";

TEST(RuntimeClientHostileAnswers, InterimAnswersBeforeTheAnswerToNextAreSkipped) {
    fake_runtime_api api;
    api.then(answer::raw(interim + event_bytes()),
             answer::raw(interim + "HTTP/1.1 199 Whatever\r\n\r\n" + event_bytes("second"))
                 .dribbled(std::chrono::microseconds(100)));
    runtime_client client(api.endpoint());
    invocation inv;
    EXPECT_FALSE(next_error(api, client, inv));
    EXPECT_EQ(inv.request_id, request_id);
    EXPECT_EQ(inv.body, R"({"key":"value"})");
    // Interim answers that come in pieces, then a last one: the answer is read from where they end.
    EXPECT_FALSE(next_error(api, client, inv));
    EXPECT_EQ(inv.request_id, "second");
    EXPECT_EQ(api.accepted_connections(), 1u);
}

TEST(RuntimeClientHostileAnswers, InterimAnswersBeforeTheAnswerToAPostAreSkipped) {
    fake_runtime_api api;
    api.then(answer::raw(interim + accepted_bytes()), answer::raw(interim + accepted_bytes()),
             answer::raw(interim + accepted_bytes()));
    runtime_client client(api.endpoint());
    std::error_code ec;
    client.post_response(request_id, "{}", "application/json", ec);
    EXPECT_FALSE(ec) << ec.message();
    client.post_error(request_id, "{}", "E", "", ec);
    EXPECT_FALSE(ec) << ec.message();
    auto stream = client.begin_stream(request_id, "text/plain", ec);
    ASSERT_TRUE(stream);
    stream->write("x", ec);
    stream->finish(ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(api.request_count(), 3u);
}

TEST(RuntimeClientHostileAnswers, EndlessInterimAnswersAreAProtocolErrorAndTheRequestIsNotSentAgain) {
    std::string endless;
    for (int i = 0; i < 1000; ++i) endless += "HTTP/1.1 100 Continue\r\n\r\n";
    fake_runtime_api api;
    api.then(answer::raw(endless + event_bytes()), answer::raw(endless + accepted_bytes()));
    runtime_client client(api.endpoint());
    invocation inv;
    EXPECT_EQ(next_error(api, client, inv), errc::protocol_error);
    std::error_code ec;
    client.post_response(request_id, "{}", "application/json", ec);
    EXPECT_EQ(ec, errc::protocol_error);
    EXPECT_EQ(api.request_count(), 2u);
}

TEST(RuntimeClientHostileAnswers, SwitchingProtocolsUnaskedIsAProtocolError) {
    fake_runtime_api api;
    api.then(
        answer::raw("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n" + event_bytes()));
    runtime_client client(api.endpoint());
    invocation inv;
    EXPECT_EQ(next_error(api, client, inv), errc::protocol_error);
}

// ---- statuses -------------------------------------------------------------------------------------

TEST(RuntimeClientHostileAnswers, AnyStatusFrom500To599IsAContainerErrorThatKeepsItsStatus) {
    for (const int status : {500, 502, 503, 599}) {
        SCOPED_TRACE(status);
        fake_runtime_api api;
        api.then(answer::api_error(status, "Scripted.Error"), answer::event(request_id),
                 answer::api_error(status, "Scripted.Error"));
        runtime_client client(api.endpoint());
        invocation inv;
        EXPECT_EQ(next_error(api, client, inv), errc::container_error);
        EXPECT_EQ(client.last_api_status(), status);
        EXPECT_EQ(client.last_api_error_type(), "Scripted.Error");
        EXPECT_FALSE(next_error(api, client, inv));
        EXPECT_EQ(client.last_api_status(), 0);
        std::error_code ec;
        client.post_response(request_id, "{}", "application/json", ec);
        EXPECT_EQ(ec, errc::container_error);
        EXPECT_EQ(client.last_api_status(), status);
    }
}

TEST(RuntimeClientHostileAnswers, AStatusHttpDoesNotDefineIsAProtocolErrorThatKeepsItsStatus) {
    for (const int status : {600, 999}) {
        SCOPED_TRACE(status);
        fake_runtime_api api;
        api.then(answer::api_error(status, "Scripted.Error"), answer::api_error(status, "Scripted.Error"));
        runtime_client client(api.endpoint());
        invocation inv;
        EXPECT_EQ(next_error(api, client, inv), errc::protocol_error);
        EXPECT_EQ(client.last_api_status(), status);
        std::error_code ec;
        client.post_response(request_id, "{}", "application/json", ec);
        EXPECT_EQ(ec, errc::protocol_error);
        EXPECT_EQ(client.last_api_status(), status);
    }
}

// ---- a repeated request id ----------------------------------------------------------------------------

TEST(RuntimeClientHostileAnswers, ARepeatedRequestIdHeaderIsAProtocolErrorWhetherTheValuesDifferOrNot) {
    const std::string head = "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: first\r\n";
    for (const std::string& bytes : {
             head + "lambda-runtime-aws-request-id: second\r\nContent-Length: 2\r\n\r\n{}",
             head + "Lambda-Runtime-Aws-Request-Id: first\r\nContent-Length: 2\r\n\r\n{}",
             head + "Lambda-Runtime-Aws-Request-Id: \r\nContent-Length: 2\r\n\r\n{}",
             // The general parser's path (chunked) decides the same.
             head + "Lambda-Runtime-Aws-Request-Id: second\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
         }) {
        SCOPED_TRACE(bytes);
        fake_runtime_api api;
        api.then(answer::raw(bytes), answer::event("after"));
        runtime_client client(api.endpoint());
        invocation inv;
        EXPECT_EQ(next_error(api, client, inv), errc::protocol_error);
        EXPECT_TRUE(inv.request_id.empty());
        EXPECT_FALSE(next_error(api, client, inv));  // on a fresh connection
        EXPECT_EQ(inv.request_id, "after");
    }
}

// ---- chunk extensions and trailers ------------------------------------------------------------------

const std::string chunked_event_head = std::string("HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: ") + request_id +
                                       "\r\nTransfer-Encoding: chunked\r\n\r\n";

TEST(RuntimeClientHostileAnswers, ChunkExtensionsAndTrailersWithinTheLimitsAreAccepted) {
    fake_runtime_api api;
    api.then(answer::raw(chunked_event_head + "2;name=" + std::string(30000, 'v') +
                         "\r\n{}\r\n0;last\r\nX-Trailer: " + std::string(30000, 't') + "\r\nX-Other: o\r\n\r\n"),
             answer::raw("HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n2;x=y\r\n{}\r\n0\r\nX-T: " +
                         std::string(30000, 't') + "\r\n\r\n"),
             answer::event("after"));
    runtime_client client(api.endpoint());
    invocation inv;
    EXPECT_FALSE(next_error(api, client, inv));
    EXPECT_EQ(inv.body, "{}");
    std::error_code ec;
    client.post_response(request_id, "{}", "application/json", ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_FALSE(next_error(api, client, inv));
    EXPECT_EQ(inv.request_id, "after");
    EXPECT_EQ(api.accepted_connections(), 1u);
}

// An answer that never ends its chunk-size line or its trailers: refused once past the limit, with the
// memory the client holds for it bounded (the server sends 64 MiB without ever holding them).
TEST(RuntimeClientHostileAnswers, ChunkExtensionsOrTrailersBeyondTheLimitAreAProtocolErrorAndMemoryStaysSmall) {
    struct row {
        const char* what;
        bool post;
        std::string head;
    };
    const row rows[] = {
        {"extension of /next", false, chunked_event_head + "2;"},
        {"extension without ';'", false, chunked_event_head + "2"},
        {"trailer of /next", false, chunked_event_head + "2\r\n{}\r\n0\r\nX-Trailer: "},
        {"extension of a post's answer", true, "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n2;"},
        {"trailer of a post's answer", true,
         "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: "},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.what);
        fake_runtime_api api;
        api.then(answer::raw(r.head).flooded(64 * MiB).then_close());
        runtime_client client(api.endpoint());
        const bool reset = reset_peak_memory();
        const long before = peak_memory_kb();
        std::error_code ec;
        if (r.post) {
            client.post_response(request_id, "{}", "application/json", ec);
        } else {
            invocation inv;
            client.next(inv, ec);
        }
        EXPECT_EQ(ec, errc::protocol_error);
        if (reset) {
            EXPECT_LT(peak_memory_kb() - before, 16 * 1024) << "kB more at the peak";
        }
    }
}

}  // namespace
