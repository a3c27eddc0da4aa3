// lambda-py27-package, proven the way Lambda runs what it makes.
//
// A wheelhouse is built offline (test/data/package/make_wheelhouse.py): a pure wheel, a manylinux1 wheel
// with a C extension, an sdist with a C extension, and a wheel for another Python. The function in
// test/data/package/function imports the first three from its requirements.txt. Each artifact is unpacked
// into a private root (artifact_root: /var/task read-only, /opt from the layer, nothing of the host) and
// served by the emulator; the answers show where every module was loaded from, and that the .pyc files
// the tool wrote were used (a stale one would be recompiled from source, and __file__ would end in .py).
#include <lambda_py27/testing/artifact_root.hpp>
#include <lambda_py27/testing/emulator.hpp>

#include "../support/free_port.hpp"
#include "../support/run_command.hpp"
#include "../support/scratch_dir.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using lambda_py27::test_support::free_port;
using lambda_py27::test_support::run_command;
using lambda_py27::test_support::scratch_dir;
using namespace std::chrono_literals;

const fs::path bin_dir = LAMBDA_PY27_BIN_DIR;
const fs::path data_dir = fs::path(LAMBDA_PY27_TEST_DATA_DIR) / "package";
const fs::path layer_zip = LAMBDA_PY27_LAYER_ZIP;
const fs::path python = LAMBDA_PY27_PYTHON_EXECUTABLE;
const fs::path tool = bin_dir / "lambda-py27-package";
const fs::path enter_root = bin_dir / "lambda-py27-enter-root";

struct tool_run {
    int status;
    std::string output;
};

tool_run package(std::vector<std::string> args) {
    args.insert(args.begin(), tool.string());
    tool_run r{};
    r.status = run_command(args, {}, &r.output);
    return r;
}

std::vector<std::string> offline(const fs::path& wheelhouse) {
    return {"--pip-option=--no-index", "--pip-option=--find-links=" + wheelhouse.string()};
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> zip_listing(const fs::path& zip) {
    std::string out;
    EXPECT_EQ(run_command({"unzip", "-Z1", zip.string()}, {}, &out), 0) << out;
    std::vector<std::string> names;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) names.push_back(line);
    return names;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : json::serialize(v); }

// The shared wheelhouse and the function packaged once for use with the layer.
class Package : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        work_ = new scratch_dir("lambda-py27-package-test");
        wheelhouse_ = work_->path() / "wheelhouse";
        std::string out;
        ASSERT_EQ(
            run_command({python.string(), (data_dir / "make_wheelhouse.py").string(), wheelhouse_.string()}, {}, &out),
            0)
            << out;
    }
    static void TearDownTestSuite() {
        delete work_;
        work_ = nullptr;
    }
    void SetUp() override {
        if (const auto why = lambda_py27::testing::artifact_root::unavailable(enter_root)) private_root_missing_ = *why;
    }

    static fs::path function_zip(bool with_runtime) {
        const fs::path out = work_->path() / (with_runtime ? "self-contained.zip" : "function.zip");
        if (!fs::exists(out)) {
            std::vector<std::string> args{(data_dir / "function").string(), "-o", out.string(), "--exclude", "*.tmp"};
            if (with_runtime) args.insert(args.begin(), "--with-runtime");
            for (const auto& o : offline(wheelhouse_)) args.push_back(o);
            const auto r = package(args);
            EXPECT_EQ(r.status, 0) << r.output;
        }
        return out;
    }

    static inline scratch_dir* work_ = nullptr;
    static inline fs::path wheelhouse_;
    std::optional<std::string> private_root_missing_;
};

#define REQUIRE_PRIVATE_ROOT() \
    if (private_root_missing_) GTEST_SKIP() << "private root unavailable: " << *private_root_missing_

// Serves the artifact in a private root and invokes it once.
lambda_py27::testing::invoke_result serve(const lambda_py27::testing::artifact_options& a) {
    lambda_py27::testing::artifact_root root(a);
    lambda_py27::testing::emulator_options o;
    o.runtime_command = root.runtime_command();
    o.task_root = root.at("/var/task").string();
    o.environment = lambda_py27::testing::artifact_root::lambda_environment();
    o.invoke_port = 0;
    o.handler = "app.handler";
    o.function_name = "test_function";
    o.timeout = 60s;
    std::ostringstream report;
    o.report = &report;
    lambda_py27::testing::emulator emu(o);
    emu.start();
    auto r = lambda_py27::testing::invoke("127.0.0.1", emu.invoke_port(), R"({"name": "zip"})", {}, 120s);
    emu.stop();
    return r;
}

