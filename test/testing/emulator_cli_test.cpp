// lambda-py27-emulator as a drop-in for AWS's Runtime Interface Emulator (aws-lambda-rie): its options,
// also after the command; the function's settings and the caller's credentials from the environment; the
// handler from the command's last argument. Each case runs the real emulator executable, which runs the
// real bootstrap, and invokes it over HTTP.
#include <lambda_py27/testing/emulator.hpp>
#include "testing/text.hpp"

#include "support/emulator_process.hpp"
#include "support/free_port.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;  // NOLINT: POSIX

namespace {

namespace json = boost::json;
using lambda_py27::test_support::emulator_process;
using lambda_py27::test_support::free_port;
using namespace std::chrono_literals;

const std::string bin_dir = LAMBDA_PY27_BIN_DIR;

lambda_py27::testing::invoke_result invoke_when_listening(std::uint16_t port, const std::string& event = "{}") {
    for (int attempt = 0;; ++attempt) {
        try {
            return lambda_py27::testing::invoke("127.0.0.1", port, event, {}, 60s);
        } catch (const std::exception&) {
            if (attempt == 200) throw;
            std::this_thread::sleep_for(50ms);
        }
    }
}

json::object describe(const lambda_py27::testing::invoke_result& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body).as_object();
}

std::string bootstrap() { return bin_dir + "/lambda-py27-bootstrap"; }

TEST(EmulatorCli, RieOptionsAreAcceptedAlsoAfterTheCommand) {
    const auto port = free_port(), api = free_port();
    emulator_process emu(
        {bootstrap(), "rie.describe", "--runtime-interface-emulator-address", "127.0.0.1:" + std::to_string(port),
         "--runtime-api-address", "127.0.0.1:" + std::to_string(api), "--log-level", "debug", "--enable-init-caching"},
        {});
    const auto o = describe(invoke_when_listening(port));
    EXPECT_EQ(std::string(o.at("runtime_api").as_string()), "127.0.0.1:" + std::to_string(api));
    EXPECT_EQ(std::string(o.at("handler").as_string()), "rie.describe") << "the command's last argument";
    emu.stop();
    EXPECT_NE(emu.log().find("--enable-init-caching is accepted and ignored"), std::string::npos) << emu.log();
}

TEST(EmulatorCli, LogLevelAboveInfoLeavesOutTheEmulatorsOwnLine) {
    const auto port = free_port();
    emulator_process emu({"--log-level", "error", "--port", std::to_string(port), "--", bootstrap(), "rie.describe"},
                         {});
    describe(invoke_when_listening(port));
    emu.stop();
    const auto log = emu.log();
    EXPECT_EQ(log.find("invoke endpoint"), std::string::npos) << log;
    EXPECT_NE(log.find("REPORT RequestId:"), std::string::npos) << "the function's log stays: " << log;
}

TEST(EmulatorCli, TelemetryLogShowsEachRecordOfTheRuntimeAsOneLine) {
    const auto port = free_port();
    emulator_process emu(
        {"--telemetry-log", "--port", std::to_string(port), "--", bootstrap(), "platform.log_exception"}, {});
    describe(invoke_when_listening(port));
    emu.stop();
    const auto log = emu.log();
    EXPECT_NE(log.find("\tit failed\\nTraceback (most recent call last):\\n"), std::string::npos) << log;
    EXPECT_NE(log.find("\ncontext line\n"), std::string::npos) << log;
    EXPECT_NE(log.find("\nprinted line\n"), std::string::npos) << "print stays on stdout: " << log;
}

