// Response streaming: the runtime client's streaming post against the fault-injecting fake API, the run
// loop's response writer for C++ handlers, and Python generators through the real emulator and bootstrap.
#include <lambda_py27/runtime/handler_registry.hpp>
#include <lambda_py27/runtime/response_stream.hpp>
#include <lambda_py27/runtime/run_loop.hpp>
#include <lambda_py27/runtime/runtime_client.hpp>
#include <lambda_py27/testing/detail/text.hpp>
#include <lambda_py27/testing/emulator.hpp>

#include "support/fake_runtime_api.hpp"
#include "support/served_function.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using lambda_py27::errc;
using lambda_py27::invocation;
using lambda_py27::invocation_response;
using lambda_py27::response_writer;
using lambda_py27::runtime_client;
using lambda_py27::test_support::answer;
using lambda_py27::test_support::fake_runtime_api;
using lambda_py27::test_support::received_request;
using namespace std::chrono_literals;

constexpr const char* request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";
constexpr const char* response_path = "/2018-06-01/runtime/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response";

std::string unbase64(const std::string& text) {
    std::string out;
    EXPECT_TRUE(lambda_py27::testing::detail::base64_decode(text, out)) << text;
    return out;
}

// ---- runtime_client::begin_stream against the fake API ---------------------------------------------

TEST(RuntimeClientStreaming, PostsChunksInStreamingModeWithTheTrailerDeclaration) {
    fake_runtime_api api;
    api.then(answer::accepted());
    runtime_client client(api.endpoint());
    std::error_code ec;
    auto stream = client.begin_stream(request_id, "text/plain", ec);
    ASSERT_FALSE(ec) << ec.message();
    stream->write("first ", ec);
    ASSERT_FALSE(ec);
    stream->write("", ec);  // sends nothing: an empty chunk would end the body
    stream->write(std::string(100000, 'x'), ec);
    ASSERT_FALSE(ec);
    stream->finish(ec);
    ASSERT_FALSE(ec) << ec.message();

    const auto reqs = api.requests();
    ASSERT_EQ(reqs.size(), 1U);
    const received_request& r = reqs[0];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, response_path);
    EXPECT_EQ(r.header("Lambda-Runtime-Function-Response-Mode"), "streaming");
    EXPECT_EQ(r.header("Transfer-Encoding"), "chunked");
    EXPECT_EQ(r.header("Trailer"), "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body");
    EXPECT_EQ(r.header("Content-Type"), "text/plain");
    EXPECT_FALSE(r.has_header("Content-Length"));
    ASSERT_EQ(r.chunks.size(), 2U);
    EXPECT_EQ(r.chunks[0], "first ");
    EXPECT_EQ(r.chunks[1].size(), 100000U);
    EXPECT_TRUE(r.trailers.empty());
}

TEST(RuntimeClientStreaming, AnErrorAfterTheFirstChunkGoesIntoTheTrailersAsBase64) {
    fake_runtime_api api;
    api.then(answer::accepted());
    runtime_client client(api.endpoint());
    std::error_code ec;
    auto stream = client.begin_stream(request_id, "application/octet-stream", ec);
    ASSERT_FALSE(ec);
    stream->write("partial", ec);
    const std::string error = R"({"errorMessage": "boom\n", "errorType": "ValueError"})";
    stream->fail("ValueError", error, ec);
    ASSERT_FALSE(ec) << ec.message();
    const auto r = api.requests().at(0);
    EXPECT_EQ(r.body, "partial");
    EXPECT_EQ(r.trailer("Lambda-Runtime-Function-Error-Type"), "ValueError");
    EXPECT_EQ(unbase64(r.trailer("Lambda-Runtime-Function-Error-Body")), error);
}

TEST(RuntimeClientStreaming, AnErrorTypeWithALineBreakIsDroppedNotInjected) {
    fake_runtime_api api;
    api.then(answer::accepted());
    runtime_client client(api.endpoint());
    std::error_code ec;
    auto stream = client.begin_stream(request_id, "text/plain", ec);
    stream->fail("Bad\r\nX-Injected: 1", "{}", ec);
    ASSERT_FALSE(ec);
    const auto r = api.requests().at(0);
    EXPECT_TRUE(r.trailer("X-Injected").empty());
    EXPECT_TRUE(r.trailer("Lambda-Runtime-Function-Error-Type").empty());
    EXPECT_EQ(unbase64(r.trailer("Lambda-Runtime-Function-Error-Body")), "{}");
}

TEST(RuntimeClientStreaming, TheApisRefusalAtTheEndIsReported) {
    fake_runtime_api api;
    api.then(answer::api_error(403, "InvalidStateTransition"));
    runtime_client client(api.endpoint());
    std::error_code ec;
    auto stream = client.begin_stream(request_id, "text/plain", ec);
    stream->write("x", ec);
    stream->finish(ec);
    EXPECT_EQ(ec, errc::invalid_state_transition);
    EXPECT_EQ(client.last_api_error_type(), "InvalidStateTransition");
}

