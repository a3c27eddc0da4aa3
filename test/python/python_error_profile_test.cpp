// The modern error profile (LAMBDA_PY27_ERROR_PROFILE=modern): typed Runtime.* errors worded as AWS's
// modern Python runtimes word them, load faults posted to /runtime/init/error, the X-Ray cause kept.
// Exact requests through a scripted Runtime API, and end to end through the emulator.
#include <lambda_py27/testing/emulator.hpp>

#include "support/bootstrap_process.hpp"
#include "support/fake_runtime_api.hpp"
#include "support/served_function.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <regex>

namespace json = boost::json;
using lambda_py27::test_support::answer;
using lambda_py27::test_support::bootstrap_process;
using lambda_py27::test_support::data_dir;
using lambda_py27::test_support::fake_runtime_api;
using lambda_py27::test_support::function_setup;
using lambda_py27::test_support::served_function;

namespace {

const std::map<std::string, std::string> modern = {{"LAMBDA_PY27_ERROR_PROFILE", "modern"}};
const std::string nbsp = "\xc2\xa0";
// What the bootstrap logs when the scripted API, out of answers, answers the next /next with 500.
const std::string script_end =
    "[lambda-py27] runtime/invocation/next failed: the Runtime API reported a container error (500) "
    "(Fake.ScriptExhausted)\n";

std::string handlers() { return data_dir() + "/handlers"; }

struct init_report {
    int status = -1;
    std::string target, error_type, body, log;
    std::size_t requests = 0;
};

// Serves `handler` under the modern profile against an API that accepts one init error.
init_report init_error_of(const std::string& handler) {
    fake_runtime_api api;
    api.then(answer::accepted());
    bootstrap_process rt(api.endpoint(), handler, handlers(), modern);
    init_report out;
    out.status = rt.wait_exit().value_or(-1);
    const auto reqs = api.requests();
    out.requests = reqs.size();
    if (!reqs.empty()) {
        out.target = reqs[0].method + " " + reqs[0].target;
        out.error_type = reqs[0].header("Lambda-Runtime-Function-Error-Type");
        out.body = reqs[0].body;
    }
    out.log = rt.log();
    return out;
}

std::string modern_body(const std::string& message, const std::string& type, const std::string& request_id,
                        const std::string& stack_json = "[]") {
    return R"({"errorMessage": )" + json::serialize(json::value(message)) + R"(, "errorType": ")" + type +
           R"(", "requestId": ")" + request_id + R"(", "stackTrace": )" + stack_json + "}";
}

// One event answered under the modern profile: the /error post and the log.
struct invocation_report {
    int status = -1;
    lambda_py27::test_support::received_request post;
    std::string log;
};

invocation_report error_of(const std::string& handler, const std::string& event,
                           lambda_py27::test_support::header_list headers = {},
                           const std::map<std::string, std::string>& env = modern) {
    fake_runtime_api api;
    api.then(answer::event("req-1", event, std::move(headers)), answer::accepted());
    bootstrap_process rt(api.endpoint(), handler, handlers(), env);
    invocation_report out;
    out.status = rt.wait_exit().value_or(-1);  // 3: the empty script answers the next /next with 500
    const auto reqs = api.requests();
    if (reqs.size() >= 2) out.post = reqs[1];
    out.log = rt.log();
    return out;
}

}  // namespace

TEST(ErrorProfile, PostsAnImportErrorToInitErrorWithItsCauseAndExitsWithOne) {
    const auto r = init_error_of("import_error.handler");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.requests, 1u);
    EXPECT_EQ(r.target, "POST /2018-06-01/runtime/init/error");
    EXPECT_EQ(r.error_type, "Runtime.ImportModuleError");
    const std::string message =
        "Unable to import module 'import_error': No module named this_module_does_not_exist_anywhere";
    EXPECT_EQ(r.body, modern_body(message, "Runtime.ImportModuleError", ""));
    EXPECT_EQ(r.log, "[ERROR] Runtime.ImportModuleError: " + message + "\rTraceback (most recent call last):\n");
}

TEST(ErrorProfile, TypesEveryLoadFaultAsTheModernRuntimesDo) {
    struct row {
        std::string handler, type, message, stack;
    };
    const std::vector<row> rows = {
        {"nodot", "Runtime.MalformedHandlerName", "Bad handler 'nodot': need more than 1 value to unpack", "[]"},
        {"app.", "Runtime.MalformedHandlerName", "Bad handler 'app.': empty module or function name", "[]"},
        {"sys.exit", "Runtime.BuiltInModuleConflict", "Cannot use built-in module sys as a handler module", "[]"},
        {"missing_module.handler", "Runtime.ImportModuleError",
         "Unable to import module 'missing_module': No module named missing_module", "[]"},
        {"basic.nope", "Runtime.HandlerNotFound", "Handler 'nope' missing on module 'basic'", "[]"},
        {"syntax_error.handler", "Runtime.UserCodeSyntaxError",
         "Syntax error in module 'syntax_error': invalid syntax (syntax_error.py, line 1)",
         R"(["  File \")" + handlers() + R"(/syntax_error.py\" Line 1\n    def handler(event, context)\n"])"},
        // Any other exception at import (or in init()) is reported as itself, from the user's frames.
        {"init_error.handler", "RuntimeError", "boom at import",
         R"J(["  File \")J" + handlers() +
             R"J(/init_error.py\", line 1, in <module>\n    raise RuntimeError('boom at import')\n"])J"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.handler);
        const auto r = init_error_of(row.handler);
        EXPECT_EQ(r.status, 1);
        EXPECT_EQ(r.target, "POST /2018-06-01/runtime/init/error");
        EXPECT_EQ(r.error_type, row.type);
        EXPECT_EQ(r.body, modern_body(row.message, row.type, "", row.stack));
    }
}