void check_answer(const lambda_py27::testing::invoke_result& r) {
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(r.function_error, "") << r.body;
    const auto o = json::parse(r.body).as_object();
    EXPECT_EQ(str(o.at("pure")), "hello zip from purepkg");
    EXPECT_EQ(o.at("fastmath").as_int64(), 5);
    EXPECT_EQ(o.at("fastsum").as_int64(), 10);
    EXPECT_EQ(o.at("helper").as_int64(), 42);
    EXPECT_EQ(str(o.at("function_name")), "test_function");
    const auto& files = o.at("files").as_object();
    EXPECT_EQ(str(files.at("purepkg")), "/var/task/purepkg/__init__.pyc") << "imported from the tool's .pyc";
    EXPECT_EQ(str(files.at("fastmath")), "/var/task/fastmath.so");
    EXPECT_EQ(str(files.at("fastsum")), "/var/task/fastsum.so");
    EXPECT_EQ(str(o.at("app")), "/var/task/app.pyc");
    std::vector<std::string> listing;
    for (const auto& e : o.at("task_root_listing").as_array()) listing.push_back(str(e));
    EXPECT_FALSE(contains(listing, "tests")) << "excluded by default";
    EXPECT_FALSE(contains(listing, "notes.tmp")) << "excluded by --exclude";
    // Lambda's sandbox: the code read-only, /tmp writable, nothing of the build host.
    EXPECT_FALSE(o.at("task_root_writable").as_bool());
    EXPECT_TRUE(o.at("tmp_writable").as_bool());
    EXPECT_EQ(json::serialize(o.at("host_visible")), "[]");
}

TEST_F(Package, FunctionZipWithAWheelABinaryWheelAndAnSdistServesWithTheLayerInAPrivateRoot) {
    const auto zip = function_zip(false);
    REQUIRE_PRIVATE_ROOT();
    check_answer(serve({zip, {layer_zip}, enter_root}));
}

TEST_F(Package, SelfContainedZipServesAloneInAPrivateRoot) {
    const auto zip = function_zip(true);
    const auto names = zip_listing(zip);
    EXPECT_TRUE(contains(names, "bootstrap"));
    EXPECT_TRUE(contains(names, "lib/libpython2.7.so.1.0"));
    EXPECT_TRUE(contains(names, "python/lib/python2.7/os.pyc"));
    REQUIRE_PRIVATE_ROOT();
    lambda_py27::testing::artifact_root probe({zip, {}, enter_root});
    EXPECT_EQ(probe.bootstrap(), "/var/task/bootstrap");
    check_answer(serve({zip, {}, enter_root}));
}

TEST_F(Package, ZipHoldsByteCompiledCodeAndLeavesOutExcludedPaths) {
    const auto names = zip_listing(function_zip(false));
    for (const char* present : {"app.py", "app.pyc", "lib_helpers/__init__.pyc", "purepkg/__init__.pyc", "fastmath.so",
                                "fastsum.so", "requirements.txt"})
        EXPECT_TRUE(contains(names, present)) << present;
    for (const auto& n : names) {
        EXPECT_NE(n.rfind("tests/", 0), 0u) << n;
        EXPECT_EQ(n.find(".tmp"), std::string::npos) << n;
        EXPECT_NE(n, "bootstrap") << "a zip for the layer carries no runtime";
    }
}

TEST_F(Package, SameInputsGiveTheSameBytes) {
    const auto first = function_zip(false);
    const fs::path second = work_->path() / "again.zip";
    std::vector<std::string> args{(data_dir / "function").string(), "-o", second.string(), "--exclude", "*.tmp", "-q"};
    for (const auto& o : offline(wheelhouse_)) args.push_back(o);
    const auto r = package(args);
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(read_file(first) == read_file(second)) << "two runs on the same inputs differ";
}

