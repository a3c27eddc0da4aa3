// The emulator's API Gateway front end (`lambda-py27-emulator --api-gateway 1.0|2.0`): the proxy events it
// makes of HTTP requests and the HTTP answers it makes of results, first as library functions, then end to
// end: the real emulator executable serving the real bootstrap and test/data/handlers/apigw.py, called
// with curl; last a Function URL in RESPONSE_STREAM invoke mode serving the streams of url_stream.py.
#include "testing/api_gateway.hpp"
#include "testing/text.hpp"

#include "support/emulator_process.hpp"
#include "support/free_port.hpp"
#include "support/run_command.hpp"
#include "support/scratch_dir.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

namespace json = boost::json;
namespace lt = lambda_py27::testing;
using lambda_py27::test_support::emulator_process;
using lambda_py27::test_support::free_port;
using lambda_py27::test_support::run_command;
using lambda_py27::test_support::scratch_dir;
using lt::api_gateway_payload;
using namespace std::chrono_literals;

// ---- the event builder and the result mapper, as functions -----------------------------------------

lt::detail::api_request orders_request() {
    lt::detail::api_request r;
    r.method = "POST";
    r.target = "/orders/7?dry=1&tag=a&tag=b%20c&plus=x+y";
    r.protocol = "HTTP/1.1";
    r.source_ip = "127.0.0.1";
    r.headers = {{"Host", "127.0.0.1:9000"}, {"User-Agent", "curl/7.88.1"},       {"X-Test", "a"}, {"X-Test", "b"},
                 {"Cookie", "s=1; t=2"},     {"Content-Type", "application/json"}};
    r.body = R"({"a": 1})";
    return r;
}

lt::detail::api_context context_at_epoch_ms(std::int64_t ms) {
    lt::detail::api_context ctx;
    ctx.request_id = "c0ffee00-0000-4000-8000-000000000001";
    ctx.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
    return ctx;
}

json::object event_of(api_gateway_payload format, const lt::detail::api_request& r) {
    return json::parse(lt::detail::proxy_event(format, r, context_at_epoch_ms(1583348638390))).as_object();
}

TEST(ApiGatewayEvent, PayloadOneIsARestProxyEventOfTheRequest) {
    const auto ev = event_of(api_gateway_payload::v1, orders_request());
    EXPECT_EQ(ev.at("resource"), "/{proxy+}");
    EXPECT_EQ(ev.at("path"), "/orders/7");
    EXPECT_EQ(ev.at("httpMethod"), "POST");
    EXPECT_EQ(ev.at("headers").at("X-Test"), "b") << "a repeated header's last value";
    EXPECT_EQ(json::serialize(ev.at("multiValueHeaders").at("X-Test")), R"(["a","b"])");
    EXPECT_EQ(ev.at("headers").at("Cookie"), "s=1; t=2");
    EXPECT_EQ(json::serialize(ev.at("queryStringParameters")), R"({"dry":"1","tag":"b c","plus":"x y"})");
    EXPECT_EQ(json::serialize(ev.at("multiValueQueryStringParameters")),
              R"({"dry":["1"],"tag":["a","b c"],"plus":["x y"]})");
    EXPECT_EQ(json::serialize(ev.at("pathParameters")), R"({"proxy":"orders/7"})");
    EXPECT_TRUE(ev.at("stageVariables").is_null());
    EXPECT_EQ(ev.at("body"), R"({"a": 1})");
    EXPECT_EQ(ev.at("isBase64Encoded"), false);
    const auto& rc = ev.at("requestContext").as_object();
    EXPECT_EQ(rc.at("stage"), "local");
    EXPECT_EQ(rc.at("path"), "/local/orders/7");
    EXPECT_EQ(rc.at("resourcePath"), "/{proxy+}");
    EXPECT_EQ(rc.at("httpMethod"), "POST");
    EXPECT_EQ(rc.at("protocol"), "HTTP/1.1");
    EXPECT_EQ(rc.at("requestId"), "c0ffee00-0000-4000-8000-000000000001");
    EXPECT_EQ(rc.at("requestTime"), "04/Mar/2020:19:03:58 +0000");
    EXPECT_EQ(rc.at("requestTimeEpoch"), 1583348638390);
    EXPECT_EQ(rc.at("identity").at("sourceIp"), "127.0.0.1");
    EXPECT_EQ(rc.at("identity").at("userAgent"), "curl/7.88.1");
}

TEST(ApiGatewayEvent, PayloadOneHasNullsForNoQueryNoBodyAndTheRoot) {
    auto r = orders_request();
    r.method = "GET";
    r.target = "/";
    r.body.clear();
    const auto ev = event_of(api_gateway_payload::v1, r);
    EXPECT_EQ(ev.at("resource"), "/");
    EXPECT_TRUE(ev.at("queryStringParameters").is_null());
    EXPECT_TRUE(ev.at("multiValueQueryStringParameters").is_null());
    EXPECT_TRUE(ev.at("pathParameters").is_null());
    EXPECT_TRUE(ev.at("body").is_null());
}

