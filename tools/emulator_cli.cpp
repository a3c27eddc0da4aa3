#include "emulator_cli.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string_view>

#include <unistd.h>

namespace lambda_py27::tools {
namespace {

namespace fs = std::filesystem;

constexpr const char* help_text = R"(Usage: lambda-py27-emulator [OPTIONS] [--] [RUNTIME_CMD [ARGS...]]

Serves the AWS Lambda Runtime API to a runtime process and an invoke endpoint to callers, as AWS's
Runtime Interface Emulator (aws-lambda-rie) does, whose options and environment it also takes:

  curl -d '{"key": "value"}' http://127.0.0.1:8080/2015-03-31/functions/function/invocations

The runtime is started (never through a shell) at the first invoke, with the Lambda environment
(AWS_LAMBDA_RUNTIME_API, _HANDLER, LAMBDA_TASK_ROOT, ...) on top of this process's environment and the
task root as its working directory; its output goes to this process's output, as do the START, END and
REPORT lines. It is started again after it exits, crashes or is killed for a timeout.

Options (also accepted after RUNTIME_CMD, unless a -- comes first; --name=value works too):
  --address ADDR       address of the invoke endpoint (default 127.0.0.1: this machine only)
  --port PORT          port of the invoke endpoint; 0 picks a free one (default 8080)
  --task-root DIR      LAMBDA_TASK_ROOT and the runtime's working directory (default: current directory)
  --handler NAME       _HANDLER, e.g. lambda_function.lambda_handler (default: RUNTIME_CMD's last
                       argument when it has arguments, else $AWS_LAMBDA_FUNCTION_HANDLER)
  --function-name N    AWS_LAMBDA_FUNCTION_NAME (default: $AWS_LAMBDA_FUNCTION_NAME, else test_function)
  --memory MB          AWS_LAMBDA_FUNCTION_MEMORY_SIZE (default: $AWS_LAMBDA_FUNCTION_MEMORY_SIZE, else 3008)
  --timeout SECONDS    function timeout, may have decimals (default: $AWS_LAMBDA_FUNCTION_TIMEOUT, else 300)
  --env KEY=VALUE      extra variable for the runtime; repeatable
  --max-concurrency N  invocations in flight at once, as Lambda Managed Instances (default:
                       $AWS_LAMBDA_MAX_CONCURRENCY, else 1); an invoke beyond N gets 429
  --shutdown-budget MS time a runtime that registered an extension gets between SIGTERM and SIGKILL
                       when the emulator stops (default 500, Lambda's budget with an internal extension)
  --telemetry-log      give the runtime a telemetry log descriptor (_LAMBDA_TELEMETRY_LOG_FD), as Lambda
                       does, and print each record written there as one line (line breaks as \n)
  --api-gateway VERSION  serve the function behind an API Gateway instead of the invoke endpoint, as
                       `sam local start-api` does: every HTTP request to the port (any method and path)
                       is one invocation with a proxy event of payload format VERSION, 1.0 (a REST API,
                       route /{proxy+}, stage local) or 2.0 (an HTTP API's $default route, a Function
                       URL), and the result is the HTTP answer (502 for a function error):
                         curl 'http://127.0.0.1:8080/orders/7?dry=1'
  --function-url-invoke-mode MODE  with --api-gateway 2.0, the Function URL's invoke mode: BUFFERED
                       (the default; a streamed response is a 502) or RESPONSE_STREAM (a streamed
                       response reaches the client as it comes, chunked, its prelude giving the status,
                       headers and cookies):  curl -N http://127.0.0.1:8080/
  --zip FILE           run a deployment artifact as Lambda does: FILE unpacked at /var/task, read-only,
                       in a private root holding only it, the layers, /tmp, /dev and /proc (needs root
                       or unprivileged user namespaces); the bootstrap is /var/task/bootstrap, else
                       /opt/bootstrap, unless RUNTIME_CMD names one in the root
  --layer FILE         a layer zip unpacked at /opt in that root; repeatable, in order
  -h, --help           print this help and exit

AWS RIE's options:
  --runtime-interface-emulator-address HOST:PORT   the invoke endpoint (RIE's default is 0.0.0.0:8080;
                       this one's stays 127.0.0.1:8080 unless asked)
  --runtime-api-address HOST:PORT   where the Runtime API listens (default 127.0.0.1, a free port)
  --log-level LEVEL    panic, fatal, error, warn, info, debug or trace (also $LOG_LEVEL): above info,
                       the emulator's own start line is not printed (the function's log always is)
  --enable-init-caching  accepted and ignored: every init runs

Without RUNTIME_CMD the runtime is the first of /var/task/bootstrap, /opt/bootstrap and
/var/runtime/bootstrap (working directory /var/task), as RIE finds it, else lambda-py27-bootstrap in the
directory of this executable. The function's settings come from the environment as RIE takes them
(AWS_LAMBDA_FUNCTION_NAME, _MEMORY_SIZE, _VERSION, _TIMEOUT, AWS_REGION or AWS_DEFAULT_REGION, which the
function ARN uses); AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN reach the runtime as
they are, and none is made up when they are unset.
SIGINT or SIGTERM stops the emulator and the runtime.
Exit status: 0 after a signal, 1 when the emulator cannot start, 2 for a bad command line.
)";

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

// HOST:PORT (a bracketed IPv6 host allowed), as Go's net.SplitHostPort.
std::pair<std::string, std::uint16_t> parse_host_port(std::string_view option, std::string_view text) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
        throw usage_error{std::string(option) + ": expected HOST:PORT, got '" + std::string(text) + "'"};
    std::string host(text.substr(0, colon));
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    return {host, parse_number<std::uint16_t>(option, text.substr(colon + 1), 0, 65535)};
}

// true when LEVEL is above info (the emulator's own start line is then left out).
bool quiet_level(std::string_view option, std::string level) {
    std::transform(level.begin(), level.end(), level.begin(), [](unsigned char c) { return std::tolower(c); });
    if (level == "panic" || level == "fatal" || level == "error" || level == "warn" || level == "warning") return true;
    if (level == "info" || level == "debug" || level == "trace") return false;
    throw usage_error{std::string(option) + ": expected panic, fatal, error, warn, info, debug or trace, got '" +
                      level + "'"};
}

const char* env(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : nullptr;
}

// The defaults RIE takes from its environment; the command line overrides each.
void apply_environment(emulator_command& cmd) {
    auto& o = cmd.options;
    const auto from_env = [](auto&& parse) {
        try {
            parse();
        } catch (const usage_error& e) {
            throw usage_error{e.message + " (from the environment)"};
        }
    };
    if (const char* t = env("AWS_LAMBDA_FUNCTION_TIMEOUT"))
        from_env([&] { o.timeout = parse_seconds("AWS_LAMBDA_FUNCTION_TIMEOUT", t); });
    if (const char* m = env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
        from_env([&] { o.memory_mb = parse_number<unsigned>("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", m, 128, 10240); });
    if (const char* c = env("AWS_LAMBDA_MAX_CONCURRENCY"))
        from_env([&] { o.max_concurrency = parse_number<unsigned>("AWS_LAMBDA_MAX_CONCURRENCY", c, 1, 1024); });
    if (const char* l = env("LOG_LEVEL")) from_env([&] { cmd.quiet = quiet_level("LOG_LEVEL", l); });
    if (const char* n = env("AWS_LAMBDA_FUNCTION_NAME")) o.function_name = n;
    if (const char* v = env("AWS_LAMBDA_FUNCTION_VERSION")) o.function_version = v;
    if (const char* r = env("AWS_REGION"))
        o.region = r;
    else if (const char* d = env("AWS_DEFAULT_REGION"))
        o.region = d;
    if (const char* h = env("AWS_LAMBDA_FUNCTION_HANDLER")) o.handler = h;
}

std::optional<fs::path> beside_this_program(const char* name) {
    std::error_code ec;
    const auto self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return std::nullopt;
    return self.parent_path() / name;
}

// No RUNTIME_CMD: the bootstrap as RIE finds it, then ours.
void default_runtime(emulator_command& cmd) {
    auto& o = cmd.options;
    for (const char* candidate : {"/var/task/bootstrap", "/opt/bootstrap", "/var/runtime/bootstrap"}) {
        std::error_code ec;
        if (fs::is_regular_file(candidate, ec)) {
            o.runtime_command = {candidate};
            if (o.task_root.empty() && fs::is_directory("/var/task", ec)) o.task_root = "/var/task";
            return;
        }
    }
    const auto ours = beside_this_program("lambda-py27-bootstrap");
    if (!ours) throw usage_error{"cannot locate this executable to find lambda-py27-bootstrap: give RUNTIME_CMD"};
    std::error_code ec;
    if (!fs::exists(*ours, ec))
        throw usage_error{"no RUNTIME_CMD given, no /var/task, /opt or /var/runtime bootstrap, and " + ours->string() +
                          " does not exist"};
    o.runtime_command = {ours->string()};
}

class parser {
public:
    parser(int argc, char** argv) : argc_(argc), argv_(argv) {}

    emulator_command run() {
        apply_environment(cmd_);
        bool options_done = false;
        std::optional<std::string> handler;
        for (i_ = 1; i_ < argc_; ++i_) {
            const std::string_view arg = argv_[i_];
            if (options_done || arg.size() < 2 || arg[0] != '-') {
                command_.emplace_back(arg);
                continue;
            }
            if (arg == "--") {
                options_done = true;
                continue;
            }
            if (arg == "-h" || arg == "--help") {
                std::cout << help_text;
                cmd_.help = true;
                return std::move(cmd_);
            }
            name_ = arg;
            inline_value_.reset();
            if (const auto eq = arg.find('='); arg.substr(0, 2) == "--" && eq != std::string_view::npos) {
                name_ = arg.substr(0, eq);
                inline_value_ = arg.substr(eq + 1);
            }
            if (name_ == "--handler") {
                handler = std::string(value());
            } else if (!option()) {
                // Before the command an unknown option is a mistake; after it, the runtime's own.
                if (command_.empty()) throw usage_error{"unknown option '" + std::string(arg) + "'"};
                command_.emplace_back(arg);
            }
        }
        finish(handler);
        return std::move(cmd_);
    }

private:
    std::string_view value() {
        if (inline_value_) return *inline_value_;
        if (i_ + 1 >= argc_) throw usage_error{std::string(name_) + ": missing value"};
        return argv_[++i_];
    }

    // One known option (name_); false when it is not one.
    bool option() {
        auto& o = cmd_.options;
        if (name_ == "--address") {
            o.invoke_address = std::string(value());
        } else if (name_ == "--port") {
            o.invoke_port = parse_number<std::uint16_t>(name_, value(), 0, 65535);
        } else if (name_ == "--runtime-interface-emulator-address") {
            std::tie(o.invoke_address, o.invoke_port) = parse_host_port(name_, value());
        } else if (name_ == "--runtime-api-address") {
            std::tie(o.runtime_api_address, o.runtime_api_port) = parse_host_port(name_, value());
        } else if (name_ == "--log-level") {
            cmd_.quiet = quiet_level(name_, std::string(value()));
        } else if (name_ == "--enable-init-caching") {
            cmd_.notes.emplace_back("--enable-init-caching is accepted and ignored: every init runs");
        } else if (name_ == "--task-root") {
            o.task_root = std::string(value());
            std::error_code ec;
            if (!fs::is_directory(o.task_root, ec))
                throw usage_error{"--task-root: not a directory: '" + o.task_root + "'"};
        } else if (name_ == "--function-name") {
            o.function_name = std::string(value());
            if (o.function_name.empty()) throw usage_error{"--function-name: must not be empty"};
        } else if (name_ == "--memory") {
            o.memory_mb = parse_number<unsigned>(name_, value(), 128, 10240);
        } else if (name_ == "--timeout") {
            o.timeout = parse_seconds(name_, value());
        } else if (name_ == "--max-concurrency") {
            o.max_concurrency = parse_number<unsigned>(name_, value(), 1, 1024);
        } else if (name_ == "--shutdown-budget") {
            o.shutdown_budget = std::chrono::milliseconds(parse_number<unsigned>(name_, value(), 0, 60000));
        } else if (name_ == "--telemetry-log") {
            o.telemetry_log = &std::cout;
        } else if (name_ == "--api-gateway") {
            const auto v = value();
            if (v == "1.0")
                o.api_gateway = testing::api_gateway_payload::v1;
            else if (v == "2.0")
                o.api_gateway = testing::api_gateway_payload::v2;
            else
                throw usage_error{"--api-gateway: expected the payload format version 1.0 or 2.0, got '" +
                                  std::string(v) + "'"};
        } else if (name_ == "--function-url-invoke-mode") {
            const auto v = value();
            invoke_mode_given_ = true;
            if (v == "BUFFERED")
                o.invoke_mode = testing::function_url_invoke_mode::buffered;
            else if (v == "RESPONSE_STREAM")
                o.invoke_mode = testing::function_url_invoke_mode::response_stream;
            else
                throw usage_error{"--function-url-invoke-mode: expected BUFFERED or RESPONSE_STREAM, got '" +
                                  std::string(v) + "'"};
        } else if (name_ == "--zip") {
            cmd_.function_zip = std::string(value());
        } else if (name_ == "--layer") {
            cmd_.layers.emplace_back(std::string(value()));
        } else if (name_ == "--env") {
            const auto kv = value();
            const auto eq = kv.find('=');
            if (eq == std::string_view::npos || eq == 0)
                throw usage_error{"--env: expected KEY=VALUE, got '" + std::string(kv) + "'"};
            o.environment[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
        } else {
            return false;
        }
        return true;
    }

    void finish(const std::optional<std::string>& handler) {
        auto& o = cmd_.options;
        if (invoke_mode_given_ && o.api_gateway != testing::api_gateway_payload::v2)
            throw usage_error{"--function-url-invoke-mode: a Function URL's invoke mode, only with --api-gateway 2.0"};
        // RIE: a command with arguments ends with the handler.
        if (handler)
            o.handler = *handler;
        else if (command_.size() >= 2)
            o.handler = command_.back();
        o.runtime_command = std::move(command_);
        const bool artifact = !cmd_.function_zip.empty() || !cmd_.layers.empty();
        if (artifact) {
            if (!o.task_root.empty())
                throw usage_error{"--task-root: not with --zip/--layer (the zip is the task root)"};
            return;  // the runtime command is completed in the private root
        }
        if (o.runtime_command.empty()) default_runtime(cmd_);
    }

    int argc_;
    char** argv_;
    int i_ = 1;
    std::string_view name_;
    std::optional<std::string_view> inline_value_;
    bool invoke_mode_given_ = false;
    std::vector<std::string> command_;
    emulator_command cmd_;
};

}  // namespace

emulator_command parse_emulator_command(int argc, char** argv) { return parser(argc, argv).run(); }

const char* emulator_help() { return help_text; }

}  // namespace lambda_py27::tools