TEST(ErrorProfile, WritesTheInitErrorAsAJsonRecordInJsonLogFormat) {
    fake_runtime_api api;
    api.then(answer::accepted());
    auto env = modern;
    env["AWS_LAMBDA_LOG_FORMAT"] = "JSON";
    bootstrap_process rt(api.endpoint(), "basic.nope", handlers(), env);
    EXPECT_EQ(rt.wait_exit(), 1);
    const std::regex stamp(R"("timestamp": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")");
    EXPECT_EQ(std::regex_replace(rt.log(), stamp, R"("timestamp": "T")"),
              R"({"timestamp": "T", "level": "ERROR", "errorMessage": "Handler 'nope' missing on module 'basic'", )"
              R"("errorType": "Runtime.HandlerNotFound", "requestId": "", "stackTrace": []})"
              "\n");
}

TEST(ErrorProfile, AnswersAHandlerExceptionWithTheRequestIdAndFormattedStackAndKeepsTheXRayCause) {
    const auto r = error_of("basic.fail", R"({"what": "disk"})");
    EXPECT_EQ(r.status, 3);
    EXPECT_EQ(r.post.method + " " + r.post.target, "POST /2018-06-01/runtime/invocation/req-1/error");
    const std::string file = handlers() + "/basic.py";
    const std::string source = "raise ValueError('something bad: %s' % event.get('what', 'nothing'))";
    EXPECT_EQ(r.post.body, modern_body("something bad: disk", "ValueError", "req-1",
                                       R"(["  File \")" + file + R"(\", line 50, in fail\n    )" + source + R"(\n"])"));
    EXPECT_FALSE(r.post.has_header("Lambda-Runtime-Function-Error-Type"));  // the caller sees "Unhandled"
    EXPECT_EQ(json::parse(r.post.header("Lambda-Runtime-Function-XRay-Error-Cause")),
              json::parse(R"({"working_directory": ")" + handlers() +
                          R"(", "exceptions": [{"message": )"
                          R"("something bad: disk", "type": "ValueError", "stack": [{"label": "fail", "path": ")" +
                          file + R"(", "line": 50}]}], "paths": [")" + file + R"("]})"));
    // One log event: lines joined by CR, indentation as no-break spaces.
    EXPECT_EQ(r.log, "[ERROR] ValueError: something bad: disk\rTraceback (most recent call last):\r" + nbsp + nbsp +
                         "File \"" + file + "\", line 50, in fail\r" + nbsp + nbsp + nbsp + nbsp + source + "\n" +
                         script_end);
}

TEST(ErrorProfile, TypesTheRuntimesOwnStepsErrors) {
    const auto unmarshal = error_of("basic.echo", "{bad");
    EXPECT_EQ(unmarshal.post.body,
              modern_body("Unable to unmarshal input: Expecting property name: line 1 column 2 (char 1)",
                          "Runtime.UnmarshalError", "req-1"));
    EXPECT_EQ(json::parse(unmarshal.post.header("Lambda-Runtime-Function-XRay-Error-Cause"))
                  .at("exceptions")
                  .at(0)
                  .at("type"),
              "LambdaValidationError");
    const auto marshal = error_of("basic.unserializable", "{}");
    EXPECT_EQ(marshal.post.body, modern_body("Unable to marshal response: <type 'object'> is not JSON serializable",
                                             "Runtime.MarshalError", "req-1"));
    EXPECT_EQ(marshal.log,
              "[ERROR] Runtime.MarshalError: Unable to marshal response: <type 'object'> is not JSON "
              "serializable\rTraceback (most recent call last):\n" +
                  script_end);
    const auto context = error_of("basic.echo", "{}", {{"Lambda-Runtime-Client-Context", "not json"}});
    EXPECT_EQ(context.post.body, modern_body("Unable to parse Client Context JSON: No JSON object could be decoded",
                                             "Runtime.LambdaContextUnmarshalError", "req-1"));
}

