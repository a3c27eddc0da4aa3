// A Python handler served by the real bootstrap (a child process) through the real emulator, for tests
// that go through every layer: sockets, the Runtime API, the interpreter.
#pragma once

#include <lambda_py27/testing/emulator.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace lambda_py27::test_support {

inline std::string data_dir() { return LAMBDA_PY27_TEST_DATA_DIR; }
inline std::string bootstrap_path() { return std::string(LAMBDA_PY27_BIN_DIR) + "/lambda-py27-bootstrap"; }

struct function_setup {
    function_setup(std::string h) : handler(std::move(h)) {}  // NOLINT: implicit from a handler name

    std::string handler;
    std::string task_root = data_dir() + "/handlers";
    std::map<std::string, std::string> environment;
    std::vector<std::string> extra_args;  ///< after the bootstrap path (e.g. the handler as argv[1])
    std::chrono::milliseconds timeout{20000};
    std::string log_file;  ///< when set, the runtime's stdout+stderr go there
    /// When set, the runtime gets this file (appended to) as its telemetry log descriptor (fd 3).
    std::string telemetry_log_file;
    unsigned max_concurrency = 1;  ///< emulator_options::max_concurrency
};

/// One emulator serving one function; `invoke()` calls it over HTTP.
class served_function {
public:
    explicit served_function(function_setup setup) {
        testing::emulator_options o;
        if (setup.log_file.empty() && setup.telemetry_log_file.empty()) {
            o.runtime_command = {bootstrap_path()};
        } else {
            // A fixed script (no test input in it) that sends the runtime's output to a file and opens the
            // telemetry log (the emulator closes every other descriptor of the runtime).
            std::string script = "exec \"$0\" \"$@\"";
            if (!setup.log_file.empty()) {
                script += " >>\"$LP27_TEST_LOG\" 2>&1";
                o.environment["LP27_TEST_LOG"] = setup.log_file;
            }
            if (!setup.telemetry_log_file.empty()) {
                script += " 3>>\"$LP27_TEST_TELEMETRY_LOG\"";
                o.environment["LP27_TEST_TELEMETRY_LOG"] = setup.telemetry_log_file;
                o.environment["_LAMBDA_TELEMETRY_LOG_FD"] = "3";
            }
            o.runtime_command = {"/bin/sh", "-c", script, bootstrap_path()};
        }
        for (auto& a : setup.extra_args) o.runtime_command.push_back(a);
        o.invoke_port = 0;
        o.task_root = setup.task_root;
        o.handler = setup.handler;
        o.timeout = setup.timeout;
        o.max_concurrency = setup.max_concurrency;
        o.environment.insert(setup.environment.begin(), setup.environment.end());
        o.environment["PYTHONDONTWRITEBYTECODE"] = "1";
        o.report = &report_;
        emulator_ = std::make_unique<testing::emulator>(std::move(o));
        emulator_->start();
    }

    testing::invoke_result invoke(const std::string& event = "{}",
                                  const std::map<std::string, std::string>& headers = {}) {
        return testing::invoke("127.0.0.1", emulator_->invoke_port(), event, headers);
    }

    /// The body parsed as JSON (fails the test's expectations, not the process, on bad JSON).
    static boost::json::value parse(const std::string& body) {
        boost::system::error_code ec;
        auto v = boost::json::parse(body, ec);
        return ec ? boost::json::value(nullptr) : v;
    }

    std::string report() const { return report_.str(); }
    std::uint16_t port() const { return emulator_->invoke_port(); }

private:
    std::ostringstream report_;
    std::unique_ptr<testing::emulator> emulator_;
};

}  // namespace lambda_py27::test_support
