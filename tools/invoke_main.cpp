// lambda-py27-invoke: one invocation of a Python handler in this process, the one-command local test.
//
//   lambda-py27-invoke --handler app.handler [--event event.json|-] [--context ctx.json] [--task-root DIR]
//   lambda-py27-invoke --handler app.handler --zip function.zip [--layer layer.zip]... [--event ...]
//
// Prints the response body on stdout and exits 0; on a function error prints the error body and exits 1.
// The handler's log goes to stderr. ctx.json may hold request_id, function_arn, trace_id, timeout_ms,
// client_context (object) and identity (object: cognitoIdentityId, cognitoIdentityPoolId).
#include <lambda_py27/testing/artifact_root.hpp>
#include <lambda_py27/testing/emulator.hpp>
#include <lambda_py27/testing/python_function.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

constexpr const char* usage =
    "usage: lambda-py27-invoke --handler MODULE.FUNCTION [--event FILE|-] [--context FILE] [--task-root DIR]\n"
    "       lambda-py27-invoke --handler MODULE.FUNCTION --zip FILE [--layer FILE]... [--event FILE|-]\n"
    "\n"
    "Invokes a Python 2.7 handler once, in this process, exactly as the runtime would; with --zip, the\n"
    "deployment artifact instead: unpacked into a private root as Lambda lays it out and served by its own\n"
    "bootstrap through the emulator (see lambda-py27-emulator --help).\n"
    "  --handler     the handler, as in _HANDLER (required)\n"
    "  --event       JSON event file, or - for standard input (default: {})\n"
    "  --context     JSON file with any of: request_id, function_arn, trace_id, timeout_ms,\n"
    "                client_context (object), identity (object)\n"
    "  --task-root   the function's folder (default: $LAMBDA_TASK_ROOT, else the current folder)\n"
    "  --zip         a function zip (at /var/task); --layer: a layer zip (at /opt), repeatable\n"
    "Exit status: 0 success (response on stdout), 1 function error (error body on stdout),\n"
    "             2 bad usage, or the status the handler exited with (sys.exit).\n";

