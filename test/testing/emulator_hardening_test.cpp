// The emulator against hostile or broken HTTP and an orderly stop, over real sockets: large header
// fields, malformed requests, unbounded chunk extensions and trailers, callers in flight at stop().
#include <lambda_py27/testing/emulator.hpp>

#include <lambda_py27/runtime/runtime_client.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace {

namespace lt = lambda_py27::testing;
using namespace std::chrono_literals;

constexpr auto wait_limit = 20s;
const std::string invoke_target = "/2015-03-31/functions/function/invocations";

int connect_to(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    timeval tv{10, 0};  // a test waiting this long for an answer has failed
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

std::uint16_t port_of(const std::string& endpoint) {
    return static_cast<std::uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
}

struct raw_result {
    int status = 0;        // 0: no answer at all
    std::string text;      // everything the emulator sent
    std::size_t sent = 0;  // bytes of the request that went out
};

// Sends `head`, then `repeat` times `filler`, then `tail` (on a writer thread: the emulator may answer
// before it has read everything), optionally half-closes, and reads until the emulator closes.
raw_result raw_exchange(std::uint16_t port, const std::string& head, const std::string& filler = {},
                        std::size_t repeat = 0, const std::string& tail = {}, bool half_close = true) {
    raw_result r;
    const int fd = connect_to(port);
    if (fd < 0) return r;
    std::atomic<std::size_t> sent{0};
    std::thread writer([&] {
        const auto send_all = [&](const std::string& s) {
            std::size_t off = 0;
            while (off < s.size()) {
                const auto n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
                if (n <= 0) return false;
                off += static_cast<std::size_t>(n);
                sent += static_cast<std::size_t>(n);
            }
            return true;
        };
        bool ok = send_all(head);
        for (std::size_t i = 0; ok && i < repeat; ++i) ok = send_all(filler);
        if (ok) ok = send_all(tail);
        if (ok && half_close) ::shutdown(fd, SHUT_WR);
    });
    char buf[4096];
    for (;;) {
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        r.text.append(buf, static_cast<std::size_t>(n));
    }
    ::shutdown(fd, SHUT_RDWR);  // a writer still blocked in send() gets its error now
    writer.join();
    ::close(fd);
    r.sent = sent;
    if (r.text.rfind("HTTP/1.1 ", 0) == 0) r.status = std::atoi(r.text.c_str() + 9);
    return r;
}

long vm_hwm_kib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
    return 0;
}

lt::invoke_result call(std::uint16_t port, const std::string& event) {
    try {
        return lt::invoke("127.0.0.1", port, event, {}, wait_limit);
    } catch (const std::exception& e) {
        lt::invoke_result r;
        r.status = -1;
        r.body = e.what();
        return r;
    }
}

class EmulatorHardening : public ::testing::Test {
protected:
    std::ostringstream report;
    std::unique_ptr<lt::emulator> emu;

    void TearDown() override {
        if (emu) emu->stop();
    }

    lt::emulator& start_external(std::chrono::milliseconds shutdown_budget = 500ms) {
        lt::emulator_options o;
        o.invoke_port = 0;
        o.report = &report;
        o.timeout = 3s;
        o.shutdown_budget = shutdown_budget;
        emu = std::make_unique<lt::emulator>(std::move(o));
        emu->start();
        return *emu;
    }

    std::uint16_t invoke_port() const { return emu->invoke_port(); }
    std::uint16_t api_port() const { return port_of(emu->runtime_api_endpoint()); }
};

// ---- A: header fields of 64 KiB and more ----------------------------------------------------------

TEST_F(EmulatorHardening, AnXRayCauseOf66000BytesIsReadAndTheRuntimeStaysWarm) {
    start_external();
    const auto port = invoke_port();
    auto caller = std::async(std::launch::async, [port] { return call(port, R"({"n": 1})"); });
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    auto inv = rc.next();
    const std::string body = R"({"errorType": "ValueError", "errorMessage": ")" + std::string(66000, 'm') + R"("})";
    const std::string cause = R"({"exceptions": [{"message": ")" + std::string(66000, 'm') + R"("}]})";
    EXPECT_NO_THROW(rc.post_error(inv.request_id, body, "ValueError", cause));
    const auto res = caller.get();
    EXPECT_EQ(res.status, 200) << res.body.substr(0, 200);
    EXPECT_EQ(res.function_error, "Unhandled");
    EXPECT_TRUE(res.body == body) << res.body.size() << " bytes: " << res.body.substr(0, 200);

    // The same runtime (the same connection) serves the next invoke.
    auto second = std::async(std::launch::async, [port] { return call(port, R"({"n": 2})"); });
    inv = rc.next();
    EXPECT_EQ(inv.body, R"({"n": 2})");
    rc.post_response(inv.request_id, R"("ok")");
    EXPECT_EQ(second.get().body, R"("ok")");
}

// ---- B: every malformed request is answered --------------------------------------------------------

std::string post_head(const std::string& target, const std::string& headers) {
    return "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "\r\n";
}

