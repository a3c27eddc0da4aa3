// Structured logging (AWS_LAMBDA_LOG_FORMAT=JSON, AWS_LAMBDA_LOG_LEVEL) through every real part: the
// emulator, the bootstrap as a child process, CPython; the log matched line by line.
#include <lambda_py27/testing/emulator.hpp>

#include "support/served_function.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <fstream>
#include <regex>
#include <sstream>

using lambda_py27::test_support::data_dir;
using lambda_py27::test_support::function_setup;
using lambda_py27::test_support::served_function;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct logged {
    lambda_py27::testing::invoke_result result;
    std::string log;         // as written, timestamps and the request id replaced by T and RID
    std::size_t stamps = 0;  // timestamps seen, each in the modern runtimes' format
};

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    if (from.empty()) return text;
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

logged run(const std::string& handler, std::map<std::string, std::string> env, const std::string& event = "{}") {
    static int counter = 0;
    const std::string path =
        testing::TempDir() + "/lp27_jsonlog_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    logged out;
    {
        function_setup setup{handler};
        setup.environment = std::move(env);
        setup.log_file = path;
        served_function fn(setup);
        out.result = fn.invoke(event);
    }
    std::string text = read_file(path);
    ::unlink(path.c_str());
    const std::regex stamp(R"("timestamp": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")");
    out.stamps = static_cast<std::size_t>(
        std::distance(std::sregex_iterator(text.begin(), text.end(), stamp), std::sregex_iterator()));
    text = std::regex_replace(text, stamp, R"("timestamp": "T")");
    out.log = replace_all(text, out.result.headers["X-Amzn-RequestId"], "RID");
    return out;
}

const std::map<std::string, std::string> json_format = {{"AWS_LAMBDA_LOG_FORMAT", "JSON"}};

std::map<std::string, std::string> json_at(const std::string& level) {
    return {{"AWS_LAMBDA_LOG_FORMAT", "JSON"}, {"AWS_LAMBDA_LOG_LEVEL", level}};
}

std::string record(const std::string& level, const std::string& message, const std::string& logger = "orders") {
    return R"({"timestamp": "T", "level": ")" + level + R"(", "message": ")" + message + R"(", "logger": ")" + logger +
           R"(", "requestId": "RID"})" + "\n";
}

}  // namespace

TEST(StructuredLog, WritesOneJsonObjectPerRecordFilteredByTheLogLevel) {
    const auto r = run("structured.log_levels", json_at("INFO"));
    EXPECT_EQ(r.result.body, "\"ok\"");
    EXPECT_EQ(r.log, record("INFO", "info 2") + record("WARNING", "warning 3") + record("ERROR", "error caf\xc3\xa9") +
                         record("CRITICAL", "critical") + record("INFO", "between info and warning"));
    EXPECT_EQ(r.stamps, 5u);
}

TEST(StructuredLog, MapsLambdasLevelNamesToPythonLevels) {
    const std::string debug = record("DEBUG", "debug 1"), info = record("INFO", "info 2"),
                      warning = record("WARNING", "warning 3"), error = record("ERROR", "error caf\xc3\xa9"),
                      critical = record("CRITICAL", "critical"), level25 = record("INFO", "between info and warning");
    EXPECT_EQ(run("structured.log_levels", json_at("TRACE")).log, debug + info + warning + error + critical + level25);
    EXPECT_EQ(run("structured.log_levels", json_at("debug")).log, debug + info + warning + error + critical + level25);
    EXPECT_EQ(run("structured.log_levels", json_at("WARN")).log, warning + error + critical);
    EXPECT_EQ(run("structured.log_levels", json_at("ERROR")).log, error + critical);
    EXPECT_EQ(run("structured.log_levels", json_at("FATAL")).log, critical);
    // Unset or unknown: the root logger keeps Python's default, WARNING.
    EXPECT_EQ(run("structured.log_levels", json_format).log, warning + error + critical);
    EXPECT_EQ(run("structured.log_levels", json_at("LOUD")).log, warning + error + critical);
}

