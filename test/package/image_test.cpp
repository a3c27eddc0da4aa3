// lambda-py27-package --image, built and run with podman: the image of a function (FROM scratch: the
// runtime at /opt, the function at /var/task, nothing else) serves the platform's Runtime API (the
// emulator outside, the container on the host's network) and, without AWS_LAMBDA_RUNTIME_API, serves
// itself on :8080 through its bundled emulator (local mode, as AWS's base images do), both as an
// unprivileged user id. Skips only where podman is missing or cannot run at all.
#include <lambda_py27/testing/emulator.hpp>

#include "../support/free_port.hpp"
#include "../support/run_command.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using lambda_py27::test_support::run_command;
using lambda_py27::test_support::free_port;
using namespace std::chrono_literals;

const fs::path bin_dir = LAMBDA_PY27_BIN_DIR;
const fs::path function_dir = fs::path(LAMBDA_PY27_TEST_DATA_DIR) / "package" / "image_function";

std::string unique(const std::string& what) { return "lambda-py27-test-" + what + "-" + std::to_string(::getpid()); }

class Image : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        std::string out;
        if (run_command({"podman", "info"}, {}, &out) != 0) {
            unavailable_ = "podman is missing or cannot run here: " + out.substr(0, 300);
            return;
        }
        tag_ = "localhost/" + unique("image") + ":test";
        const int rc = run_command({(bin_dir / "lambda-py27-package").string(), "--image", tag_, "--handler",
                                    "app.handler", function_dir.string()},
                                   {}, &build_log_);
        built_ = rc == 0;
    }
    static void TearDownTestSuite() {
        if (built_) run_command({"podman", "rmi", "-f", tag_});
    }
    void SetUp() override {
        if (unavailable_) GTEST_SKIP() << *unavailable_;
        ASSERT_TRUE(built_) << build_log_;
    }
    void TearDown() override {
        if (!container_.empty()) run_command({"podman", "rm", "-f", container_});
    }

    static inline std::optional<std::string> unavailable_;
    static inline std::string tag_, build_log_;
    static inline bool built_ = false;
    std::string container_;
};

json::object answer(const lambda_py27::testing::invoke_result& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.function_error, "") << r.body;
    return json::parse(r.body).as_object();
}

TEST_F(Image, IsTheRuntimeAndTheFunctionOnlyAndSmall) {
    EXPECT_NE(build_log_.find("image " + tag_ + " (scratch, x86_64; handler app.handler)"), std::string::npos)
        << build_log_;
    std::string size;
    ASSERT_EQ(run_command({"podman", "image", "inspect", "--format", "{{.Size}}", tag_}, {}, &size), 0) << size;
    EXPECT_LT(std::stoull(size), 45'000'000ull) << "the smallest Python 2.7 Lambda image: under 45 MB";
    std::string config;
    ASSERT_EQ(run_command(
                  {"podman", "image", "inspect", "--format", "{{json .Config.Entrypoint}} {{json .Config.Cmd}}", tag_},
                  {}, &config),
              0);
    EXPECT_EQ(config, "[\"/opt/bootstrap\"] [\"app.handler\"]\n");
}

// Lambda's side: the platform (here the emulator) gives the container AWS_LAMBDA_RUNTIME_API, the image
// runs as the bootstrap itself.
TEST_F(Image, ServesThePlatformsRuntimeApiAsAnUnprivilegedUser) {
    container_ = unique("platform");
    lambda_py27::testing::emulator_options o;
    o.runtime_command = {"podman", "run", "--rm", "--name", container_, "--network", "host", "--user", "993:993"};
    for (const char* v :
         {"AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
          "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_REGION"}) {
        o.runtime_command.push_back("-e");
        o.runtime_command.push_back(v);  // the value the emulator gives podman, passed into the container
    }
    o.runtime_command.push_back(tag_);
    o.invoke_port = 0;
    o.function_name = "image-fn";
    o.timeout = 60s;
    std::ostringstream report;
    o.report = &report;
    lambda_py27::testing::emulator emu(o);
    emu.start();
    const auto r = lambda_py27::testing::invoke("127.0.0.1", emu.invoke_port(), R"({"from": "platform"})", {}, 120s);
    emu.stop();
    const auto a = answer(r);
    EXPECT_EQ(std::string(a.at("function_name").as_string()), "image-fn");
    EXPECT_EQ(std::string(a.at("env_function_name").as_string()), "image-fn");
    EXPECT_EQ(a.at("uid").as_int64(), 993);
    EXPECT_TRUE(a.at("tmp_writable").as_bool());
    EXPECT_FALSE(a.at("task_writable").as_bool()) << "the function's code is read-only to it";
    EXPECT_EQ(std::string(a.at("file").as_string()), "/var/task/app.pyc");
    EXPECT_NE(report.str().find("REPORT RequestId:"), std::string::npos);
}

// The user's side: `podman run -p 9000:8080 IMAGE` + curl, as with AWS's base images.
TEST_F(Image, ServesItselfInLocalModeOnPort8080) {
    container_ = unique("local");
    const auto port = free_port();
    std::string out;
    ASSERT_EQ(
        run_command({"podman", "run", "-d", "--name", container_, "-p", "127.0.0.1:" + std::to_string(port) + ":8080",
                     "--user", "993:993", "-e", "AWS_LAMBDA_FUNCTION_NAME=local-fn", tag_},
                    {}, &out),
        0)
        << out;
    lambda_py27::testing::invoke_result r;
    for (int attempt = 0;; ++attempt) {
        try {
            r = lambda_py27::testing::invoke("127.0.0.1", port, R"({"from": "curl"})", {}, 60s);
            if (r.status != 0) break;
        } catch (const std::exception& e) {
            if (attempt == 150) FAIL() << "the image did not listen on :8080: " << e.what();
        }
        std::this_thread::sleep_for(100ms);
    }
    const auto a = answer(r);
    EXPECT_EQ(std::string(a.at("function_name").as_string()), "local-fn") << "AWS_LAMBDA_FUNCTION_NAME is honoured";
    EXPECT_EQ(json::serialize(a.at("echo")), R"({"from":"curl"})");
    EXPECT_EQ(a.at("uid").as_int64(), 993);
    std::string logs;
    run_command({"podman", "logs", container_}, {}, &logs);
    EXPECT_NE(logs.find("REPORT RequestId:"), std::string::npos) << logs;
}

// arm64 (Graviton): the same function on the aarch64 preset's image runtime (scripts/test.sh cross-builds
// it before the presets); built and inspected here, not run (that needs the host to run arm64 binaries).
TEST_F(Image, Arm64ImageIsBuiltFromTheCrossBuiltRuntime) {
    const fs::path arm64_runtime = LAMBDA_PY27_ARM64_IMAGE_RUNTIME;
    if (!fs::exists(arm64_runtime)) GTEST_SKIP() << "arm64 image skipped: " << arm64_runtime << " is not built";
    const std::string tag = "localhost/" + unique("arm64") + ":test";
    std::string out;
    ASSERT_EQ(run_command({(bin_dir / "lambda-py27-package").string(), "--image", tag, "--arch", "arm64", "--handler",
                           "app.handler", function_dir.string()},
                          {}, &out),
              0)
        << out;
    std::string arch;
    run_command({"podman", "image", "inspect", "--format", "{{.Architecture}} {{.Os}}", tag}, {}, &arch);
    run_command({"podman", "rmi", "-f", tag});
    EXPECT_EQ(arch, "arm64 linux\n");
    EXPECT_NE(out.find("(scratch, arm64; handler app.handler)"), std::string::npos) << out;
}

}  // namespace