TEST_F(EmulatorHardening, MalformedRequestsAreAnswered400) {
    start_external();
    const auto port = invoke_port();
    const auto expect_400 = [&](const std::string& what, const raw_result& r) {
        EXPECT_EQ(r.status, 400) << what << ": " << r.text.substr(0, 300);
        EXPECT_NE(r.text.find("BadRequest"), std::string::npos) << what;
    };
    expect_400("truncated body", raw_exchange(port, post_head(invoke_target, "Content-Length: 100\r\n") + "{}"));
    expect_400("chunk size zz", raw_exchange(port, post_head(invoke_target, "Transfer-Encoding: chunked\r\n") +
                                                       "zz\r\nab\r\n0\r\n\r\n"));
    expect_400("bad Content-Length", raw_exchange(port, post_head(invoke_target, "Content-Length: 12x\r\n") + "{}"));
    expect_400("Content-Length with Transfer-Encoding",
               raw_exchange(port, post_head(invoke_target, "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n") +
                                      "2\r\n{}\r\n0\r\n\r\n"));
    // The start of a TLS 1.2 ClientHello; a TLS client then waits for the server's hello.
    const std::string client_hello =
        std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11) + std::string(32, 'Z');
    expect_400("TLS ClientHello", raw_exchange(port, client_hello, {}, 0, {}, false));
    // The Runtime API answers the same way.
    expect_400("Runtime API: truncated body",
               raw_exchange(api_port(), post_head("/2018-06-01/runtime/init/error", "Content-Length: 100\r\n") + "{}"));
    expect_400("Runtime API: TLS", raw_exchange(api_port(), client_hello, {}, 0, {}, false));
}

TEST_F(EmulatorHardening, AHeaderSectionOfThreeMegabytesIsAnswered431AndABodyOverTheLimit413) {
    start_external();
    const auto port = invoke_port();
    const auto r = raw_exchange(port, "POST " + invoke_target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ",
                                std::string(64 * 1024, 'b'), 48, "\r\nContent-Length: 2\r\n\r\n{}");
    EXPECT_EQ(r.status, 431) << r.text.substr(0, 300);
    EXPECT_NE(r.text.find("RequestHeaderFieldsTooLarge"), std::string::npos);
    const auto big =
        raw_exchange(port, post_head(invoke_target, "Content-Length: 7000000\r\n"), std::string(1000 * 1000, 'x'), 7);
    EXPECT_EQ(big.status, 413) << big.text.substr(0, 300);
}

// ---- C: chunk extensions and trailers are bounded -------------------------------------------------

TEST_F(EmulatorHardening, AChunkExtensionJustOverItsBoundIsAnswered400) {
    start_external();
    const auto r = raw_exchange(invoke_port(), post_head(invoke_target, "Transfer-Encoding: chunked\r\n") + "2;" +
                                                   std::string(4 * 1024 + 1, 'e') + "\r\n{}\r\n0\r\n\r\n");
    EXPECT_EQ(r.status, 400) << r.text.substr(0, 300);
    EXPECT_NE(r.text.find("chunk line"), std::string::npos) << r.text.substr(0, 300);
}

TEST_F(EmulatorHardening, AnEndlessChunkExtensionIsAnsweredBeforeItEndsAndKeepsMemorySmall) {
    start_external();
    const long before = vm_hwm_kib();
    constexpr std::size_t mib = 1024 * 1024;
    const auto r = raw_exchange(invoke_port(), post_head(invoke_target, "Transfer-Encoding: chunked\r\n") + "2;",
                                std::string(mib, 'e'), 96, "\r\n{}\r\n0\r\n\r\n");
    EXPECT_EQ(r.status, 400) << r.text.substr(0, 300);
    EXPECT_LT(r.sent, 96 * mib) << "answered only after the whole extension was sent";
    EXPECT_LT(vm_hwm_kib() - before, 48L * 1024) << "VmHWM grew from " << before << " KiB";
}

TEST_F(EmulatorHardening, TrailersJustOverTheirBoundAreAnswered400) {
    start_external();
    // Three trailer fields of 800,000 bytes: each under the field bound, together over the trailer bound.
    std::string trailers;
    for (int i = 0; i < 3; ++i) trailers += "X-T" + std::to_string(i) + ": " + std::string(800 * 1000, 't') + "\r\n";
    const auto r = raw_exchange(invoke_port(), post_head(invoke_target, "Transfer-Encoding: chunked\r\n") +
                                                   "2\r\n{}\r\n0\r\n" + trailers + "\r\n");
    EXPECT_EQ(r.status, 400) << r.text.substr(0, 300);
}

// ---- D: a caller in flight when the emulator stops ------------------------------------------------

TEST_F(EmulatorHardening, ACallerInFlightAtStopGetsTheResultWhenTheRuntimeAnswersWithinTheBudget) {
    start_external(2000ms);
    const auto port = invoke_port();
    auto caller = std::async(std::launch::async, [port] { return call(port, R"({"n": 1})"); });
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    const auto inv = rc.next();
    auto stopper = std::async(std::launch::async, [this] { emu->stop(); });
    std::this_thread::sleep_for(200ms);
    EXPECT_NO_THROW(rc.post_response(inv.request_id, R"("finished")"));
    const auto res = caller.get();
    stopper.get();
    EXPECT_EQ(res.status, 200) << res.body;
    EXPECT_EQ(res.body, R"("finished")");
}

TEST_F(EmulatorHardening, ACallerInFlightAtStopGetsAnErrorWhenTheRuntimeDoesNotAnswer) {
    start_external(300ms);
    const auto port = invoke_port();
    auto caller = std::async(std::launch::async, [port] { return call(port, R"({"n": 1})"); });
    lambda_py27::runtime_client rc(emu->runtime_api_endpoint());
    (void)rc.next();
    const auto t0 = std::chrono::steady_clock::now();
    emu->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
    const auto res = caller.get();
    EXPECT_EQ(res.status, 502) << res.body;
    EXPECT_NE(res.body.find("Sandbox.Shutdown"), std::string::npos) << res.body;
}

}  // namespace
