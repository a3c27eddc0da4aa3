// lambda-py27-emulator: the Runtime API emulator as a command (see --help).
#include <lambda_py27/testing/artifact_root.hpp>
#include <lambda_py27/testing/emulator.hpp>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <pthread.h>
#include <signal.h>

namespace {

constexpr int usage_status = 2;

constexpr const char* help_text = R"(Usage: lambda-py27-emulator [OPTIONS] [--] [RUNTIME_CMD [ARGS...]]

Serves the AWS Lambda Runtime API to a runtime process and an invoke endpoint to callers, as AWS's
Runtime Interface Emulator does:

  curl -d '{"key": "value"}' http://127.0.0.1:8080/2015-03-31/functions/function/invocations

The runtime is started (never through a shell) at the first invoke, with the Lambda environment
(AWS_LAMBDA_RUNTIME_API, _HANDLER, LAMBDA_TASK_ROOT, ...) on top of this process's environment and the
task root as its working directory; its output goes to this process's output, as do the START, END and
REPORT lines. It is started again after it exits, crashes or is killed for a timeout.

Options:
  --address ADDR       address of the invoke endpoint (default 127.0.0.1)
  --port PORT          port of the invoke endpoint; 0 picks a free one (default 8080)
  --task-root DIR      LAMBDA_TASK_ROOT and the runtime's working directory (default: current directory)
  --handler NAME       _HANDLER, e.g. lambda_function.lambda_handler
  --function-name N    AWS_LAMBDA_FUNCTION_NAME (default test_function)
  --memory MB          AWS_LAMBDA_FUNCTION_MEMORY_SIZE (default 3008)
  --timeout SECONDS    function timeout, may have decimals (default: $AWS_LAMBDA_FUNCTION_TIMEOUT, else 300)
  --env KEY=VALUE      extra variable for the runtime; repeatable
  --max-concurrency N  invocations in flight at once, as Lambda Managed Instances (default 1); the
                       runtime gets AWS_LAMBDA_MAX_CONCURRENCY=N, an invoke beyond N gets 429
  --shutdown-budget MS time a runtime that registered an extension gets between SIGTERM and SIGKILL
                       when the emulator stops (default 500, Lambda's budget with an internal extension)
  --zip FILE           run a deployment artifact as Lambda does: FILE unpacked at /var/task, read-only,
                       in a private root holding only it, the layers, /tmp, /dev and /proc (needs root
                       or unprivileged user namespaces); the bootstrap is /var/task/bootstrap, else
                       /opt/bootstrap, unless RUNTIME_CMD names one in the root
  --layer FILE         a layer zip unpacked at /opt in that root; repeatable, in order (alone: a
                       function given by --task-root is not possible, give --zip)
  -h, --help           print this help and exit

RUNTIME_CMD defaults to lambda-py27-bootstrap in the directory of this executable.
Options also accept the --name=value form. SIGINT or SIGTERM stops the emulator and the runtime.
Exit status: 0 after a signal, 1 when the emulator cannot start, 2 for a bad command line.
)";

struct usage_error {
    std::string message;
};

// --zip / --layer: what to unpack into a private root.
struct artifact_request {
    std::filesystem::path function_zip;
    std::vector<std::filesystem::path> layers;
    bool wanted() const { return !function_zip.empty() || !layers.empty(); }
};

template <class T>
T parse_number(std::string_view option, std::string_view text, T min, T max) {
    T value{};
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || ptr != text.data() + text.size() || text.empty() || value < min || value > max)
        throw usage_error{std::string(option) + ": expected a number from " + std::to_string(min) + " to " +
                          std::to_string(max) + ", got '" + std::string(text) + "'"};
    return value;
}

std::chrono::milliseconds parse_seconds(std::string_view option, std::string_view text) {
    std::string s(text);
    char* end = nullptr;
    errno = 0;
    const double seconds = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || errno != 0 || !std::isfinite(seconds) || seconds <= 0 ||
        seconds > 86400.0 * 365)
        throw usage_error{std::string(option) + ": expected a positive number of seconds, got '" + s + "'"};
    return std::chrono::milliseconds(static_cast<long long>(std::llround(seconds * 1000.0)));
}