TEST(ApiGatewayEvent, PayloadTwoLowerCasesJoinsAndTakesCookiesOutOfTheHeaders) {
    const auto ev = event_of(api_gateway_payload::v2, orders_request());
    EXPECT_EQ(ev.at("version"), "2.0");
    EXPECT_EQ(ev.at("routeKey"), "$default");
    EXPECT_EQ(ev.at("rawPath"), "/orders/7");
    EXPECT_EQ(ev.at("rawQueryString"), "dry=1&tag=a&tag=b%20c&plus=x+y");
    EXPECT_EQ(json::serialize(ev.at("cookies")), R"(["s=1","t=2"])");
    const auto& headers = ev.at("headers").as_object();
    EXPECT_EQ(headers.at("x-test"), "a,b");
    EXPECT_EQ(headers.at("content-type"), "application/json");
    EXPECT_FALSE(headers.contains("cookie"));
    EXPECT_FALSE(headers.contains("X-Test"));
    EXPECT_EQ(json::serialize(ev.at("queryStringParameters")), R"({"dry":"1","tag":"a,b c","plus":"x y"})");
    EXPECT_FALSE(ev.contains("pathParameters")) << "the $default route has none";
    EXPECT_FALSE(ev.contains("multiValueHeaders"));
    const auto& rc = ev.at("requestContext").as_object();
    EXPECT_EQ(json::serialize(rc.at("http")),
              R"({"method":"POST","path":"/orders/7","protocol":"HTTP/1.1","sourceIp":"127.0.0.1",)"
              R"("userAgent":"curl/7.88.1"})");
    EXPECT_EQ(rc.at("routeKey"), "$default");
    EXPECT_EQ(rc.at("stage"), "$default");
    EXPECT_EQ(rc.at("time"), "04/Mar/2020:19:03:58 +0000");
    EXPECT_EQ(rc.at("timeEpoch"), 1583348638390);
    EXPECT_EQ(ev.at("body"), R"({"a": 1})");
    EXPECT_EQ(ev.at("isBase64Encoded"), false);

    auto bare = orders_request();
    bare.target = "/";
    bare.body.clear();
    bare.headers = {{"Host", "h"}};
    const auto empty = event_of(api_gateway_payload::v2, bare);
    EXPECT_FALSE(empty.contains("cookies"));
    EXPECT_FALSE(empty.contains("queryStringParameters"));
    EXPECT_FALSE(empty.contains("body"));
    EXPECT_EQ(empty.at("rawQueryString"), "");
}

TEST(ApiGatewayEvent, BodiesThatAreNotTextGoAsBase64) {
    for (const auto format : {api_gateway_payload::v1, api_gateway_payload::v2}) {
        auto r = orders_request();
        r.body = std::string("\x89PNG\r\n\x1a\n\x00\xff", 10);
        auto ev = event_of(format, r);
        EXPECT_EQ(ev.at("isBase64Encoded"), true) << "not UTF-8";
        EXPECT_EQ(ev.at("body"), "iVBORw0KGgoA/w==");
        r.body = "plain ascii";
        r.headers.emplace_back("Content-Type", "image/png");  // the first Content-Type is JSON
        EXPECT_EQ(event_of(format, r).at("isBase64Encoded"), false);
        r.headers = {{"Content-Type", "application/octet-stream"}};
        ev = event_of(format, r);
        EXPECT_EQ(ev.at("isBase64Encoded"), true) << "a binary content type";
        EXPECT_EQ(ev.at("body"), "cGxhaW4gYXNjaWk=");
        r.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
        r.body = "caf\xc3\xa9";
        ev = event_of(format, r);
        EXPECT_EQ(ev.at("isBase64Encoded"), false);
        EXPECT_EQ(ev.at("body"), "caf\xc3\xa9");
    }
}

std::string header_lines(const lt::detail::api_answer& a) {
    std::string out;
    for (const auto& [n, v] : a.headers) out += n + ": " + v + "\n";
    return out;
}

TEST(ApiGatewayResult, PayloadOneMapsStatusHeadersMultiValueHeadersAndBase64Bodies) {
    const auto a = lt::detail::proxy_answer(
        api_gateway_payload::v1,
        R"({"statusCode": 404, "headers": {"X-One": "1", "X-Num": 2, "X-Dup": "a"},)"
        R"( "multiValueHeaders": {"X-Dup": ["a", "b"], "Set-Cookie": ["s=1", "t=2"]}, "body": "gone"})");
    EXPECT_EQ(a.status, 404u);
    EXPECT_EQ(header_lines(a),
              "X-Dup: a\nX-Dup: b\nSet-Cookie: s=1\nSet-Cookie: t=2\nX-One: 1\nX-Num: 2\n"
              "Content-Type: application/json\n")
        << "a pair in both appears once; the default content type";
    EXPECT_EQ(a.body, "gone");
    EXPECT_TRUE(a.log.empty());
    const auto bin = lt::detail::proxy_answer(
        api_gateway_payload::v1,
        R"({"statusCode": "200", "headers": {"content-type": "image/png"}, "isBase64Encoded": true, "body": "AP8="})");
    EXPECT_EQ(bin.status, 200u);
    EXPECT_EQ(bin.body, std::string("\x00\xff", 2));
    EXPECT_EQ(header_lines(bin), "content-type: image/png\n");
}