TEST(EmulatorCli, TelemetryLinesLandBetweenTheRuntimesLinesNeverInsideOne) {
    const auto port = free_port();
    emulator_process emu(
        {"--telemetry-log", "--port", std::to_string(port), "--", bootstrap(), "platform.log_inside_a_line"}, {});
    EXPECT_EQ(invoke_when_listening(port).body, R"("ok")");
    emu.stop();
    const auto log = emu.log();
    // The runtime wrote the record while its stdout line was half written: the line stays whole, and the
    // record's line starts a line of its own.
    EXPECT_NE(log.find("\nstart of a line, its end\n"), std::string::npos) << log;
    const auto record = log.find("\ta record\n");
    ASSERT_NE(record, std::string::npos) << log;
    const auto line_start = log.rfind("[ERROR]\t", record);
    ASSERT_NE(line_start, std::string::npos) << log;
    ASSERT_GT(line_start, 0u) << log;
    EXPECT_EQ(log[line_start - 1], '\n') << log;
}

TEST(EmulatorCli, LogLevelFromTheEnvironmentAndABadOneIsAUsageError) {
    const auto port = free_port();
    {
        emulator_process emu({"--port", std::to_string(port), bootstrap(), "rie.describe"}, {{"LOG_LEVEL", "warn"}});
        describe(invoke_when_listening(port));
        emu.stop();
        EXPECT_EQ(emu.log().find("invoke endpoint"), std::string::npos) << emu.log();
    }
    emulator_process bad({"--log-level", "loud", bootstrap()}, {});
    EXPECT_EQ(bad.exit_status(), 2);
    EXPECT_NE(bad.log().find("--log-level: expected panic, fatal, error, warn, info, debug or trace"),
              std::string::npos)
        << bad.log();
}

