// The security properties the README's threat model promises, checked on the real parts:
//  - the emulator (library and command) listens on loopback unless told otherwise;
//  - no shell ever sees text from an event, a header or the handler name;
//  - values copied from headers into the environment carry no control characters, and header text cannot
//    inject a header.
#include <lambda_py27/testing/emulator.hpp>

#include "support/served_function.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;  // NOLINT: POSIX

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using lambda_py27::test_support::data_dir;
using lambda_py27::test_support::function_setup;
using lambda_py27::test_support::served_function;
using namespace std::chrono_literals;

// Local addresses (hex, as in /proc/net/tcp*) of the sockets listening on `port`.
std::set<std::string> listening_addresses(unsigned port) {
    std::set<std::string> out;
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        std::ifstream in(table);
        std::string line;
        std::getline(in, line);  // header
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::string slot, local, remote, state;
            fields >> slot >> local >> remote >> state;
            const auto colon = local.rfind(':');
            if (colon == std::string::npos || state != "0A") continue;  // 0A: LISTEN
            if (std::stoul(local.substr(colon + 1), nullptr, 16) == port) out.insert(local.substr(0, colon));
        }
    }
    return out;
}

// The host's IPv4 addresses other than loopback.
std::vector<std::string> other_ipv4_addresses() {
    std::vector<std::string> out;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return out;
    for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
        if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
        const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
        if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
        char text[INET_ADDRSTRLEN];
        if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != nullptr) out.emplace_back(text);
    }
    ::freeifaddrs(list);
    return out;
}

bool can_connect(const std::string& address, unsigned port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
    const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

constexpr const char* loopback_hex = "0100007F";  // 127.0.0.1 as /proc/net/tcp writes it

void expect_loopback_only(unsigned port, const char* what) {
    const auto addresses = listening_addresses(port);
    EXPECT_EQ(addresses, std::set<std::string>{loopback_hex}) << what << " port " << port;
    EXPECT_TRUE(can_connect("127.0.0.1", port)) << what;
    for (const auto& a : other_ipv4_addresses()) EXPECT_FALSE(can_connect(a, port)) << what << " reachable on " << a;
}

unsigned port_of(const std::string& endpoint) {
    return static_cast<unsigned>(std::stoul(endpoint.substr(endpoint.rfind(':') + 1)));
}

// ---- loopback -------------------------------------------------------------------------------------

TEST(ReliabilitySecurity, TheEmulatorListensOnLoopbackUnlessToldOtherwise) {
    const lambda_py27::testing::emulator_options defaults;
    EXPECT_EQ(defaults.invoke_address, "127.0.0.1");
    EXPECT_EQ(defaults.runtime_api_address, "127.0.0.1");

    lambda_py27::testing::emulator_options o;
    o.invoke_port = 0;  // everything else as it comes
    std::ostringstream report;
    o.report = &report;
    lambda_py27::testing::emulator emu(o);
    emu.start();
    EXPECT_EQ(emu.runtime_api_endpoint().rfind("127.0.0.1:", 0), 0u) << emu.runtime_api_endpoint();
    expect_loopback_only(emu.invoke_port(), "invoke endpoint");
    expect_loopback_only(port_of(emu.runtime_api_endpoint()), "Runtime API");
}

TEST(ReliabilitySecurity, TheEmulatorCommandListensOnLoopbackUnlessToldOtherwise) {
    const std::string emulator = std::string(LAMBDA_PY27_BIN_DIR) + "/lambda-py27-emulator";
    int err_pipe[2];
    ASSERT_EQ(::pipe2(err_pipe, O_CLOEXEC), 0);
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    ::posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    std::string a0 = emulator, a1 = "--port", a2 = "0", a3 = "--", a4 = "/bin/false";
    char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), a4.data(), nullptr};
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, emulator.c_str(), &actions, nullptr, argv, environ);
    ::posix_spawn_file_actions_destroy(&actions);
    ::close(err_pipe[1]);
    ASSERT_EQ(rc, 0);

    std::string first_line;
    char c;
    while (first_line.size() < 4096 && ::read(err_pipe[0], &c, 1) == 1 && c != '\n') first_line += c;
    ::close(err_pipe[0]);
    const std::regex started(R"(invoke endpoint http://127\.0\.0\.1:(\d+)/.*Runtime API 127\.0\.0\.1:(\d+))");
    std::smatch m;
    const bool matched = std::regex_search(first_line, m, started);
    EXPECT_TRUE(matched) << first_line;
    if (matched) {
        expect_loopback_only(static_cast<unsigned>(std::stoul(m[1].str())), "emulator command's invoke endpoint");
        expect_loopback_only(static_cast<unsigned>(std::stoul(m[2].str())), "emulator command's Runtime API");
    }
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

// ---- no shell ---------------------------------------------------------------------------------------

std::string base64(const std::string& in) {
    static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                           static_cast<unsigned char>(in[i + 2]);
        out += {table[v >> 18], table[(v >> 12) & 63], table[(v >> 6) & 63], table[v & 63]};
    }
    if (i + 1 == in.size()) {
        const unsigned v = static_cast<unsigned char>(in[i]) << 16;
        out += {table[v >> 18], table[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == in.size()) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
        out += {table[v >> 18], table[(v >> 12) & 63], table[(v >> 6) & 63], '='};
    }
    return out;
}

function_setup reliability(const std::string& handler) {
    function_setup s{handler};
    s.task_root = data_dir() + "/reliability";
    return s;
}