TEST(ApiGatewayResult, MalformedResultsAre502WithTheReason) {
    const std::pair<const char*, const char*> cases[] = {
        {R"({"body": "no status"})", "no statusCode in"},
        {R"("just text")", "not an object"},
        {R"({"statusCode": 200, "body": {"a": 1}})", "body must be a string"},
        {R"({"statusCode": 99})", "statusCode must be an HTTP status"},
        {R"({"statusCode": 200, "headers": {"X-A": "1\r\nX-Injected: 1"}})", "header 'X-A' has a control character"},
        {R"({"statusCode": 200, "headers": {"Bad Name": "1"}})", "is not an HTTP token"},
        {R"({"statusCode": 200, "headers": ["X"]})", "headers must be an object"},
        {R"({"statusCode": 200, "isBase64Encoded": true, "body": "!!"})", "body is not base64"},
        {"not json", "the result is not JSON"},
    };
    for (const auto& [result, why] : cases) {
        const auto a = lt::detail::proxy_answer(api_gateway_payload::v1, result);
        EXPECT_EQ(a.status, 502u) << result;
        EXPECT_EQ(a.body, R"({"message": "Internal server error"})");
        EXPECT_NE(a.log.find("Malformed Lambda proxy response: "), std::string::npos) << a.log;
        EXPECT_NE(a.log.find(why), std::string::npos) << result << " -> " << a.log;
    }
}

TEST(ApiGatewayResult, PayloadTwoTakesAnyJsonWithoutStatusCodeAsTheBodyAndCookiesAsSetCookie) {
    const auto plain = lt::detail::proxy_answer(api_gateway_payload::v2, R"({"message": "hi"})");
    EXPECT_EQ(plain.status, 200u);
    EXPECT_EQ(plain.body, R"({"message": "hi"})");
    EXPECT_EQ(header_lines(plain), "Content-Type: application/json\n");
    EXPECT_EQ(lt::detail::proxy_answer(api_gateway_payload::v2, R"("Hello, world!")").body, R"("Hello, world!")");
    const auto described = lt::detail::proxy_answer(
        api_gateway_payload::v2,
        R"({"statusCode": 302, "headers": {"Location": "/x"}, "cookies": ["a=1; Path=/", "b=2"],)"
        R"( "multiValueHeaders": {"X-Ignored": ["1"]}})");
    EXPECT_EQ(described.status, 302u);
    EXPECT_EQ(header_lines(described),
              "Location: /x\nSet-Cookie: a=1; Path=/\nSet-Cookie: b=2\nContent-Type: application/json\n");
    EXPECT_EQ(described.body, "");
    const auto bad = lt::detail::proxy_answer(api_gateway_payload::v2, R"({"statusCode": 200, "cookies": [1]})");
    EXPECT_EQ(bad.status, 502u);
    EXPECT_NE(bad.log.find("cookies must be strings"), std::string::npos) << bad.log;
}

TEST(ApiGatewayResult, AFunctionErrorIs502AndLogsItsTypeAndMessage) {
    const auto a = lt::detail::function_error_answer(
        R"({"errorMessage": "closed\nfor now", "errorType": "ValueError", "stackTrace": []})");
    EXPECT_EQ(a.status, 502u);
    EXPECT_EQ(a.body, R"({"message": "Internal server error"})");
    EXPECT_EQ(a.log, "Lambda execution failed due to a function error: ValueError: closed for now");
}

// ---- end to end: the emulator executable, the bootstrap, curl ---------------------------------------

// A command line as a shell would split it (single quotes only), run with no shell.
std::vector<std::string> split_command(const std::string& line) {
    std::vector<std::string> argv;
    std::string word;
    bool in_word = false, quoted = false;
    for (const char c : line) {
        if (c == '\'') {
            quoted = !quoted;
            in_word = true;
        } else if (c == ' ' && !quoted) {
            if (in_word) argv.push_back(word);
            word.clear();
            in_word = false;
        } else {
            word.push_back(c);
            in_word = true;
        }
    }
    if (in_word) argv.push_back(word);
    return argv;
}

struct http_answer {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    std::vector<std::string> all(const std::string& name) const {
        std::vector<std::string> out;
        for (const auto& [n, v] : headers)
            if (lt::detail::iequals(n, name)) out.push_back(v);
        return out;
    }
    std::string one(const std::string& name) const {
        const auto v = all(name);
        return v.size() == 1 ? v[0] : "<" + std::to_string(v.size()) + " values>";
    }
};