TEST(StructuredLog, IgnoresTheLogLevelWithoutTheJsonFormat) {
    const auto r = run("structured.log_levels", {{"AWS_LAMBDA_LOG_LEVEL", "DEBUG"}});
    const std::regex legacy(R"(\[(WARNING|ERROR|CRITICAL)\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,3}Z\tRID\t[^\n]*\n)");
    EXPECT_EQ(std::regex_replace(r.log, legacy, "<$1>"), "<WARNING><ERROR><CRITICAL>") << r.log;
    const auto text =
        run("structured.log_levels", {{"AWS_LAMBDA_LOG_FORMAT", "Text"}, {"AWS_LAMBDA_LOG_LEVEL", "DEBUG"}});
    EXPECT_EQ(std::regex_replace(text.log, legacy, "<$1>"), "<WARNING><ERROR><CRITICAL>") << text.log;
}

TEST(StructuredLog, AddsTheExceptionTypeMessageStackAndLocationToAnExceptionRecord) {
    const auto r = run("structured.log_exception", json_format);
    const std::string file = data_dir() + "/handlers/structured.py";
    // clang-format off: the record, laid out by hand
    EXPECT_EQ(r.log, R"({"timestamp": "T", "level": "ERROR", "message": "lookup failed", "logger": "orders", )"
                     R"("stackTrace": ["  File \")" +
                         file +
                         R"(\", line 21, in log_exception\n    {}['missing']\n"], )"
                         R"("errorType": "KeyError", "errorMessage": "'missing'", "requestId": "RID", )"
                         R"("location": ")" +
                         file +
                         R"(:log_exception:23"})"
                         "\n");
    // clang-format on
}

TEST(StructuredLog, AppendsExtraFieldsSortedWithUnencodableValuesAsText) {
    const auto r = run("structured.log_extra", json_format);
    EXPECT_EQ(r.log, R"({"timestamp": "T", "level": "WARNING", "message": "with extra", "logger": "orders", )"
                     R"("requestId": "RID", "customer": "Zo)"
                     "\xc3\xab"
                     R"(", "obj": "<type 'object'>", "order_id": 42})"
                     "\n");
}

TEST(StructuredLog, EscapesControlCharactersAndRepairsTextThatIsNotUtf8) {
    const auto r = run("structured.log_odd_text", json_format);
    EXPECT_EQ(r.log, record("WARNING", "not utf-8: \xef\xbf\xbd, control: \\u0001, quote: \\\", tab:\\t") +
                         R"({"timestamp": "T", "level": "WARNING", "message": "nested", "logger": "orders", )"
                         R"("requestId": "RID", "data": "{'k': [1, <type 'object'>]}"})"
                         "\n");
}

TEST(StructuredLog, LeavesPrintStderrAndContextLogAsPlainText) {
    // As the modern Python runtimes: only `logging` records become JSON.
    const auto r = run("structured.print_and_context_log", json_format);
    EXPECT_EQ(r.log, "printed line\nstderr line\ncontext log line\n" + record("WARNING", "after print", "root"));
}

TEST(StructuredLog, ReportsAHandlerExceptionAsOneErrorRecordAndKeepsTheLegacyBody) {
    const auto r = run("structured.fail", json_format, R"({"what": "x"})");
    EXPECT_EQ(
        served_function::parse(r.result.body),
        served_function::parse(
            R"({"errorMessage": "bad input: x", "errorType": "ValueError", "stackTrace": [[")" + data_dir() +
            R"J(/handlers/structured.py", 41, "fail", "raise ValueError('bad input: %s' % event.get('what'))"]]})J"));
    EXPECT_EQ(r.log,
              R"({"timestamp": "T", "level": "ERROR", "errorMessage": "bad input: x", "errorType": "ValueError", )"
              R"("requestId": "RID", "stackTrace": ["  File \")" +
                  data_dir() +
                  R"(/handlers/structured.py\", line 41, in fail\n    raise ValueError('bad input: %s' % )"
                  R"J(event.get('what'))\n"]})J"
                  "\n");
}

TEST(StructuredLog, ReportsAnUnparsableEventAsAnErrorRecord) {
    const auto r = run("structured.fail", json_format, "{bad");
    EXPECT_EQ(r.log, R"({"timestamp": "T", "level": "ERROR", "errorMessage": "Unable to parse input as json: )"
                     R"J(Expecting property name: line 1 column 2 (char 1)", "errorType": "ValueError", )J"
                     R"("requestId": "RID", "stackTrace": []})"
                     "\n");
}

TEST(StructuredLog, StillImportsLoggingOnlyWhenTheFunctionDoes) {
    const auto r = run("no_logging.handler", json_at("DEBUG"));
    EXPECT_EQ(r.result.body, "false");
    EXPECT_EQ(r.log, "no logging here\n");
}