TEST(RuntimeClientStreaming, TheConnectionGoesOnServingAfterAStream) {
    fake_runtime_api api;
    api.then(answer::accepted(), answer::event("next-one"));
    runtime_client client(api.endpoint());
    std::error_code ec;
    auto stream = client.begin_stream(request_id, "text/plain", ec);
    stream->write("a", ec);
    stream->finish(ec);
    ASSERT_FALSE(ec);
    const auto inv = client.next();
    EXPECT_EQ(inv.request_id, "next-one");
    EXPECT_EQ(api.accepted_connections(), 1U);
}

TEST(RuntimeClientStreaming, AStreamAbandonedHalfWayClosesTheConnectionAndTheNextCallUsesAFreshOne) {
    fake_runtime_api api;
    api.then(answer::event("next-one"));
    runtime_client client(api.endpoint());
    {
        std::error_code ec;
        auto stream = client.begin_stream(request_id, "text/plain", ec);
        stream->write("half", ec);
    }  // never finished: the server sees the connection end mid-body and records nothing
    const auto inv = client.next();
    EXPECT_EQ(inv.request_id, "next-one");
    EXPECT_EQ(api.accepted_connections(), 2U);
}

TEST(RuntimeClientStreaming, ALostConnectionMidStreamIsApiUnavailable) {
    fake_runtime_api api;
    api.then(answer::hang_up());
    runtime_client client(api.endpoint());
    std::error_code ec;
    auto stream = client.begin_stream(request_id, "text/plain", ec);
    ASSERT_FALSE(ec);
    stream->finish(ec);  // the server reads the request, then hangs up without an answer
    EXPECT_EQ(ec, errc::api_unavailable);
}

TEST(RuntimeClientStreaming, RefusesARequestIdThatCannotGoIntoAUrl) {
    runtime_client client(lambda_py27::test_support::unused_endpoint());
    std::error_code ec;
    EXPECT_EQ(client.begin_stream("../x", "text/plain", ec), nullptr);
    EXPECT_EQ(ec, errc::bad_request_id);
}

TEST(RuntimeClientStreaming, AnUnreachableApiIsApiUnavailable) {
    runtime_client client(lambda_py27::test_support::unused_endpoint());
    std::error_code ec;
    EXPECT_EQ(client.begin_stream(request_id, "text/plain", ec), nullptr);
    EXPECT_EQ(ec, errc::api_unavailable);
}

// ---- the run loop's response writer, C++ handlers -----------------------------------------------------

TEST(ResponseWriter, IsNullOutsideAHandler) { EXPECT_EQ(response_writer::current(), nullptr); }

TEST(ResponseWriter, ACppHandlerStreamsThroughTheRunLoop) {
    fake_runtime_api api;
    api.then(answer::event(request_id), answer::accepted(), answer::event("second"), answer::accepted());
    runtime_client client(api.endpoint());
    lambda_py27::run_options options;
    options.max_invocations = 2;
    const int status = lambda_py27::run(
        client,
        [](const invocation& inv) {
            if (inv.request_id == "second") return invocation_response::success("plain");
            auto& w = *response_writer::current();
            w.begin("text/plain");
            w.write("one,");
            w.write("two,");
            return invocation_response::success("three");  // written as the last chunk
        },
        options);
    EXPECT_EQ(status, 0);
    const auto reqs = api.requests();
    ASSERT_EQ(reqs.size(), 4U);
    EXPECT_EQ(reqs[1].header("Lambda-Runtime-Function-Response-Mode"), "streaming");
    EXPECT_EQ(reqs[1].chunks, (std::vector<std::string>{"one,", "two,", "three"}));
    // The next invocation is answered as usual, buffered.
    EXPECT_EQ(reqs[3].body, "plain");
    EXPECT_FALSE(reqs[3].has_header("Lambda-Runtime-Function-Response-Mode"));
    EXPECT_EQ(api.accepted_connections(), 1U);
}

TEST(ResponseWriter, AHandlerThatThrowsAfterTheFirstChunkEndsTheStreamWithTrailers) {
    fake_runtime_api api;
    api.then(answer::event(request_id), answer::accepted());
    runtime_client client(api.endpoint());
    lambda_py27::run_options options;
    options.max_invocations = 1;
    lambda_py27::run(
        client,
        [](const invocation&) -> invocation_response {
            response_writer::current()->write("chunk");
            throw std::runtime_error("disk on fire");
        },
        options);
    const auto r = api.requests().at(1);
    EXPECT_EQ(r.body, "chunk");
    EXPECT_EQ(r.trailer("Lambda-Runtime-Function-Error-Type"), "Runtime.HandlerError");
    EXPECT_NE(unbase64(r.trailer("Lambda-Runtime-Function-Error-Body")).find("disk on fire"), std::string::npos);
}

TEST(ResponseWriter, AFailureReturnedAfterStreamingWithoutATypeIsUnhandled) {
    fake_runtime_api api;
    api.then(answer::event(request_id), answer::accepted());
    runtime_client client(api.endpoint());
    lambda_py27::run_options options;
    options.max_invocations = 1;
    lambda_py27::run(
        client,
        [](const invocation&) {
            response_writer::current()->write("chunk");
            return invocation_response::failure(R"({"errorMessage": "late"})");
        },
        options);
    const auto r = api.requests().at(1);
    EXPECT_EQ(r.trailer("Lambda-Runtime-Function-Error-Type"), "Unhandled");
    EXPECT_EQ(unbase64(r.trailer("Lambda-Runtime-Function-Error-Body")), R"({"errorMessage": "late"})");
}