// Runs `command` (a curl command line; PORT replaced by `port`) with -s -i added, and reads its answer.
http_answer curl(const std::string& command, std::uint16_t port) {
    auto line = command;
    line.replace(line.find("PORT"), 4, std::to_string(port));
    auto argv = split_command(line);
    argv.insert(argv.begin() + 1, {"-s", "-S", "-i"});
    std::string out;
    EXPECT_EQ(run_command(argv, {}, &out), 0) << line << "\n" << out;
    http_answer a;
    while (out.rfind("HTTP/1.1 100 Continue\r\n\r\n", 0) == 0) out.erase(0, 25);  // curl's Expect: 100-continue
    const auto end = out.find("\r\n\r\n");
    if (end == std::string::npos) {
        ADD_FAILURE() << "no HTTP answer: " << out;
        return a;
    }
    a.body = out.substr(end + 4);
    std::string head = out.substr(0, end + 2);
    const auto first = head.find("\r\n");
    a.status = std::stoi(head.substr(9, 3));
    for (auto pos = first + 2; pos < head.size();) {
        const auto eol = head.find("\r\n", pos);
        const auto field = head.substr(pos, eol - pos);
        const auto colon = field.find(':');
        const auto value = std::min(field.size(), field.find_first_not_of(' ', colon + 1));
        a.headers.emplace_back(field.substr(0, colon), field.substr(value));
        pos = eol + 2;
    }
    return a;
}

void wait_until_listening(std::uint16_t port) {
    for (int attempt = 0; attempt < 400; ++attempt) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(fd);
        if (up) return;
        std::this_thread::sleep_for(25ms);
    }
    FAIL() << "the emulator did not listen on " << port;
}

std::string bootstrap() { return std::string(LAMBDA_PY27_BIN_DIR) + "/lambda-py27-bootstrap"; }

// The emulator with --api-gateway `version`, serving `handler` (apigw.handler).
struct api_emulator {
    explicit api_emulator(const std::string& version, std::vector<std::string> more = {},
                          const std::string& handler = "apigw.handler")
        : port(free_port()), process(arguments(version, port, std::move(more), handler), {}) {
        wait_until_listening(port);
    }
    static std::vector<std::string> arguments(const std::string& version, std::uint16_t port,
                                              std::vector<std::string> more, const std::string& handler) {
        std::vector<std::string> args{"--api-gateway", version, "--port", std::to_string(port)};
        args.insert(args.end(), more.begin(), more.end());
        args.insert(args.end(), {"--", bootstrap(), handler});
        return args;
    }
    std::uint16_t port;
    emulator_process process;
};

// The issue's command, as a user types it.
const std::string orders_curl = R"(curl -X POST 'http://127.0.0.1:PORT/orders/7?dry=1' -H 'X-Test: a' -d '{"a": 1}')";

TEST(ApiGatewayFrontEnd, RestApiPayloadOneGivesTheHandlerTheRequestAndCurlItsAnswer) {
    api_emulator emu("1.0");
    const auto a = curl(orders_curl, emu.port);
    EXPECT_EQ(a.status, 201) << a.body;
    EXPECT_EQ(a.one("Content-Type"), "application/json");
    EXPECT_EQ(a.one("X-Handled-By"), "apigw.handler");
    EXPECT_EQ(a.one("X-Count"), "2");
    EXPECT_EQ(a.all("X-Multi"), (std::vector<std::string>{"one", "two"}));
    EXPECT_EQ(a.all("Set-Cookie"), (std::vector<std::string>{"session=abc; Path=/", "theme=dark"}));
    const auto ev = json::parse(a.body).as_object();  // the event the handler saw
    EXPECT_EQ(ev.at("httpMethod"), "POST");
    EXPECT_EQ(ev.at("path"), "/orders/7");
    EXPECT_EQ(ev.at("resource"), "/{proxy+}");
    EXPECT_EQ(json::serialize(ev.at("pathParameters")), R"({"proxy":"orders/7"})");
    EXPECT_EQ(json::serialize(ev.at("queryStringParameters")), R"({"dry":"1"})");
    EXPECT_EQ(json::serialize(ev.at("multiValueQueryStringParameters")), R"({"dry":["1"]})");
    EXPECT_EQ(ev.at("headers").at("X-Test"), "a");
    EXPECT_EQ(json::serialize(ev.at("multiValueHeaders").at("X-Test")), R"(["a"])");
    EXPECT_EQ(ev.at("headers").at("Content-Type"), "application/x-www-form-urlencoded") << "curl -d's type";
    EXPECT_EQ(ev.at("body"), R"({"a": 1})");
    EXPECT_EQ(ev.at("isBase64Encoded"), false);
    EXPECT_EQ(ev.at("requestContext").at("stage"), "local");
    EXPECT_EQ(ev.at("requestContext").at("identity").at("sourceIp"), "127.0.0.1");
    EXPECT_EQ(ev.at("requestContext").at("httpMethod"), "POST");
    emu.process.stop();
    EXPECT_NE(emu.process.log().find("API Gateway (payload format 1.0) http://127.0.0.1:" + std::to_string(emu.port)),
              std::string::npos)
        << emu.process.log();
}