TEST(ErrorProfile, ReturnsTheInitErrorToTheCallerThroughTheEmulatorAndStartsAFreshRuntimeNextTime) {
    function_setup setup{"missing_module.handler"};
    setup.environment = modern;
    served_function fn(setup);
    const std::string body = modern_body("Unable to import module 'missing_module': No module named missing_module",
                                         "Runtime.ImportModuleError", "");
    for (int i = 0; i < 2; ++i) {
        const auto r = fn.invoke();
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.function_error, "Unhandled");
        EXPECT_EQ(r.body, body);
    }
}

TEST(ErrorProfile, LegacyIsTheDefaultAndCanBeNamed) {
    for (const auto& env : {std::map<std::string, std::string>{},
                            std::map<std::string, std::string>{{"LAMBDA_PY27_ERROR_PROFILE", "legacy"}}}) {
        function_setup setup{"missing_module.handler"};
        setup.environment = env;
        served_function fn(setup);
        EXPECT_EQ(fn.invoke().body, R"({"errorMessage": "Unable to import module 'missing_module'"})");
    }
}

TEST(ErrorProfile, RefusesAnUnknownProfileAsAnInitError) {
    fake_runtime_api api;
    api.then(answer::accepted());
    bootstrap_process rt(api.endpoint(), "basic.echo", handlers(), {{"LAMBDA_PY27_ERROR_PROFILE", "Modern"}});
    EXPECT_EQ(rt.wait_exit(), 2);
    const auto reqs = api.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].target, "/2018-06-01/runtime/init/error");
    EXPECT_EQ(reqs[0].header("Lambda-Runtime-Function-Error-Type"), "Runtime.InvalidConfiguration");
    EXPECT_EQ(reqs[0].body, R"({"errorMessage": "LAMBDA_PY27_ERROR_PROFILE must be legacy or modern, not 'Modern'", )"
                            R"("errorType": "Runtime.InvalidConfiguration"})");
}

namespace {
std::string text_of(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : json::serialize(v); }
}  // namespace

// An exception's text that is not UTF-8 (a byte-string message, a Latin-1 source line, a file name) is
// answered with its type, its text with U+FFFD for each undecodable byte, and its stack, in the body, the
// X-Ray cause and the log, under both profiles; an exception whose str() raises keeps its type and stack.
TEST(ErrorProfile, KeepsTypeTextAndStackOfAnExceptionWhoseTextIsNotUtf8InBothProfiles) {
    const std::string fffd = "\xef\xbf\xbd";
    const std::string file = handlers() + "/non_utf8.py";
    struct row {
        std::string function, type, message, stack_text, path;
    };
    const std::vector<row> rows = {
        {"message", "ValueError", "caf" + fffd + " not found", "raise ValueError(\"caf\\xe9 not found\")", file},
        {"source_line", "KeyError", "'k'", "raise KeyError(\"k\")  # caf" + fffd, file},
        {"file_name", "TypeError", "t", "/tmp/caf" + fffd + ".py", "/tmp/caf" + fffd + ".py"},
        {"unprintable", "Unprintable", "<unprintable Unprintable object>", "raise Unprintable('x')", file},
    };
    for (const bool is_modern : {false, true}) {
        for (const auto& row : rows) {
            SCOPED_TRACE((is_modern ? "modern " : "legacy ") + row.function);
            const auto r = error_of("non_utf8." + row.function, "{}", {},
                                    is_modern ? modern : std::map<std::string, std::string>{});
            EXPECT_EQ(r.status, 3);
            ASSERT_EQ(r.post.target, "/2018-06-01/runtime/invocation/req-1/error");
            const json::object body = json::parse(r.post.body).as_object();
            EXPECT_EQ(text_of(body.at("errorType")), row.type);
            EXPECT_EQ(text_of(body.at("errorMessage")), row.message);
            ASSERT_TRUE(body.contains("stackTrace"));
            EXPECT_NE(json::serialize(body.at("stackTrace"))
                          .find(json::serialize(json::value(row.stack_text))
                                    .substr(1, json::serialize(json::value(row.stack_text)).size() - 2)),
                      std::string::npos)
                << r.post.body;
            if (is_modern) {
                EXPECT_EQ(body.size(), 4u);
                EXPECT_EQ(body.at("requestId"), "req-1");
            }
            const json::value cause = json::parse(r.post.header("Lambda-Runtime-Function-XRay-Error-Cause"));
            const auto& exception = cause.at("exceptions").at(0);
            EXPECT_EQ(text_of(exception.at("type")), row.type);
            EXPECT_EQ(text_of(exception.at("message")), row.message);
            const auto& stack = exception.at("stack").as_array();
            ASSERT_FALSE(stack.empty());
            EXPECT_EQ(text_of(stack.back().at("path")), row.path);
            EXPECT_NE(r.log.find(row.type), std::string::npos) << r.log;
            EXPECT_NE(r.log.find(row.message), std::string::npos) << r.log;
            EXPECT_EQ(r.log.find("unformattable"), std::string::npos) << r.log;
        }
    }
}