// A client whose streams count bytes and drop them, to reach the 200 MB limit without holding 200 MB.
class counting_client final : public lambda_py27::api_client {
public:
    struct counting_stream final : lambda_py27::response_stream {
        explicit counting_stream(counting_client& c) : owner(c) {}
        void write(std::string_view data, std::error_code& ec) override {
            ec.clear();
            owner.streamed += data.size();
        }
        void finish(std::error_code& ec) override {
            ec.clear();
            owner.ended = "finish";
        }
        void fail(std::string_view type, std::string_view body, std::error_code& ec) override {
            ec.clear();
            owner.ended = "fail";
            owner.error_type = std::string(type);
            owner.error_body = std::string(body);
        }
        counting_client& owner;
    };
    std::unique_ptr<lambda_py27::response_stream> begin_stream(std::string_view, std::string_view,
                                                               std::error_code& ec) override {
        ec.clear();
        return std::make_unique<counting_stream>(*this);
    }
    void next(invocation&, std::error_code& ec) override { ec = errc::container_error; }
    void post_response(std::string_view, std::string_view, std::string_view, std::error_code& ec) override {
        ec.clear();
    }
    void post_error(std::string_view, std::string_view, std::string_view, std::string_view,
                    std::error_code& ec) override {
        ec.clear();
    }
    void post_init_error(std::string_view, std::string_view, std::error_code& ec) override { ec.clear(); }

    std::uint64_t streamed = 0;
    std::string ended, error_type, error_body;
};

TEST(ResponseWriter, AStreamPast200MBIsCutWithResponseSizeTooLargeInTheTrailers) {
    counting_client client;
    response_writer w(client, request_id);
    const std::string mib(1024 * 1024, 'z');
    std::error_code ec;
    for (int i = 0; i < 200; ++i) {
        w.write(mib, ec);
        ASSERT_FALSE(ec) << i;
    }
    EXPECT_EQ(w.bytes_written(), lambda_py27::max_streamed_response_bytes);
    w.write("1", ec);  // one byte more than 200 MiB
    EXPECT_EQ(ec, errc::payload_too_large);
    EXPECT_TRUE(w.ended());
    EXPECT_EQ(client.streamed, lambda_py27::max_streamed_response_bytes);
    EXPECT_EQ(client.ended, "fail");
    EXPECT_EQ(client.error_type, "Function.ResponseSizeTooLarge");
    EXPECT_NE(client.error_body.find("\"errorType\": \"Function.ResponseSizeTooLarge\""), std::string::npos);
    w.write("more", ec);  // nothing more goes out
    EXPECT_EQ(ec, errc::payload_too_large);
    EXPECT_EQ(client.streamed, lambda_py27::max_streamed_response_bytes);
}

TEST(ResponseWriter, AClientThatCannotStreamGetsTheChunksAsOneBufferedPost) {
    fake_runtime_api api;
    api.then(answer::accepted());
    runtime_client real(api.endpoint());
    // The base class's buffered stream, reached through a client that does not override begin_stream.
    struct plain final : lambda_py27::api_client {
        explicit plain(runtime_client& r) : real(r) {}
        void next(invocation& out, std::error_code& ec) override { real.next(out, ec); }
        void post_response(std::string_view id, std::string_view b, std::string_view ct,
                           std::error_code& ec) override {
            real.post_response(id, b, ct, ec);
        }
        void post_error(std::string_view id, std::string_view b, std::string_view t, std::string_view x,
                        std::error_code& ec) override {
            real.post_error(id, b, t, x, ec);
        }
        void post_init_error(std::string_view b, std::string_view t, std::error_code& ec) override {
            real.post_init_error(b, t, ec);
        }
        runtime_client& real;
    } client(real);
    response_writer w(client, request_id);
    w.begin("text/csv");
    w.write("a,b\n");
    w.write("1,2\n");
    std::error_code ec;
    w.finish(ec);
    ASSERT_FALSE(ec);
    const auto r = api.requests().at(0);
    EXPECT_EQ(r.body, "a,b\n1,2\n");
    EXPECT_EQ(r.header("Content-Type"), "text/csv");
    EXPECT_FALSE(r.has_header("Lambda-Runtime-Function-Response-Mode"));
}

TEST(ResponseWriter, Base64MatchesTheStandardAlphabetWithPadding) {
    EXPECT_EQ(lambda_py27::detail::base64(""), "");
    EXPECT_EQ(lambda_py27::detail::base64("f"), "Zg==");
    EXPECT_EQ(lambda_py27::detail::base64("fo"), "Zm8=");
    EXPECT_EQ(lambda_py27::detail::base64("foo"), "Zm9v");
    EXPECT_EQ(lambda_py27::detail::base64(std::string("\xff\xfe\x00", 3)), "//4A");
}

}  // namespace