TEST(ReliabilitySecurity, NoShellSeesTheEventTheHeadersOrTheHandlerName) {
    const std::string marker = ::testing::TempDir() + "/lp27_rel_shell_marker_" + std::to_string(::getpid());
    ::unlink(marker.c_str());
    const std::vector<std::string> attacks = {"$(touch " + marker + ")",
                                              "`touch " + marker + "`",
                                              "; touch " + marker,
                                              "| touch " + marker,
                                              "&& touch " + marker,
                                              "' ; touch " + marker + " ; '",
                                              "\" ; touch " + marker + " ; \""};
    {
        served_function fn(reliability("rel.echo"));
        for (const auto& a : attacks) {
            json::object event{{"text", a}};
            const std::string text = json::serialize(event);
            const auto r = fn.invoke(text);
            EXPECT_EQ(served_function::parse(r.body), json::value(event)) << a;
        }
    }
    {
        served_function fn(reliability("rel.context_probe"));
        for (const auto& a : attacks) {
            const std::string cc = json::serialize(json::object{{"custom", json::object{{"k", a}}}});
            const auto r = fn.invoke("{}", {{"X-Amzn-Trace-Id", "Root=1-" + a}, {"X-Amz-Client-Context", base64(cc)}});
            const auto got = served_function::parse(r.body);
            ASSERT_TRUE(got.is_object()) << r.body;
            EXPECT_EQ(got.at("trace_id"), json::value("Root=1-" + a));
            EXPECT_EQ(got.at("client_context").at("custom"), (json::object{{"k", a}}));
        }
    }
    for (const auto& a : {"rel.echo;touch " + marker, "rel.$(touch " + marker + ")", "$(touch " + marker + ").echo",
                          "rel.`touch " + marker + "`"}) {
        served_function fn(reliability(a));
        const auto r = fn.invoke("{}");
        EXPECT_EQ(r.status, 200) << a;
        EXPECT_TRUE(served_function::parse(r.body).as_object().contains("errorMessage")) << a << ": " << r.body;
    }
    struct stat st {};
    EXPECT_NE(::stat(marker.c_str(), &st), 0) << "a shell ran text from an invocation";
    ::unlink(marker.c_str());
}

TEST(ReliabilitySecurity, TheSourcesRunNoShellAndNoCommandLine) {
    // The library and the executables start processes only with posix_spawn and an argv (the emulator's
    // runtime); nothing builds a command line for a shell.
    const fs::path repo = fs::path(data_dir()).parent_path().parent_path();
    const std::regex shell_call(R"((\bsystem|\bpopen|\bexecl[pe]?|\bwordexp)\s*\(|"/bin/(ba)?sh"|"sh"\s*,\s*"-c")");
    std::size_t files = 0;
    for (const char* dir : {"src", "include", "tools", "bindings"}) {
        if (!fs::exists(repo / dir)) continue;
        for (const auto& e : fs::recursive_directory_iterator(repo / dir)) {
            const auto ext = e.path().extension().string();
            if (!e.is_regular_file() || (ext != ".cpp" && ext != ".hpp" && ext != ".in" && ext != ".py")) continue;
            ++files;
            std::ifstream in(e.path());
            std::string line;
            for (int n = 1; std::getline(in, line); ++n)
                EXPECT_FALSE(std::regex_search(line, shell_call)) << e.path().string() << ":" << n << ": " << line;
        }
    }
    EXPECT_GT(files, 20u);
}

// ---- header values --------------------------------------------------------------------------------

TEST(ReliabilitySecurity, ATraceIdWithAControlCharacterNeverReachesTheEnvironment) {
    served_function fn(reliability("rel.context_probe"));
    const auto tabbed = served_function::parse(fn.invoke("{}", {{"X-Amzn-Trace-Id", "Root=1-abc\tX=1"}}).body);
    EXPECT_EQ(tabbed.at("trace_id"), nullptr);
    const auto clean = served_function::parse(fn.invoke("{}", {{"X-Amzn-Trace-Id", "Root=1-abc;Sampled=1"}}).body);
    EXPECT_EQ(clean.at("trace_id"), "Root=1-abc;Sampled=1");
}

TEST(ReliabilitySecurity, AClientContextWithLineBreaksCannotInjectAHeader) {
    served_function fn(reliability("rel.context_probe"));
    // Line breaks inside the JSON's whitespace: harmless, the document still decodes.
    const auto spaced = served_function::parse(
        fn.invoke("{}", {{"X-Amz-Client-Context", base64("{\"custom\":\r\n{\"k\": \"v\\n\"}}")}}).body);
    EXPECT_EQ(spaced.at("client_context").at("custom"), (json::object{{"k", "v\n"}}));
    // A header smuggled after the document: it reaches the runtime as text of the client context (so the
    // invocation fails as invalid JSON), never as a header of its own that would replace the request id.
    const auto r =
        fn.invoke("{}", {{"X-Amz-Client-Context",
                          base64("{}\r\nLambda-Runtime-Aws-Request-Id: injected\r\nLambda-Runtime-Trace-Id: x")}});
    const auto body = served_function::parse(r.body);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(body.at("errorType"), "ValueError") << r.body;
    EXPECT_EQ(body.at("errorMessage").as_string().find("Extra data"), 0u) << r.body;
    EXPECT_EQ(r.headers.count("X-Amzn-RequestId"), 1u);
    EXPECT_NE(r.headers.at("X-Amzn-RequestId"), "injected");
}

}  // namespace