TEST_F(Package, LayerCommandWritesTheRuntimeLayer) {
    const fs::path out = work_->path() / "layer-copy.zip";
    const auto r = package({"--layer", "-o", out.string()});
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(read_file(out) == read_file(layer_zip));
    EXPECT_NE(r.output.find("(layer, at /opt)"), std::string::npos) << r.output;
    // The artifact says which of our Pythons it carries (python/BUILD-INFO.txt).
    EXPECT_NE(r.output.find("   python: arch: x86_64 flavour: "), std::string::npos) << r.output;
    EXPECT_TRUE(contains(zip_listing(out), "python/BUILD-INFO.txt"));
    // A quick Python (this build's, when setup.sh chose it) is named as not for deployment; opt is not.
    std::string info;
    ASSERT_EQ(run_command({"unzip", "-p", out.string(), "python/BUILD-INFO.txt"}, {}, &info), 0) << info;
    const bool quick = info.find("flavour: quick") != std::string::npos;
    ASSERT_TRUE(quick || info.find("flavour: opt") != std::string::npos) << info;
    const auto warning = r.output.find("lambda-py27-package: warning: this runtime carries the quick Python 2.7");
    EXPECT_EQ(warning != std::string::npos, quick) << r.output;
    if (quick) {
        EXPECT_NE(r.output.find("cmake --preset release", warning), std::string::npos) << r.output;
    }
}

// ---- what cannot work: one line, non-zero ------------------------------------------------------------

void expect_one_error_line(const tool_run& r, const std::string& needle) {
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("lambda-py27-package: error: "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(needle), std::string::npos) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

fs::path write_function(const fs::path& dir, const std::string& requirements) {
    fs::create_directories(dir);
    std::ofstream(dir / "app.py") << "def handler(event, context):\n    return 1\n";
    std::ofstream(dir / "requirements.txt") << requirements;
    return dir;
}

TEST_F(Package, MissingFolderIsOneClearLine) {
    expect_one_error_line(package({(work_->path() / "no-such-fn").string(), "-o", (work_->path() / "x.zip").string()}),
                          "no-such-fn is not a folder");
}

TEST_F(Package, RequirementNotFoundIsOneClearLine) {
    const auto fn = write_function(work_->path() / "fn-missing", "nosuchpkg==1.0\n");
    std::vector<std::string> args{fn.string(), "-o", (work_->path() / "y.zip").string()};
    for (const auto& o : offline(wheelhouse_)) args.push_back(o);
    expect_one_error_line(package(args), "requirement 'nosuchpkg==1.0' was not found by pip");
}

TEST_F(Package, WheelForAnotherPythonIsRefusedByName) {
    const auto fn = write_function(work_->path() / "fn-cp36", "py3only\n");
    std::vector<std::string> args{fn.string(), "-o", (work_->path() / "z.zip").string()};
    for (const auto& o : offline(wheelhouse_)) args.push_back(o);
    expect_one_error_line(package(args), "py3only-1.0-cp36-cp36m-manylinux1_x86_64.whl");
    EXPECT_FALSE(fs::exists(work_->path() / "z.zip"));
}

TEST_F(Package, OverLambdasUnpackedLimitNamesTheLargestFiles) {
    const auto fn = write_function(work_->path() / "fn-big", "");
    // A sparse file: 251 MB of size, no disk.
    { std::ofstream(fn / "model.bin"); }
    fs::resize_file(fn / "model.bin", 251u * 1000 * 1000);
    const auto r = package({fn.string(), "-o", (work_->path() / "big.zip").string()});
    expect_one_error_line(r, "over Lambda's limit");
    EXPECT_NE(r.output.find("model.bin (251.0 MB)"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(work_->path() / "big.zip"));
}

TEST_F(Package, Arm64TakesPureWheelsAndRefusesWhatNeedsACompiler) {
    const auto fn = write_function(work_->path() / "fn-arm64", "purepkg\n");
    std::vector<std::string> args{"--arch", "arm64", fn.string(), "-o", (work_->path() / "arm64.zip").string()};
    for (const auto& o : offline(wheelhouse_)) args.push_back(o);
    auto r = package(args);
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(contains(zip_listing(work_->path() / "arm64.zip"), "purepkg/__init__.pyc"));

    std::ofstream(fn / "requirements.txt") << "fastsum\n";  // an sdist: C code
    r = package(args);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("error: requirement 'fastsum' has no binary wheel for arm64"), std::string::npos)
        << r.output;
}

// pip 19.2.3 (ensurepip's) is replaced by what --upgrade-pip names (20.3.4 from an index; here 19.2.3 again
// from ensurepip's own wheels, offline), in a cache of the test's own; the next packaging uses it.
TEST_F(Package, UpgradedPipInstallsTheRequirements) {
    const fs::path cache = work_->path() / "pip-cache";
    ::setenv("LAMBDA_PY27_CACHE_HOME", cache.c_str(), 1);
    const fs::path bundled = python.parent_path().parent_path() / "lib/python2.7/ensurepip/_bundled";
    auto r = package(
        {"--upgrade-pip", "pip==19.2.3", "--pip-option=--no-index", "--pip-option=--find-links=" + bundled.string()});
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("lambda-py27-package: pip 19.2.3"), std::string::npos) << r.output;
    std::vector<std::string> args{(data_dir / "function").string(), "-o", (work_->path() / "upgraded.zip").string()};
    for (const auto& o : offline(wheelhouse_)) args.push_back(o);
    r = package(args);
    ::unsetenv("LAMBDA_PY27_CACHE_HOME");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(fs::is_directory(cache / "pip")) << "the private pip lives in LAMBDA_PY27_CACHE_HOME";
}