TEST(ApiGatewayFrontEnd, HttpApiPayloadTwoGivesTheHandlerTheRequestAndCurlItsAnswer) {
    api_emulator emu("2.0");
    const auto a = curl(orders_curl, emu.port);
    EXPECT_EQ(a.status, 201) << a.body;
    EXPECT_EQ(a.one("X-Handled-By"), "apigw.handler");
    EXPECT_EQ(a.all("Set-Cookie"), (std::vector<std::string>{"session=abc; Path=/", "theme=dark"}));
    const auto ev = json::parse(a.body).as_object();
    EXPECT_EQ(ev.at("version"), "2.0");
    EXPECT_EQ(ev.at("routeKey"), "$default");
    EXPECT_EQ(ev.at("rawPath"), "/orders/7");
    EXPECT_EQ(ev.at("rawQueryString"), "dry=1");
    EXPECT_EQ(json::serialize(ev.at("queryStringParameters")), R"({"dry":"1"})");
    EXPECT_EQ(ev.at("headers").at("x-test"), "a");
    EXPECT_EQ(ev.at("body"), R"({"a": 1})");
    EXPECT_EQ(ev.at("isBase64Encoded"), false);
    const auto& http = ev.at("requestContext").at("http");
    EXPECT_EQ(http.at("method"), "POST");
    EXPECT_EQ(http.at("path"), "/orders/7");
    EXPECT_EQ(http.at("protocol"), "HTTP/1.1");
    EXPECT_EQ(http.at("sourceIp"), "127.0.0.1");
    EXPECT_EQ(std::string(http.at("userAgent").as_string()).rfind("curl/", 0), 0u);
    EXPECT_FALSE(ev.contains("cookies"));

    // Cookies sent arrive as the cookies array; a plain result is a 200 JSON answer, a string its JSON.
    const auto with_cookies = curl("curl -H 'Cookie: a=1; b=2' 'http://127.0.0.1:PORT/echo'", emu.port);
    EXPECT_EQ(json::serialize(json::parse(with_cookies.body).at("cookies")), R"(["a=1","b=2"])");
    const auto plain = curl("curl http://127.0.0.1:PORT/plain", emu.port);
    EXPECT_EQ(plain.status, 200);
    EXPECT_EQ(plain.one("Content-Type"), "application/json");
    EXPECT_EQ(json::parse(plain.body).at("message"), "hello");
    EXPECT_EQ(curl("curl http://127.0.0.1:PORT/text", emu.port).body, R"("Hello, world!")");
    // HEAD: the answer's length without its body (the connection stays usable).
    const auto head = curl("curl -I http://127.0.0.1:PORT/text", emu.port);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.one("Content-Length"), "15");
    EXPECT_EQ(head.body, "");
}

TEST(ApiGatewayFrontEnd, BinaryBodiesTravelBothWays) {
    scratch_dir dir;
    std::string bytes;
    for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
    std::ofstream(dir.path() / "payload.bin", std::ios::binary) << bytes;
    for (const char* version : {"1.0", "2.0"}) {
        api_emulator emu(version);
        const auto a = curl("curl -H 'Content-Type: application/octet-stream' --data-binary @" +
                                (dir.path() / "payload.bin").string() + " http://127.0.0.1:PORT/binary",
                            emu.port);
        EXPECT_EQ(a.status, 200) << version << ": " << a.body;
        EXPECT_EQ(a.one("Content-Type"), "application/octet-stream");
        EXPECT_EQ(a.body, bytes + std::string("\x00\xfe", 2)) << version;
    }
}

TEST(ApiGatewayFrontEnd, AMalformedResultIs502AndTheLogSaysWhy) {
    api_emulator emu("1.0");
    const auto a = curl("curl http://127.0.0.1:PORT/malformed", emu.port);
    EXPECT_EQ(a.status, 502);
    EXPECT_EQ(a.body, R"({"message": "Internal server error"})");
    // REST payload 1.0 assumes nothing: a result without statusCode is malformed too.
    EXPECT_EQ(curl("curl http://127.0.0.1:PORT/plain", emu.port).status, 502);
    emu.process.stop();
    const auto log = emu.process.log();
    const auto why = log.find("Malformed Lambda proxy response: body must be a string, not {\"not\":\"a string\"}\n");
    EXPECT_NE(why, std::string::npos) << log;
    EXPECT_LT(why, log.find("END RequestId:", why)) << "logged before END: " << log;
    EXPECT_NE(log.find("Malformed Lambda proxy response: no statusCode in {\"message\""), std::string::npos) << log;
}

