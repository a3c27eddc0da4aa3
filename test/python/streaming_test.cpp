// Response streaming: the runtime client's streaming post against the fault-injecting fake API, the run
// loop's response writer for C++ handlers, and Python generators through the real emulator and bootstrap.
#include <lambda_py27/runtime/handler_registry.hpp>
#include <lambda_py27/runtime/response_stream.hpp>
#include <lambda_py27/runtime/run_loop.hpp>
#include <lambda_py27/runtime/runtime_client.hpp>
#include <lambda_py27/testing/emulator.hpp>
#include <lambda_py27/testing/python_function.hpp>
#include "runtime/base64.hpp"
#include "testing/text.hpp"

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
    EXPECT_TRUE(lambda_py27::detail::base64_decode(text, out)) << text;
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

// Runs `handler` for one invocation through the run loop against the fake API; the request that answered it.
received_request answer_of_one_invocation(const lambda_py27::handler_function& handler) {
    fake_runtime_api api;
    api.then(answer::event(request_id), answer::accepted());
    runtime_client client(api.endpoint());
    lambda_py27::run_options options;
    options.max_invocations = 1;
    lambda_py27::run(client, handler, options);
    return api.requests().at(1);
}

TEST(ResponseWriter, AHandlerThatThrowsAfterTheFirstChunkEndsTheStreamWithTrailers) {
    const auto r = answer_of_one_invocation([](const invocation&) -> invocation_response {
        response_writer::current()->write("chunk");
        throw std::runtime_error("disk on fire");
    });
    EXPECT_EQ(r.body, "chunk");
    EXPECT_EQ(r.trailer("Lambda-Runtime-Function-Error-Type"), "Runtime.HandlerError");
    EXPECT_NE(unbase64(r.trailer("Lambda-Runtime-Function-Error-Body")).find("disk on fire"), std::string::npos);
}