bool read_all(const std::string& path, std::string& out) {
    if (path == "-") {
        std::ostringstream ss;
        ss << std::cin.rdbuf();
        out = ss.str();
        return true;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return true;
}

std::string string_field(const boost::json::object& o, const char* key) {
    if (const auto* v = o.if_contains(key); v != nullptr && v->is_string()) return std::string(v->as_string());
    return {};
}

// The context file into `options`; returns what is wrong with it (an unknown or misspelt key, a value of
// the wrong type), or nothing. A key that is silently ignored is a test that silently tests less.
std::string read_context(const boost::json::object& o, lambda_py27::testing::invoke_options& options) {
    static const char* const keys[] = {"request_id", "function_arn",   "trace_id",
                                       "timeout_ms", "client_context", "identity"};
    for (const auto& kv : o) {
        const auto known = std::find_if(std::begin(keys), std::end(keys), [&](const char* k) { return kv.key() == k; });
        if (known == std::end(keys))
            return "unknown key '" + std::string(kv.key()) +
                   "' (known: request_id, function_arn, trace_id, timeout_ms, client_context, identity)";
    }
    for (const char* k : {"request_id", "function_arn", "trace_id"}) {
        if (const auto* v = o.if_contains(k); v != nullptr && !v->is_string())
            return std::string("'") + k + "' must be a string";
    }
    options.request_id = string_field(o, "request_id");
    options.function_arn = string_field(o, "function_arn");
    options.trace_id = string_field(o, "trace_id");
    if (const auto* t = o.if_contains("timeout_ms")) {
        if (!t->is_int64() || t->as_int64() <= 0) return "'timeout_ms' must be a positive whole number";
        options.timeout = std::chrono::milliseconds{t->as_int64()};
    }
    if (const auto* c = o.if_contains("client_context")) {
        if (!c->is_object()) return "'client_context' must be an object";
        options.client_context = boost::json::serialize(*c);
    }
    if (const auto* c = o.if_contains("identity")) {
        if (!c->is_object()) return "'identity' must be an object";
        for (const auto& kv : c->as_object()) {
            if (kv.key() != "cognitoIdentityId" && kv.key() != "cognitoIdentityPoolId")
                return "unknown identity key '" + std::string(kv.key()) +
                       "' (known: cognitoIdentityId, cognitoIdentityPoolId, as Lambda sends them)";
        }
        options.cognito_identity = boost::json::serialize(*c);
    }
    return {};
}

// The artifact served in a private root; the runtime's log and the emulator's lines go to stderr.
int invoke_artifact(const std::string& handler, const std::string& event,
                    const lambda_py27::testing::artifact_options& artifact) {
    using lambda_py27::testing::artifact_root;
    try {
        if (const auto why = artifact_root::unavailable())
            throw std::runtime_error("cannot run the artifact in a private root here: " + *why);
        artifact_root root(artifact);
        lambda_py27::testing::emulator_options o;
        o.runtime_command = root.runtime_command();
        o.task_root = root.at("/var/task").string();
        o.environment = artifact_root::lambda_environment();
        o.handler = handler;
        o.invoke_port = 0;
        o.report = &std::cerr;
        std::fflush(stdout);
        const int response_fd = ::dup(1);  // the runtime inherits fd 1: make it the log's
        ::dup2(2, 1);
        lambda_py27::testing::emulator emu(o);
        emu.start();
        const auto r = lambda_py27::testing::invoke("127.0.0.1", emu.invoke_port(), event);
        emu.stop();
        std::string out = r.body + "\n";
        if (::write(response_fd, out.data(), out.size()) < 0) return 1;
        return r.status == 200 && r.function_error.empty() ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lambda-py27-invoke: %s\n", e.what());
        return 1;
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::string handler, event_path, context_path, task_root, zip;
    std::vector<std::filesystem::path> layers;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](std::string& out) {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "lambda-py27-invoke: %s needs a value\n%s", a.c_str(), usage);
                std::exit(2);
            }
            out = argv[++i];
        };
        if (a == "--handler")
            value(handler);
        else if (a == "--event")
            value(event_path);
        else if (a == "--context")
            value(context_path);
        else if (a == "--task-root")
            value(task_root);
        else if (a == "--zip")
            value(zip);
        else if (a == "--layer") {
            std::string l;
            value(l);
            layers.emplace_back(l);
        } else if (a == "--help" || a == "-h") {
            std::fputs(usage, stdout);
            return 0;
        } else {
            std::fprintf(stderr, "lambda-py27-invoke: unknown option '%s'\n%s", a.c_str(), usage);
            return 2;
        }
    }
    if (handler.empty()) {
        std::fprintf(stderr, "lambda-py27-invoke: --handler is required\n%s", usage);
        return 2;
    }
    std::string event = "{}";
    if (!event_path.empty() && !read_all(event_path, event)) {
        std::fprintf(stderr, "lambda-py27-invoke: cannot read event file '%s'\n", event_path.c_str());
        return 2;
    }
    if (!zip.empty() || !layers.empty()) {
        if (!context_path.empty() || !task_root.empty()) {
            std::fprintf(stderr,
                         "lambda-py27-invoke: --context and --task-root are for in-process invocations, "
                         "not with --zip/--layer\n");
            return 2;
        }
        return invoke_artifact(handler, event, {zip, layers, {}});
    }
    lambda_py27::testing::invoke_options options;
    if (!context_path.empty()) {
        std::string text;
        if (!read_all(context_path, text)) {
            std::fprintf(stderr, "lambda-py27-invoke: cannot read context file '%s'\n", context_path.c_str());
            return 2;
        }
        boost::system::error_code ec;
        const auto doc = boost::json::parse(text, ec);
        if (ec || !doc.is_object()) {
            std::fprintf(stderr, "lambda-py27-invoke: the context file must hold a JSON object\n");
            return 2;
        }
        if (const auto why = read_context(doc.as_object(), options); !why.empty()) {
            std::fprintf(stderr, "lambda-py27-invoke: %s: %s\n", context_path.c_str(), why.c_str());
            return 2;
        }
    }

    lambda_py27::testing::python_function fn(handler, task_root);
    std::fputs(fn.load_log().c_str(), stderr);
    const auto r = fn.invoke(event, options);
    std::fputs(r.log.c_str(), stderr);
    if (r.exit_status >= 0 && r.body.empty()) return r.exit_status;
    std::fwrite(r.body.data(), 1, r.body.size(), stdout);
    std::fputc('\n', stdout);
    if (r.exit_status >= 0) return r.exit_status;
    return r.success ? 0 : 1;
}