TEST(ApiGatewayFrontEnd, AHandlerExceptionIs502AndTheNextRequestIsServed) {
    for (const char* version : {"1.0", "2.0"}) {
        api_emulator emu(version);
        const auto a = curl("curl -X PUT http://127.0.0.1:PORT/fail", emu.port);
        EXPECT_EQ(a.status, 502) << version;
        EXPECT_EQ(a.body, R"({"message": "Internal server error"})");
        EXPECT_EQ(curl("curl http://127.0.0.1:PORT/plain", emu.port).status, std::string(version) == "2.0" ? 200 : 502);
        emu.process.stop();
        EXPECT_NE(emu.process.log().find(
                      "Lambda execution failed due to a function error: ValueError: the order book is closed\n"),
                  std::string::npos)
            << emu.process.log();
    }
}

TEST(ApiGatewayFrontEnd, ATimeoutIs502) {
    api_emulator emu("2.0", {"--timeout", "1"});
    const auto a = curl("curl http://127.0.0.1:PORT/sleep", emu.port);
    EXPECT_EQ(a.status, 502);
    emu.process.stop();
    EXPECT_NE(emu.process.log().find("Task timed out after 1.00 seconds"), std::string::npos) << emu.process.log();
}

TEST(ApiGatewayFrontEnd, RequestsArrivingWhileTheFunctionIsBusyWaitForIt) {
    api_emulator emu("1.0");
    http_answer first, second;
    std::thread other([&] { first = curl("curl http://127.0.0.1:PORT/slow", emu.port); });
    second = curl("curl http://127.0.0.1:PORT/slow", emu.port);
    other.join();
    EXPECT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(second.status, 200) << second.body;
    EXPECT_NE(first.body, second.body) << "two invocations, two request ids";
}

TEST(ApiGatewayFrontEnd, AnEventOverTheLimitIs413AndTheNextRequestIsServed) {
    scratch_dir dir;
    // 5 MiB of binary: 6.7 MiB as base64 in the event, over the 6 MiB an event may have.
    std::ofstream(dir.path() / "big.bin", std::ios::binary) << std::string(5 * 1024 * 1024, '\xff');
    api_emulator emu("2.0");
    const auto a = curl("curl -H 'Content-Type: application/octet-stream' --data-binary @" +
                            (dir.path() / "big.bin").string() + " http://127.0.0.1:PORT/binary",
                        emu.port);
    EXPECT_EQ(a.status, 413);
    EXPECT_EQ(a.body, R"({"message": "Request Entity Too Large"})");
    EXPECT_EQ(curl("curl http://127.0.0.1:PORT/plain", emu.port).status, 200);
}

TEST(ApiGatewayFrontEnd, AStreamedResponseIsNotMappedInBufferedModeAnd502WithAHint) {
    for (const bool explicit_mode : {false, true}) {
        std::vector<std::string> more{"--env", "LAMBDA_PY27_RESPONSE_STREAMING=1"};
        if (explicit_mode) more.insert(more.end(), {"--function-url-invoke-mode", "BUFFERED"});
        api_emulator emu("2.0", more);
        const auto a = curl("curl http://127.0.0.1:PORT/stream", emu.port);
        EXPECT_EQ(a.status, 502);
        EXPECT_EQ(a.body, R"({"message": "Internal server error"})");
        EXPECT_EQ(curl("curl http://127.0.0.1:PORT/plain", emu.port).status, 200);
        emu.process.stop();
        const auto log = emu.process.log();
        const auto hint = log.find(
            "does not map a streamed response in the BUFFERED invoke mode (use "
            "--function-url-invoke-mode RESPONSE_STREAM with --api-gateway 2.0): 502");
        EXPECT_NE(hint, std::string::npos) << log;
        EXPECT_LT(hint, log.find("END RequestId")) << log;
    }
}

TEST(ApiGatewayFrontEnd, AnUnknownPayloadVersionIsAUsageError) {
    emulator_process emu({"--api-gateway", "3.0", bootstrap(), "apigw.handler"}, {});
    EXPECT_EQ(emu.exit_status(), 2);
    EXPECT_NE(emu.log().find("--api-gateway: expected the payload format version 1.0 or 2.0, got '3.0'"),
              std::string::npos)
        << emu.log();
}

// ---- a Function URL in RESPONSE_STREAM invoke mode (--function-url-invoke-mode) ---------------------