// Parses the command line into `opts`; returns false when --help was printed.
bool parse_command_line(int argc, char** argv, lambda_py27::testing::emulator_options& opts,
                        artifact_request& artifact) {
    if (const char* t = std::getenv("AWS_LAMBDA_FUNCTION_TIMEOUT"); t != nullptr && *t != '\0') {
        try {
            opts.timeout = parse_seconds("AWS_LAMBDA_FUNCTION_TIMEOUT", t);
        } catch (const usage_error& e) {
            throw usage_error{e.message + " (from the environment)"};
        }
    }
    int i = 1;
    for (; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (arg.size() < 2 || arg[0] != '-') break;  // the runtime command starts here
        if (arg == "-h" || arg == "--help") {
            std::cout << help_text;
            return false;
        }
        std::string_view name = arg;
        std::optional<std::string_view> inline_value;
        if (const auto eq = arg.find('='); arg.substr(0, 2) == "--" && eq != std::string_view::npos) {
            name = arg.substr(0, eq);
            inline_value = arg.substr(eq + 1);
        }
        const auto value = [&]() -> std::string_view {
            if (inline_value) return *inline_value;
            if (i + 1 >= argc) throw usage_error{std::string(name) + ": missing value"};
            return argv[++i];
        };
        if (name == "--address") {
            opts.invoke_address = std::string(value());
        } else if (name == "--port") {
            opts.invoke_port = parse_number<std::uint16_t>(name, value(), 0, 65535);
        } else if (name == "--task-root") {
            opts.task_root = std::string(value());
            std::error_code ec;
            if (!std::filesystem::is_directory(opts.task_root, ec))
                throw usage_error{"--task-root: not a directory: '" + opts.task_root + "'"};
        } else if (name == "--handler") {
            opts.handler = std::string(value());
        } else if (name == "--function-name") {
            opts.function_name = std::string(value());
            if (opts.function_name.empty()) throw usage_error{"--function-name: must not be empty"};
        } else if (name == "--memory") {
            opts.memory_mb = parse_number<unsigned>(name, value(), 128, 10240);
        } else if (name == "--timeout") {
            opts.timeout = parse_seconds(name, value());
        } else if (name == "--max-concurrency") {
            opts.max_concurrency = parse_number<unsigned>(name, value(), 1, 1024);
        } else if (name == "--shutdown-budget") {
            opts.shutdown_budget = std::chrono::milliseconds(parse_number<unsigned>(name, value(), 0, 60000));
        } else if (name == "--zip") {
            artifact.function_zip = std::string(value());
        } else if (name == "--layer") {
            artifact.layers.emplace_back(std::string(value()));
        } else if (name == "--env") {
            const auto kv = value();
            const auto eq = kv.find('=');
            if (eq == std::string_view::npos || eq == 0)
                throw usage_error{"--env: expected KEY=VALUE, got '" + std::string(kv) + "'"};
            opts.environment[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
        } else {
            throw usage_error{"unknown option '" + std::string(arg) + "'"};
        }
    }
    for (; i < argc; ++i) opts.runtime_command.emplace_back(argv[i]);
    if (artifact.wanted()) {
        if (!opts.task_root.empty()) throw usage_error{"--task-root: not with --zip/--layer (the zip is the task root)"};
        return true;  // the runtime command is completed in the private root
    }
    if (opts.runtime_command.empty()) {
        std::error_code ec;
        const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
        if (ec) throw usage_error{"cannot locate this executable to find lambda-py27-bootstrap: give RUNTIME_CMD"};
        const auto bootstrap = self.parent_path() / "lambda-py27-bootstrap";
        if (!std::filesystem::exists(bootstrap, ec))
            throw usage_error{"no RUNTIME_CMD given and " + bootstrap.string() + " does not exist"};
        opts.runtime_command.push_back(bootstrap.string());
    }
    return true;
}

// The artifact unpacked into a private root, and the runtime command and environment pointed into it.
std::unique_ptr<lambda_py27::testing::artifact_root> enter_artifact(const artifact_request& artifact,
                                                                    lambda_py27::testing::emulator_options& opts) {
    using lambda_py27::testing::artifact_root;
    if (const auto why = artifact_root::unavailable())
        throw std::runtime_error("--zip/--layer: cannot run the artifact in a private root here: " + *why);
    auto root = std::make_unique<artifact_root>(lambda_py27::testing::artifact_options{artifact.function_zip,
                                                                                        artifact.layers, {}});
    opts.runtime_command = root->runtime_command(std::move(opts.runtime_command));
    opts.task_root = root->at("/var/task").string();
    auto env = artifact_root::lambda_environment();
    for (auto& [k, v] : opts.environment) env[k] = v;  // --env wins
    opts.environment = std::move(env);
    std::cerr << "lambda-py27-emulator: serving " << opts.runtime_command[3] << " from a private root ("
              << root->path().string() << ")" << std::endl;
    return root;
}

}  // namespace

int main(int argc, char** argv) {
    lambda_py27::testing::emulator_options opts;
    artifact_request artifact;
    try {
        if (!parse_command_line(argc, argv, opts, artifact)) return 0;
    } catch (const usage_error& e) {
        std::cerr << "lambda-py27-emulator: " << e.message << "\nTry 'lambda-py27-emulator --help'.\n";
        return usage_status;
    }
    std::unique_ptr<lambda_py27::testing::artifact_root> root;
    if (artifact.wanted()) {
        try {
            root = enter_artifact(artifact, opts);
        } catch (const std::exception& e) {
            std::cerr << "lambda-py27-emulator: " << e.what() << '\n';
            return 1;
        }
    }

    // SIGINT and SIGTERM are taken by a thread with sigwait; blocked here, before any thread exists, so
    // every thread inherits the mask (the runtime process gets a clean one).
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    lambda_py27::testing::emulator emu(opts);
    try {
        emu.start();
    } catch (const std::exception& e) {
        std::cerr << "lambda-py27-emulator: " << e.what() << '\n';
        return 1;
    }
    std::cerr << "lambda-py27-emulator: invoke endpoint http://" << opts.invoke_address << ':' << emu.invoke_port()
              << "/2015-03-31/functions/function/invocations; Runtime API " << emu.runtime_api_endpoint()
              << std::endl;

    std::thread signal_thread([&] {
        int sig = 0;
        while (sigwait(&stop_signals, &sig) != 0) {
        }
        std::cerr << "lambda-py27-emulator: stopping (" << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ")" << std::endl;
        emu.stop();
    });
    emu.wait();
    signal_thread.join();
    return 0;
}