TEST(EmulatorCli, FunctionSettingsComeFromTheEnvironmentAsRieTakesThem) {
    const auto port = free_port();
    emulator_process emu({"--port", std::to_string(port), bootstrap()},
                         {{"AWS_LAMBDA_FUNCTION_NAME", "orders-api"},
                          {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"},
                          {"AWS_LAMBDA_FUNCTION_VERSION", "7"},
                          {"AWS_REGION", "eu-west-1"},
                          {"AWS_LAMBDA_FUNCTION_TIMEOUT", "3"},
                          {"AWS_LAMBDA_FUNCTION_HANDLER", "rie.describe"}});
    const auto o = describe(invoke_when_listening(port));
    EXPECT_EQ(std::string(o.at("function_name").as_string()), "orders-api");
    EXPECT_EQ(std::string(o.at("memory").as_string()), "256");
    EXPECT_EQ(std::string(o.at("version").as_string()), "7");
    EXPECT_EQ(std::string(o.at("region").as_string()), "eu-west-1");
    EXPECT_EQ(std::string(o.at("arn").as_string()), "arn:aws:lambda:eu-west-1:012345678912:function:orders-api");
    EXPECT_EQ(std::string(o.at("handler").as_string()), "rie.describe") << "AWS_LAMBDA_FUNCTION_HANDLER";
    // RIE's end-to-end expectation: the remaining time counts down from the function's timeout.
    EXPECT_GT(o.at("remaining").as_int64(), 0);
    EXPECT_LE(o.at("remaining").as_int64(), 3000);
}

TEST(EmulatorCli, CommandLineOptionsWinOverTheEnvironment) {
    const auto port = free_port();
    emulator_process emu(
        {"--port", std::to_string(port), "--function-name", "from-flag", "--handler", "rie.describe", bootstrap()},
        {{"AWS_LAMBDA_FUNCTION_NAME", "from-env"}, {"AWS_DEFAULT_REGION", "ap-south-1"}});
    const auto o = describe(invoke_when_listening(port));
    EXPECT_EQ(std::string(o.at("function_name").as_string()), "from-flag");
    EXPECT_EQ(std::string(o.at("region").as_string()), "ap-south-1") << "AWS_DEFAULT_REGION when AWS_REGION is unset";
}

TEST(EmulatorCli, CallersCredentialsPassThroughAndNoneAreMadeUp) {
    const auto port = free_port();
    {
        emulator_process emu({"--port", std::to_string(port), bootstrap(), "rie.describe"},
                             {{"AWS_ACCESS_KEY_ID", "AKIAUSERKEY"},
                              {"AWS_SECRET_ACCESS_KEY", "user-secret"},
                              {"AWS_SESSION_TOKEN", "user-token"}});
        EXPECT_EQ(json::serialize(describe(invoke_when_listening(port)).at("credentials")),
                  R"(["AKIAUSERKEY","user-secret","user-token"])");
    }
    const auto port2 = free_port();
    emulator_process emu({"--port", std::to_string(port2), bootstrap(), "rie.describe"}, {});
    EXPECT_EQ(json::serialize(describe(invoke_when_listening(port2)).at("credentials")), "[null,null,null]");
}

TEST(EmulatorCli, TimeoutMessageIsRiesSentence) {
    const auto port = free_port();
    emulator_process emu({"--port", std::to_string(port), "--timeout", "1", bootstrap(), "rie.sleep"}, {});
    const auto r = invoke_when_listening(port, R"({"seconds": 5})");
    EXPECT_NE(r.body.find("Task timed out after 1.00 seconds"), std::string::npos) << r.body;
}

TEST(EmulatorCli, LambdasInvokeApiWithAPythonHandler) {
    const auto port = free_port();
    emulator_process emu({"--port", std::to_string(port), bootstrap(), "rie.log"}, {});
    ASSERT_EQ(invoke_when_listening(port).body, R"("logged")");
    namespace lt = lambda_py27::testing;
    // Tail: the invocation's own log, what the handler printed on both streams included.
    const auto tail = lt::invoke("127.0.0.1", port, "{}", {{"X-Amz-Log-Type", "Tail"}});
    const auto id = tail.headers.at("X-Amzn-RequestId");
    std::string log;
    ASSERT_TRUE(lt::detail::base64_decode(tail.headers.at("X-Amz-Log-Result"), log));
    EXPECT_EQ(log.rfind("START RequestId: " + id, 0), 0u) << log;
    EXPECT_NE(log.find("printed by " + id + "\n"), std::string::npos) << log;
    EXPECT_NE(log.find("to stderr by " + id + "\n"), std::string::npos) << log;
    EXPECT_NE(log.find("END RequestId: " + id + "\nREPORT RequestId: " + id), std::string::npos) << log;
    // An unhandled error: Unhandled, the type in the body.
    const auto failed = lt::invoke("127.0.0.1", port, R"({"fail": true})");
    EXPECT_EQ(failed.function_error, "Unhandled");
    EXPECT_NE(failed.body.find("ValueError"), std::string::npos) << failed.body;
    // Event: 202 at once, run all the same; DryRun: 204, nothing run.
    const auto event = lt::invoke("127.0.0.1", port, "{}", {{"X-Amz-Invocation-Type", "Event"}});
    EXPECT_EQ(event.status, 202);
    const auto dry = lt::invoke("127.0.0.1", port, "{}", {{"X-Amz-Invocation-Type", "DryRun"}});
    EXPECT_EQ(dry.status, 204);
    const auto event_id = event.headers.at("X-Amzn-RequestId");
    for (const auto until = std::chrono::steady_clock::now() + 20s;
         emu.log().find("REPORT RequestId: " + event_id) == std::string::npos &&
         std::chrono::steady_clock::now() < until;)
        std::this_thread::sleep_for(20ms);
    emu.stop();
    // The runtime's output still reaches the emulator's own output, before each END.
    const auto out = emu.log();
    const auto printed = out.find("printed by " + event_id);
    EXPECT_NE(printed, std::string::npos) << out;
    EXPECT_LT(printed, out.find("END RequestId: " + event_id)) << out;
    EXPECT_EQ(out.find(dry.headers.at("X-Amzn-RequestId")), std::string::npos) << out;
}

TEST(EmulatorCli, UnknownOptionBeforeTheCommandIsAUsageError) {
    emulator_process emu({"--no-such-option", bootstrap()}, {});
    EXPECT_EQ(emu.exit_status(), 2);
    EXPECT_NE(emu.log().find("unknown option '--no-such-option'"), std::string::npos) << emu.log();
}

}  // namespace