TEST(ApiGatewayResult, AStreamPreludeGivesTheHeadOfTheAnswer) {
    const auto a = lt::detail::stream_prelude_answer(
        R"({"statusCode": 201, "headers": {"X-Stream": "yes"}, "cookies": ["a=1", "b=2"]})");
    EXPECT_EQ(a.status, 201u);
    EXPECT_TRUE(a.log.empty()) << a.log;
    EXPECT_EQ(a.headers, (lt::detail::header_pairs{{"X-Stream", "yes"},
                                                   {"Set-Cookie", "a=1"},
                                                   {"Set-Cookie", "b=2"},
                                                   {"Content-Type", "application/octet-stream"}}));
    EXPECT_EQ(lt::detail::stream_prelude_answer("{}").status, 200u) << "the status may be left out";
    const auto bad = lt::detail::stream_prelude_answer(R"({"statusCode": 99})");
    EXPECT_EQ(bad.status, 502u);
    EXPECT_NE(bad.log.find("statusCode must be an HTTP status, not 99"), std::string::npos) << bad.log;
    const auto not_json = lt::detail::stream_prelude_answer("[1]");
    EXPECT_EQ(not_json.status, 502u);
    EXPECT_NE(not_json.log.find("the stream's prelude is not a JSON object: [1]"), std::string::npos) << not_json.log;
}

std::vector<std::string> stream_mode() {
    return {"--function-url-invoke-mode", "RESPONSE_STREAM", "--env", "LAMBDA_PY27_RESPONSE_STREAMING=1"};
}

std::string file_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(ApiGatewayStream, ThePreludeIsTheHeadAndTheBodyArrivesAsItIsYielded) {
    api_emulator emu("2.0", stream_mode(), "url_stream.handler");
    scratch_dir dir;
    const auto gate = dir.path() / "gate";
    const auto head = dir.path() / "head";
    const auto body = dir.path() / "body";
    // curl -N writes each piece as it comes; the handler yields its second chunk only once the gate exists,
    // which the test creates only after it saw the first chunk in curl's output.
    int status = -1;
    std::string curl_out;
    std::thread client([&] {
        status = run_command({"curl", "-s", "-S", "-N", "-D", head.string(), "-o", body.string(),
                              "http://127.0.0.1:" + std::to_string(emu.port) + "/prelude?gate=" + gate.string()},
                             {}, &curl_out);
    });
    bool first_seen = false;
    for (int i = 0; i < 1500 && !first_seen; ++i) {
        first_seen = file_text(body) == "<html>first";
        if (!first_seen) std::this_thread::sleep_for(10ms);
    }
    EXPECT_TRUE(first_seen) << "the first chunk did not reach the client alone: '" << file_text(body) << "'";
    std::ofstream(gate).put('\n');
    client.join();
    EXPECT_EQ(status, 0) << curl_out;
    EXPECT_EQ(file_text(body), "<html>firstsecond</html>");
    const auto h = file_text(head);
    EXPECT_EQ(h.rfind("HTTP/1.1 201 Created\r\n", 0), 0u) << h;
    for (const char* line :
         {"\r\nContent-Type: text/html\r\n", "\r\nX-Stream: yes\r\n", "\r\nSet-Cookie: session=abc; Path=/\r\n",
          "\r\nSet-Cookie: theme=dark\r\n", "\r\nTransfer-Encoding: chunked\r\n"})
        EXPECT_NE(h.find(line), std::string::npos) << line << " in\n" << h;
    EXPECT_EQ(h.find("Content-Length"), std::string::npos) << h;
    emu.process.stop();
    const auto log = emu.process.log();
    EXPECT_NE(log.find("START RequestId"), std::string::npos) << log;
    EXPECT_NE(log.find("REPORT RequestId"), std::string::npos) << log;
}

TEST(ApiGatewayStream, WithoutAPreludeItIs200OfTheStreamsTypeAndABufferedResultIsMappedAsBefore) {
    api_emulator emu("2.0", stream_mode(), "url_stream.handler");
    const auto plain = curl("curl -N http://127.0.0.1:PORT/plain", emu.port);
    EXPECT_EQ(plain.status, 200) << plain.body;
    EXPECT_EQ(plain.one("Content-Type"), "application/octet-stream");
    EXPECT_EQ(plain.one("Transfer-Encoding"), "chunked");
    EXPECT_EQ(plain.body, "one,two \xc3\xa9");
    const auto head = curl("curl -I http://127.0.0.1:PORT/plain", emu.port);  // the head alone
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.one("Content-Type"), "application/octet-stream");
    EXPECT_EQ(head.body, "");
    const auto buffered = curl("curl http://127.0.0.1:PORT/buffered", emu.port);
    EXPECT_EQ(buffered.status, 202);
    EXPECT_EQ(buffered.one("X-Buffered"), "yes");
    EXPECT_EQ(buffered.one("Content-Length"), "5");
    EXPECT_EQ(buffered.body, "whole");
}