// ---- the emulator's --zip/--layer, as a user runs it ----------------------------------------------------

// Invokes the emulator started on `port` once it listens (it unpacks the artifact first).
lambda_py27::testing::invoke_result invoke_when_listening(std::uint16_t port) {
    for (int attempt = 0;; ++attempt) {
        try {
            return lambda_py27::testing::invoke("127.0.0.1", port, R"({"name": "zip"})", {}, 120s);
        } catch (const std::exception&) {
            if (attempt == 300) throw;
            std::this_thread::sleep_for(100ms);
        }
    }
}

TEST_F(Package, EmulatorCommandServesTheZipAndTheLayerAsDeployed) {
    const auto zip = function_zip(false);
    REQUIRE_PRIVATE_ROOT();
    const auto port = free_port();
    const fs::path log = work_->path() / "emulator.log";
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        const std::string emulator = (bin_dir / "lambda-py27-emulator").string();
        ::execl(emulator.c_str(), emulator.c_str(), "--port", std::to_string(port).c_str(), "--zip", zip.c_str(),
                "--layer", layer_zip.c_str(), "--handler", "app.handler", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    const auto r = invoke_when_listening(port);
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    const std::string text = read_file(log);
    check_answer(r);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
    EXPECT_NE(text.find("serving /opt/bootstrap from a private root"), std::string::npos) << text;
    EXPECT_NE(text.find("REPORT RequestId:"), std::string::npos) << text;
}

// Starts argv (argv[0] a path) as nobody, its stdout and stderr written to `output` (created 0644); the
// child exits 126 when it cannot become nobody, 127 when argv[0] does not run.
pid_t start_as_nobody(const std::vector<std::string>& argv, const fs::path& output) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(126);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    return pid;
}