TEST(ResponseWriter, AFailureReturnedAfterStreamingWithoutATypeIsUnhandled) {
    const auto r = answer_of_one_invocation([](const invocation&) {
        response_writer::current()->write("chunk");
        return invocation_response::failure(R"({"errorMessage": "late"})");
    });
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
        void post_response(std::string_view id, std::string_view b, std::string_view ct, std::error_code& ec) override {
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
    EXPECT_EQ(lambda_py27::detail::base64_encode(""), "");
    EXPECT_EQ(lambda_py27::detail::base64_encode("f"), "Zg==");
    EXPECT_EQ(lambda_py27::detail::base64_encode("fo"), "Zm8=");
    EXPECT_EQ(lambda_py27::detail::base64_encode("foo"), "Zm9v");
    EXPECT_EQ(lambda_py27::detail::base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

}  // namespace

// ---- Python generators through the emulator and the bootstrap -----------------------------------------

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using lambda_py27::test_support::function_setup;
using lambda_py27::test_support::served_function;

struct streamed_answer {
    unsigned status = 0;
    std::string content_type;
    std::vector<std::string> chunks;  // as the emulator wrote them
    std::string body;
    std::string function_error;       // the X-Amz-Function-Error trailer (or header)
    std::string function_error_body;  // the X-Amz-Function-Error-Body trailer, decoded
    bool chunked = false;
    std::uint64_t streamed_bytes = 0;  // the body's size, also when it is not kept
};

// Invokes and reads the answer chunk by chunk; `on_chunk` sees each chunk as soon as it arrived.
streamed_answer stream_invoke(std::uint16_t port, const std::string& event,
                              const std::function<void(const std::string&)>& on_chunk = {}, bool keep_body = true) {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket socket(ioc);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    http::request<http::string_body> req{http::verb::post, "/2015-03-31/functions/function/invocations", 11};
    req.set(http::field::host, "127.0.0.1");
    req.body() = event;
    req.prepare_payload();
    http::write(socket, req);

    streamed_answer out;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    std::string current;
    auto on_body = [&](std::uint64_t remain, beast::string_view piece, beast::error_code&) {
        current.append(piece.data(), piece.size());
        if (!keep_body) {
            out.streamed_bytes += piece.size();
            return piece.size();
        }
        out.streamed_bytes += piece.size();
        if (piece.size() == remain) {
            out.chunks.push_back(current);
            out.body += current;
            if (on_chunk) on_chunk(current);
            current.clear();
        }
        return piece.size();
    };
    parser.on_chunk_body(on_body);
    http::read(socket, buffer, parser);
    const auto& res = parser.get();
    out.status = res.result_int();
    out.chunked = parser.chunked();
    if (!out.chunked) out.body = res.body();
    out.content_type = std::string(res[http::field::content_type]);
    out.function_error = std::string(res["X-Amz-Function-Error"]);
    const std::string b64(res["X-Amz-Function-Error-Body"]);
    if (!b64.empty()) out.function_error_body = unbase64(b64);
    return out;
}

function_setup streaming_function(const std::string& handler, bool enabled = true) {
    function_setup s("streaming." + handler);
    s.environment["LAMBDA_PY27_RESPONSE_STREAMING"] = enabled ? "1" : "";  // whatever this process has
    return s;
}

TEST(PythonStreaming, EachYieldedItemIsOneChunkStrAsIsUnicodeAsUtf8) {
    served_function fn(streaming_function("kinds"));
    const auto r = stream_invoke(fn.port(), "{}");
    EXPECT_EQ(r.status, 200U);
    EXPECT_TRUE(r.chunked);
    EXPECT_EQ(r.content_type, "application/octet-stream");
    EXPECT_EQ(r.body, "str,unicode \xc3\xa9,bytearray,end");
    EXPECT_GE(r.chunks.size(), 1U);  // the emulator may join chunks that wait for a slow caller
    EXPECT_TRUE(r.function_error.empty());
}

TEST(PythonStreaming, TheCallerGetsTheFirstChunkBeforeTheHandlerProducesTheSecond) {
    const auto gate = std::filesystem::temp_directory_path() /
                      ("lp27-gate-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
    std::filesystem::remove(gate);
    served_function fn(streaming_function("gated"));
    bool first_seen_before_gate = false;
    const auto r = stream_invoke(fn.port(), R"({"gate": ")" + gate.string() + R"("})", [&](const std::string& c) {
        if (c == "first") {
            first_seen_before_gate = !std::filesystem::exists(gate);
            std::ofstream(gate.string()) << "open";  // only now may the handler yield the second chunk
        }
    });
    std::filesystem::remove(gate);
    EXPECT_TRUE(first_seen_before_gate);
    EXPECT_EQ(r.chunks, (std::vector<std::string>{"first", "second"}));
}

TEST(PythonStreaming, AnExceptionAfterTheFirstChunkArrivesInTheTrailers) {
    served_function fn(streaming_function("fails_midway"));
    const auto r = stream_invoke(fn.port(), "{}");
    EXPECT_EQ(r.status, 200U);
    EXPECT_EQ(r.body, "partial");
    EXPECT_EQ(r.function_error, "Unhandled");
    const auto doc = served_function::parse(r.function_error_body);
    ASSERT_TRUE(doc.is_object()) << r.function_error_body;
    EXPECT_EQ(doc.at("errorType"), "ValueError");
    EXPECT_EQ(doc.at("errorMessage"), "broke after the first chunk");
    EXPECT_FALSE(doc.at("stackTrace").as_array().empty());
    // The runtime goes on serving.
    EXPECT_EQ(stream_invoke(fn.port(), "{}").body, "partial");
}

TEST(PythonStreaming, AnExceptionBeforeAnyChunkIsAnOrdinaryErrorAnswer) {
    served_function fn(streaming_function("fails_before"));
    const auto r = fn.invoke("{}");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.function_error, "Unhandled");
    const auto doc = served_function::parse(r.body);
    ASSERT_TRUE(doc.is_object()) << r.body;
    EXPECT_EQ(doc.at("errorType"), "KeyError");
    EXPECT_EQ(doc.at("errorMessage"), "'nothing yielded yet'");
}

TEST(PythonStreaming, AChunkThatIsNotTextIsATypeErrorInTheTrailersAndTheGeneratorIsClosed) {
    const auto log = std::filesystem::temp_directory_path() / ("lp27-stream-log-" + std::to_string(::getpid()));
    std::filesystem::remove(log);
    auto setup = streaming_function("bad_chunk");
    setup.log_file = log.string();
    {
        served_function fn(setup);
        const auto r = stream_invoke(fn.port(), "{}");
        EXPECT_EQ(r.body, "fine");
        EXPECT_EQ(r.function_error, "Unhandled");
        const auto doc = served_function::parse(r.function_error_body);
        ASSERT_TRUE(doc.is_object()) << r.function_error_body;
        EXPECT_EQ(doc.at("errorType"), "TypeError");
        EXPECT_EQ(doc.at("errorMessage"), "a streamed chunk must be str, unicode or bytearray, not int");
    }
    std::ifstream in(log);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::filesystem::remove(log);
    EXPECT_NE(text.find("generator closed"), std::string::npos) << text;
}

TEST(PythonStreaming, AnHttpResponsePreludeYieldedFirstMakesAFunctionUrlResponse) {
    served_function fn(streaming_function("url"));
    const auto r = stream_invoke(fn.port(), "{}");
    EXPECT_EQ(r.content_type, "application/vnd.awslambda.http-integration-response");
    const auto nul = r.body.find(std::string(8, '\0'));
    ASSERT_NE(nul, std::string::npos);
    const auto prelude = served_function::parse(r.body.substr(0, nul));
    ASSERT_TRUE(prelude.is_object()) << r.body.substr(0, nul);
    EXPECT_EQ(prelude.at("statusCode"), 201);
    EXPECT_EQ(prelude.at("headers").at("X-Stream"), "yes");
    EXPECT_EQ(prelude.at("cookies").as_array().at(0), "a=1");
    EXPECT_EQ(r.body.substr(nul + 8), "<html></html>");
}

TEST(PythonStreaming, APreludeAfterTheBodyBeganIsATypeError) {
    served_function fn(streaming_function("late_prelude"));
    const auto r = stream_invoke(fn.port(), "{}");
    EXPECT_EQ(r.body, "body");
    EXPECT_EQ(r.function_error, "Unhandled");
    EXPECT_NE(r.function_error_body.find("must be the first item"), std::string::npos);
    EXPECT_NE(r.function_error_body.find("TypeError"), std::string::npos) << r.function_error_body;
}

TEST(PythonStreaming, AGeneratorThatYieldsNothingIsAnEmptyStream) {
    served_function fn(streaming_function("empty"));
    const auto r = stream_invoke(fn.port(), "{}");
    EXPECT_EQ(r.status, 200U);
    EXPECT_TRUE(r.chunked);
    EXPECT_EQ(r.body, "");
    EXPECT_TRUE(r.function_error.empty());
}

TEST(PythonStreaming, AStreamMayBeLargerThanABufferedResponse) {
    served_function fn(streaming_function("big"));
    const auto r = stream_invoke(fn.port(), "{}");
    EXPECT_EQ(r.body.size(), 8U * 1024 * 1024);
    EXPECT_TRUE(r.function_error.empty());
}

TEST(PythonStreaming, SysExitMidStreamEndsTheRuntimeAndTheCallerSeesTheExit) {
    served_function fn(streaming_function("exits_midway"));
    const auto r = stream_invoke(fn.port(), "{}");
    if (r.status == 502) {
        // The emulator learnt of the exit before it had read the stream's first bytes: a plain exit error.
        EXPECT_NE(r.body.find("exit status 3"), std::string::npos) << r.body;
    } else {
        EXPECT_EQ(r.body, "bye");
        EXPECT_EQ(r.function_error, "Unhandled");
        EXPECT_NE(r.function_error_body.find("Runtime exited with error: exit status 3"), std::string::npos)
            << r.function_error << " " << r.function_error_body;
    }
}

TEST(PythonStreaming, AFunctionReturningAPlainValueIsAnsweredAsUsual) {
    served_function fn(streaming_function("not_a_generator"));
    const auto r = fn.invoke("{}");
    EXPECT_EQ(r.body, R"({"plain": true})");
    EXPECT_EQ(r.headers.count("Transfer-Encoding"), 0U);
}

TEST(PythonStreaming, WithoutTheSettingAGeneratorIsTheLegacyNotJsonSerializableError) {
    served_function fn(streaming_function("kinds", false));
    const auto r = fn.invoke("{}");
    EXPECT_EQ(r.function_error, "Unhandled");
    const auto doc = served_function::parse(r.body);
    ASSERT_TRUE(doc.is_object()) << r.body;
    EXPECT_EQ(doc.at("errorType"), "TypeError");
    EXPECT_NE(std::string(doc.at("errorMessage").as_string()).find("is not JSON serializable"), std::string::npos);
}

TEST(PythonStreaming, TheHelperModuleExistsOnlyWithTheSetting) {
    {
        served_function fn(streaming_function("imports_helper"));
        EXPECT_EQ(fn.invoke("{}").body, R"({"statusCode": 204})");
    }
    served_function fn(streaming_function("imports_helper", false));
    const auto r = fn.invoke("{}");
    EXPECT_EQ(r.function_error, "Unhandled");
    EXPECT_NE(r.body.find("No module named lambda_py27_streaming"), std::string::npos) << r.body;
}

TEST(PythonStreaming, InProcessTheChunksAreJoinedIntoOneResponse) {
    lambda_py27::testing::python_function fn("streaming.kinds", lambda_py27::test_support::data_dir() + "/handlers",
                                             {{"LAMBDA_PY27_RESPONSE_STREAMING", "1"}});
    const auto r = fn.invoke("{}");
    EXPECT_TRUE(r.success) << r.body;
    EXPECT_EQ(r.body, "str,unicode \xc3\xa9,bytearray,end");
}

TEST(PythonStreaming, AStreamPast200MiBIsCutAtTheLimitWithResponseSizeTooLargeInTheTrailers) {
    served_function fn(streaming_function("huge"));
    const auto r = stream_invoke(fn.port(), "{}", {}, false);
    EXPECT_EQ(r.status, 200U);
    EXPECT_EQ(r.streamed_bytes, lambda_py27::max_streamed_response_bytes);
    EXPECT_EQ(r.function_error, "Unhandled");
    EXPECT_NE(r.function_error_body.find("Function.ResponseSizeTooLarge"), std::string::npos);
    EXPECT_NE(r.function_error_body.find("exceeded maximum allowed payload size"), std::string::npos);
    // The runtime goes on serving.
    EXPECT_EQ(stream_invoke(fn.port(), "{}", {}, false).streamed_bytes, lambda_py27::max_streamed_response_bytes);
}

}  // namespace