TEST(ApiGatewayStream, AnErrorMidStreamCutsTheAnswerShortAndOneBeforeIsA502) {
    api_emulator emu("2.0", stream_mode(), "url_stream.handler");
    // --raw: the chunks as sent, so the missing last chunk shows; curl says the transfer was cut (18).
    std::string out;
    const auto url = "http://127.0.0.1:" + std::to_string(emu.port);
    EXPECT_EQ(run_command({"curl", "-s", "-i", "--raw", url + "/broken"}, {}, &out), 18) << out;
    EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << out;
    EXPECT_NE(out.find("\r\n\r\n7\r\npartial\r\n"), std::string::npos) << out;
    EXPECT_EQ(out.find("\r\n0\r\n"), std::string::npos) << "no last chunk: " << out;
    // The runtime's exit mid-stream too.
    EXPECT_EQ(run_command({"curl", "-s", "-i", "--raw", url + "/exits"}, {}, &out), 18) << out;
    EXPECT_NE(out.find("\r\n\r\n7\r\npartial\r\n"), std::string::npos) << out;
    // Before any byte of the answer: a 502, as a buffered function error.
    const auto first = curl("curl http://127.0.0.1:PORT/fails-first", emu.port);
    EXPECT_EQ(first.status, 502);
    EXPECT_EQ(first.body, R"({"message": "Internal server error"})");
    const auto bad = curl("curl http://127.0.0.1:PORT/bad-prelude", emu.port);
    EXPECT_EQ(bad.status, 502);
    EXPECT_EQ(bad.body, R"({"message": "Internal server error"})");
    EXPECT_EQ(curl("curl -N http://127.0.0.1:PORT/plain", emu.port).body, "one,two \xc3\xa9") << "still serving";
    emu.process.stop();
    const auto log = emu.process.log();
    const auto broke = log.find(
        "Lambda execution failed due to a function error: ValueError: the order book is "
        "closed\nEND RequestId");
    EXPECT_NE(broke, std::string::npos) << log;
    EXPECT_NE(log.find("Runtime.ExitError", broke), std::string::npos) << log;
    EXPECT_NE(log.find("Lambda execution failed due to a function error: KeyError: 'nothing yielded yet'"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("Malformed Lambda proxy response: header 'X-Bad' has a control character\nEND RequestId"),
              std::string::npos)
        << log;
}

TEST(ApiGatewayStream, ATimeoutMidStreamCutsTheAnswerShortAndTheNextRequestIsServed) {
    auto more = stream_mode();
    more.insert(more.end(), {"--timeout", "1"});
    api_emulator emu("2.0", more, "url_stream.handler");
    std::string out;
    const auto url = "http://127.0.0.1:" + std::to_string(emu.port);
    scratch_dir dir;  // the gate never opens: the handler waits past its timeout after the first chunk
    EXPECT_EQ(
        run_command({"curl", "-s", "-i", "--raw", url + "/prelude?gate=" + (dir.path() / "gate").string()}, {}, &out),
        18)
        << out;
    EXPECT_EQ(out.rfind("HTTP/1.1 201 Created\r\n", 0), 0u) << out;
    EXPECT_NE(out.find("\r\n\r\nb\r\n<html>first\r\n"), std::string::npos) << out;
    EXPECT_EQ(curl("curl -N http://127.0.0.1:PORT/plain", emu.port).body, "one,two \xc3\xa9");
    emu.process.stop();
    const auto log = emu.process.log();
    const auto timed_out = log.find("Task timed out after 1.00 seconds\nEND RequestId");
    EXPECT_NE(timed_out, std::string::npos) << log;
}

TEST(ApiGatewayStream, TheInvokeModeIsRefusedWithoutTheFunctionUrlsPayloadVersion) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--function-url-invoke-mode", "RESPONSE_STREAM", bootstrap(), "url_stream.handler"},
             {"--function-url-invoke-mode", "BUFFERED", bootstrap(), "url_stream.handler"},
             {"--api-gateway", "1.0", "--function-url-invoke-mode", "RESPONSE_STREAM", bootstrap(),
              "url_stream.handler"}}) {
        emulator_process emu(args, {});
        EXPECT_EQ(emu.exit_status(), 2);
        EXPECT_NE(emu.log().find("--function-url-invoke-mode: a Function URL's invoke mode, only with "
                                 "--api-gateway 2.0"),
                  std::string::npos)
            << emu.log();
    }
    emulator_process unknown(
        {"--api-gateway", "2.0", "--function-url-invoke-mode", "STREAM", bootstrap(), "url_stream.handler"}, {});
    EXPECT_EQ(unknown.exit_status(), 2);
    EXPECT_NE(unknown.log().find("--function-url-invoke-mode: expected BUFFERED or RESPONSE_STREAM, got 'STREAM'"),
              std::string::npos)
        << unknown.log();
    lt::emulator_options o;
    o.invoke_port = 0;
    o.invoke_mode = lt::function_url_invoke_mode::response_stream;
    o.api_gateway = api_gateway_payload::v1;
    lt::emulator library(o);
    EXPECT_THROW(library.start(), std::invalid_argument);
}

}  // namespace