// Runs argv as nobody, started as the test below starts the emulator (output discarded); returns its exit
// status.
int run_as_nobody(const std::vector<std::string>& argv) {
    const pid_t pid = start_as_nobody(argv, "/dev/null");
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Lambda runs functions as a user that owns nothing: the artifact runs so too (a user namespace stands in
// for root), here as `nobody` started by root.
TEST_F(Package, EmulatorServesTheArtifactToAnOrdinaryUser) {
    const auto zip = function_zip(false);
    REQUIRE_PRIVATE_ROOT();
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to become another user";
    const fs::path shared = work_->path() / "shared";  // readable by nobody
    fs::create_directories(shared);
    fs::copy_file(zip, shared / "function.zip", fs::copy_options::overwrite_existing);
    fs::copy_file(layer_zip, shared / "layer.zip", fs::copy_options::overwrite_existing);
    for (const auto& p : {work_->path(), shared}) fs::permissions(p, fs::perms(0755));
    for (const char* f : {"function.zip", "layer.zip"}) fs::permissions(shared / f, fs::perms(0644));
    // nobody must reach the build's programs (a clone under a private folder, e.g. mktemp -d, is not) and
    // make a user namespace.
    std::string probe;
    if (run_as_nobody({(bin_dir / "lambda-py27-emulator").string(), "--help"}) != 0)
        GTEST_SKIP() << "nobody cannot run this build's programs (a parent folder is private)";
    if (run_command(
            {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", enter_root.string(), "/", "--probe"}, {},
            &probe) != 0)
        GTEST_SKIP() << "no unprivileged user namespaces here: " << probe;
    const auto port = free_port();
    const fs::path log = work_->path() / "nobody.log";
    const pid_t pid = start_as_nobody(
        {(bin_dir / "lambda-py27-emulator").string(), "--port", std::to_string(port), "--zip",
         (shared / "function.zip").string(), "--layer", (shared / "layer.zip").string(), "--handler", "app.handler"},
        log);
    const auto r = invoke_when_listening(port);
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    check_answer(r);
    EXPECT_EQ(json::parse(r.body).as_object().at("uid").as_int64(), 65534) << read_file(log);
}

// boto3 and its kind in a layer of their own, as the legacy runtime had the SDK beside the function.
TEST_F(Package, PackagesLayerServesBesideTheRuntimeLayer) {
    REQUIRE_PRIVATE_ROOT();
    const fs::path fn = work_->path() / "fn-uses-layer";
    fs::create_directories(fn);
    std::ofstream(fn / "app.py") << "import fastmath, purepkg\n"
                                    "def handler(event, context):\n"
                                    "    return [fastmath.add(1, 2), purepkg.__file__, fastmath.__file__]\n";
    std::ofstream(work_->path() / "deps.txt") << "purepkg\nfastmath\n";
    const fs::path deps = work_->path() / "deps-layer.zip", zip = work_->path() / "uses-layer.zip";
    std::vector<std::string> args{"--packages-layer", "-r", (work_->path() / "deps.txt").string(), "-o", deps.string()};
    for (const auto& o : offline(wheelhouse_)) args.push_back(o);
    auto r = package(args);
    ASSERT_EQ(r.status, 0) << r.output;
    r = package({fn.string(), "-o", zip.string()});
    ASSERT_EQ(r.status, 0) << r.output;
    const auto answer = serve({zip, {layer_zip, deps}, enter_root});
    EXPECT_EQ(answer.body, R"([3, "/opt/python/lib/python2.7/site-packages/purepkg/__init__.pyc", )"
                           R"("/opt/python/lib/python2.7/site-packages/fastmath.so"])");
}

TEST_F(Package, InvokeCommandRunsTheArtifactOnce) {
    const auto zip = function_zip(false);
    REQUIRE_PRIVATE_ROOT();
    const fs::path event = work_->path() / "event.json";
    std::ofstream(event) << R"({"name": "zip"})";
    std::string out;
    const int rc = run_command({(bin_dir / "lambda-py27-invoke").string(), "--handler", "app.handler", "--zip",
                                zip.string(), "--layer", layer_zip.string(), "--event", event.string()},
                               {}, &out);
    EXPECT_EQ(rc, 0) << out;
    const auto at = out.find("{\"files\"");
    ASSERT_NE(at, std::string::npos) << out;
    lambda_py27::testing::invoke_result r;
    r.status = 200;
    r.body = out.substr(at, out.find('\n', at) - at);
    check_answer(r);
    EXPECT_NE(out.find("REPORT RequestId:"), std::string::npos) << out;
}

TEST_F(Package, EmulatorRefusesAZipThatHasNoRuntimeWithoutTheLayer) {
    const auto zip = function_zip(false);
    REQUIRE_PRIVATE_ROOT();
    std::string out;
    const int rc =
        run_command({(bin_dir / "lambda-py27-emulator").string(), "--port", "0", "--zip", zip.string()}, {}, &out);
    EXPECT_EQ(rc, 1) << out;
    EXPECT_NE(out.find("neither /var/task/bootstrap nor /opt/bootstrap"), std::string::npos) << out;
}

}  // namespace

int main(int argc, char** argv) {
    for (const char* v : {"PYTHONPATH", "PYTHONHOME", "LAMBDA_PY27_PYTHON_HOME", "LD_PRELOAD", "_HANDLER"})
        ::unsetenv(v);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
