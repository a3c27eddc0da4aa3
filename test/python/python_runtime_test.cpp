// The legacy python2.7 runtime's behaviour, row by row, through every real part: the emulator, the
// Runtime API over sockets, the bootstrap as a child process and CPython 2.7 inside it.
#include <lambda_py27/testing/emulator.hpp>

#include "support/served_function.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

namespace json = boost::json;
using lambda_py27::test_support::data_dir;
using lambda_py27::test_support::function_setup;
using lambda_py27::test_support::served_function;

namespace {

json::value call(const std::string& handler, const std::string& event = "{}",
                 const std::map<std::string, std::string>& headers = {}) {
    served_function fn(function_setup{handler});
    auto r = fn.invoke(event, headers);
    EXPECT_EQ(r.status, 200) << r.body;
    return served_function::parse(r.body);
}

json::value fault_body(const std::string& message) { return json::object{{"errorMessage", message}}; }

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string temp_path(const char* name) {
    return testing::TempDir() + "/lp27_" + name + "_" + std::to_string(::getpid());
}

}  // namespace

// ---- event and result ---------------------------------------------------------------------------

TEST(PythonRuntime, EchoesAnEventWithUnicodeBigIntegersAndFloats) {
    const std::string event =
        R"({"s": "caf\u00e9 \ud83d\ude00", "big": 123456789012345678901234567890, "f": 1.5, "e": 1e+16,)"
        R"( "neg": -0, "list": [true, false, null], "nested": {"a": {"b": [1, 2.25]}}})";
    const auto got = call("basic.echo", event);
    EXPECT_EQ(got, json::parse(event));
}

TEST(PythonRuntime, DecodesTheEventIntoTheTypesJsonLoadsGives) {
    const auto got = call("basic.types", R"({"s": "x", "i": 1, "l": 99999999999999999999, "f": 1.0, "b": true,
                                           "n": null, "a": [1]})");
    const json::value expected =
        json::object{{"", "dict"},   {"/s", "unicode"},  {"/i", "int"},  {"/l", "long"}, {"/f", "float"},
                     {"/b", "bool"}, {"/n", "NoneType"}, {"/a", "list"}, {"/a/0", "int"}};
    EXPECT_EQ(got, expected);
}

TEST(PythonRuntime, EncodesResultsAsJsonDumpsDoes) {
    served_function fn(function_setup{"basic.floats"});
    const auto r = fn.invoke();
    EXPECT_EQ(
        r.body,
        R"([1.0, 1e+16, 1.1, NaN, Infinity, -Infinity, 1000000000000000000000000000000, "\u00e9\ud83d\ude00", null, true])");
}

TEST(PythonRuntime, WritesDecimalsAsBareNumbersWithTheirDigits) {
    served_function fn(function_setup{"basic.decimals"});
    EXPECT_EQ(fn.invoke().body, "[1.10, 3, 1E+2, 123456789012345678901234567890.123456789, NaN]");
}

TEST(PythonRuntime, FailsAnInvalidEventWithJsonLoadsValueError) {
    served_function fn(function_setup{"basic.echo"});
    const auto r = fn.invoke("not json");
    EXPECT_EQ(r.function_error, "Unhandled");
    EXPECT_EQ(served_function::parse(r.body),
              (json::object{{"errorMessage", "No JSON object could be decoded"}, {"errorType", "ValueError"}}));
    const auto r2 = fn.invoke(R"({"a": })");
    EXPECT_EQ(served_function::parse(r2.body).at("errorMessage"), "No JSON object could be decoded");
}

TEST(PythonRuntime, FailsAnUnserializableResultWithTypeError) {
    const auto got = call("basic.unserializable");
    EXPECT_EQ(got,
              (json::object{{"errorMessage", "<type 'object'> is not JSON serializable"}, {"errorType", "TypeError"}}));
}

TEST(PythonRuntime, FailsANonUtf8ByteStringResultWithUnicodeDecodeError) {
    const auto got = call("basic.bad_bytes");
    EXPECT_EQ(got.at("errorType"), "UnicodeDecodeError");
}

// ---- the context object ------------------------------------------------------------------------

TEST(PythonRuntime, GivesTheContextEveryLegacyAttributeWithItsType) {
    const auto got = call("basic.context_attributes").as_object();
    EXPECT_EQ(got.at("function_name"), (json::array{"test_function", "str"}));
    EXPECT_EQ(got.at("function_version"), (json::array{"$LATEST", "str"}));
    EXPECT_EQ(got.at("memory_limit_in_mb"), (json::array{"3008", "str"}));
    EXPECT_EQ(got.at("log_group_name"), (json::array{"/aws/lambda/Functions", "str"}));
    EXPECT_EQ(got.at("invoked_function_arn"),
              (json::array{"arn:aws:lambda:us-east-1:012345678912:function:test_function", "str"}));
    EXPECT_EQ(got.at("aws_request_id").as_array().at(1), "str");
    EXPECT_EQ(got.at("aws_request_id").as_array().at(0).as_string().size(), 36u);
    EXPECT_EQ(got.at("identity"), (json::array{nullptr, nullptr}));
    EXPECT_EQ(got.at("client_context"), nullptr);
    EXPECT_EQ(got.at("remaining"), (json::array{true, "int"}));
}

TEST(PythonRuntime, BuildsTheClientContextFromTheInvokeHeader) {
    // {"client": {"installation_id": "i1", "app_title": "t"}, "custom": {"k": "v"}, "env": {"locale": "en"}}
    const std::string b64 =
        "eyJjbGllbnQiOiB7Imluc3RhbGxhdGlvbl9pZCI6ICJpMSIsICJhcHBfdGl0bGUiOiAidCJ9LCAiY3VzdG9tIjogeyJrIjogInYifSwg"
        "ImVudiI6IHsibG9jYWxlIjogImVuIn19";
    const auto got = call("basic.context_attributes", "{}", {{"X-Amz-Client-Context", b64}}).as_object();
    EXPECT_EQ(got.at("client_context"), (json::object{{"custom", json::object{{"k", "v"}}},
                                                      {"env", json::object{{"locale", "en"}}},
                                                      {"client", json::array{"i1", "t", nullptr, nullptr, nullptr}}}));
}

// ---- handler exceptions --------------------------------------------------------------------------

TEST(PythonRuntime, PostsAHandlerExceptionWithTypeMessageAndStackFromTheHandlerFrame) {
    served_function fn(function_setup{"basic.fail"});
    const auto r = fn.invoke(R"({"what": "disk"})");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.function_error, "Unhandled");
    const auto body = served_function::parse(r.body).as_object();
    EXPECT_EQ(body.at("errorMessage"), "something bad: disk");
    EXPECT_EQ(body.at("errorType"), "ValueError");
    const auto& stack = body.at("stackTrace").as_array();
    ASSERT_EQ(stack.size(), 1u);
    const auto& frame = stack[0].as_array();
    ASSERT_EQ(frame.size(), 4u);
    EXPECT_EQ(frame[0], json::value(data_dir() + "/handlers/basic.py"));
    EXPECT_EQ(frame[2], "fail");
    EXPECT_EQ(frame[3], "raise ValueError('something bad: %s' % event.get('what', 'nothing'))");
}

TEST(PythonRuntime, ListsEveryFrameOutermostFirstForNestedExceptions) {
    const auto body = call("basic.fail_nested").as_object();
    EXPECT_EQ(body.at("errorType"), "CustomError");
    EXPECT_EQ(body.at("errorMessage"), "caf\xc3\xa9 broke");
    const auto& stack = body.at("stackTrace").as_array();
    ASSERT_EQ(stack.size(), 2u);
    EXPECT_EQ(stack[0].as_array()[2], "fail_nested");
    EXPECT_EQ(stack[1].as_array()[2], "inner");
}

TEST(PythonRuntime, LeavesOutAnEmptyErrorMessage) {
    const auto body = call("basic.fail_empty").as_object();
    EXPECT_FALSE(body.contains("errorMessage"));
    EXPECT_EQ(body.at("errorType"), "CustomError");
}

TEST(PythonRuntime, FailsANonCallableHandlerAtInvokeWithTypeError) {
    const auto body = call("basic.not_callable").as_object();
    EXPECT_EQ(body.at("errorType"), "TypeError");
    EXPECT_EQ(body.at("errorMessage"), "'int' object is not callable");
}

TEST(PythonRuntime, ReportsRecursionAsRuntimeError) {
    const auto body = call("basic.recursion").as_object();
    EXPECT_EQ(body.at("errorType"), "RuntimeError");
    EXPECT_EQ(body.at("errorMessage"), "maximum recursion depth exceeded");
}

TEST(PythonRuntime, SystemExitEndsTheProcessWithItsStatusAndPostsNothing) {
    served_function fn(function_setup{"basic.exit_with"});
    const auto r = fn.invoke(R"({"status": 3})");
    EXPECT_EQ(r.status, 502);
    const auto body = served_function::parse(r.body).as_object();
    EXPECT_EQ(body.at("errorType"), "Runtime.ExitError");
    EXPECT_NE(body.at("errorMessage").as_string().find("exit status 3"), json::string::npos);
    // The next invoke starts a fresh runtime.
    const auto r2 = fn.invoke(R"({"status": null})");
    EXPECT_EQ(r2.status, 502);
}

// ---- handler resolution --------------------------------------------------------------------------

TEST(PythonRuntime, ResolvesDottedSlashedAndMixedModulePaths) {
    EXPECT_EQ(call("pkg.mod.handler"), "pkg.mod");
    EXPECT_EQ(call("sub/dir/mod.handler"), "sub/dir/mod");
    EXPECT_EQ(call("src/pkg.app.handler"), "src/pkg.app");
}

TEST(PythonRuntime, RejectsAHandlerWithoutADot) { EXPECT_EQ(call("nodot"), fault_body("Bad handler 'nodot'")); }

TEST(PythonRuntime, RefusesABuiltInModule) {
    EXPECT_EQ(call("sys.exit"), fault_body("Cannot use built-in module sys as a handler module"));
}

TEST(PythonRuntime, DefersAnImportErrorAndAnswersEveryInvocationWithIt) {
    served_function fn(function_setup{"import_error.handler"});
    for (int i = 0; i < 2; ++i) {
        const auto r = fn.invoke();
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(served_function::parse(r.body), fault_body("Unable to import module 'import_error'"));
    }
    EXPECT_EQ(call("nopkg.mod.handler"), fault_body("Unable to import module 'nopkg.mod'"));
    EXPECT_EQ(call("missing_module.handler"), fault_body("Unable to import module 'missing_module'"));
}

TEST(PythonRuntime, ReportsASyntaxError) {
    EXPECT_EQ(call("syntax_error.handler"), fault_body("Syntax error in module 'syntax_error'"));
}

TEST(PythonRuntime, ReportsAMissingHandlerFunction) {
    EXPECT_EQ(call("basic.nope"), fault_body("Handler 'nope' missing on module 'basic'"));
}

TEST(PythonRuntime, AnswersAModuleInitializationErrorThenExitsWithStatusOne) {
    const std::string log = temp_path("init_error");
    function_setup setup{"init_error.handler"};
    setup.log_file = log;
    served_function fn(setup);
    const auto r = fn.invoke();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(served_function::parse(r.body), fault_body("module initialization error"));
    // The process exits with status 1 after answering. The next invoke meets either that exit (when it
    // arrived before the exit was seen) or a fresh runtime with the same fault.
    const auto r2 = fn.invoke();
    if (r2.status == 502)
        EXPECT_NE(r2.body.find("Runtime exited with error: exit status 1"), std::string::npos) << r2.body;
    else
        EXPECT_EQ(served_function::parse(r2.body), fault_body("module initialization error"));
    EXPECT_NE(read_file(log).find("module initialization error: boom at import"), std::string::npos);
    ::unlink(log.c_str());
}

TEST(PythonRuntime, CallsTheModulesInitOnceAfterImport) {
    served_function fn(function_setup{"with_init.handler"});
    EXPECT_EQ(served_function::parse(fn.invoke().body), (json::array{"init", "handler"}));
    EXPECT_EQ(served_function::parse(fn.invoke().body), (json::array{"init", "handler", "handler"}));
}

TEST(PythonRuntime, TakesTheHandlerFromTheFirstArgumentOverHandlerVariable) {
    function_setup setup{"basic.echo"};
    setup.extra_args = {"pkg.mod.handler"};
    served_function fn(setup);
    EXPECT_EQ(served_function::parse(fn.invoke().body), "pkg.mod");
}

TEST(PythonRuntime, ReportsAMissingHandlerAsAnInitError) {
    served_function fn(function_setup{""});
    const auto r = fn.invoke();
    EXPECT_FALSE(r.function_error.empty());
    EXPECT_NE(r.body.find("no handler"), std::string::npos);
}

// ---- interpreter set-up ------------------------------------------------------------------------

TEST(PythonRuntime, PutsTheTaskRootFirstThenLayersThenTheRuntimeFolderThenTheStandardLibrary) {
    function_setup setup{"basic.path"};
    setup.environment = {{"LAMBDA_PY27_OPT_ROOT", "/nonexistent-opt"}, {"LAMBDA_RUNTIME_DIR", "/var/runtime"}};
    served_function fn(setup);
    const auto path = served_function::parse(fn.invoke().body).as_array();
    ASSERT_GE(path.size(), 5u);
    EXPECT_EQ(path[0], json::value(data_dir() + "/handlers"));
    EXPECT_EQ(path[1], "/nonexistent-opt/python/lib/python2.7/site-packages");
    EXPECT_EQ(path[2], "/nonexistent-opt/python");
    EXPECT_EQ(path[3], "/var/runtime");
    EXPECT_NE(path[4].as_string().find("python2"), json::string::npos);
}

TEST(PythonRuntime, LeavesLayersOffTheSysPathWhenPythonpathIsSet) {
    function_setup setup{"basic.path"};
    setup.environment = {{"PYTHONPATH", "/custom/a:/custom/b"}, {"LAMBDA_PY27_OPT_ROOT", "/nonexistent-opt"}};
    served_function fn(setup);
    const auto path = served_function::parse(fn.invoke().body).as_array();
    ASSERT_GE(path.size(), 4u);
    EXPECT_EQ(path[0], json::value(data_dir() + "/handlers"));
    EXPECT_EQ(path[1], "/custom/a");
    EXPECT_EQ(path[2], "/custom/b");
    for (const auto& p : path) EXPECT_EQ(p.as_string().find("/nonexistent-opt"), json::string::npos) << p;
}

TEST(PythonRuntime, ImportsFromLayerFolders) {
    function_setup setup{"uses_layers.handler"};
    setup.environment = {{"LAMBDA_PY27_OPT_ROOT", data_dir() + "/layer_root"}};
    served_function fn(setup);
    EXPECT_EQ(served_function::parse(fn.invoke().body),
              (json::array{"from /opt/python", "from /opt/python/lib/python2.7/site-packages"}));
}

TEST(PythonRuntime, ProcessesPthFilesOfTheTaskRoot) {
    function_setup setup{"app.handler"};
    setup.task_root = data_dir() + "/pth_root";
    served_function fn(setup);
    EXPECT_EQ(served_function::parse(fn.invoke().body), "from vendored via .pth");
}

// Start-up (interpreter, support code, the function's module) runs without automatic collections and
// leaves its objects in the oldest generation; collection then works as before.
TEST(PythonRuntime, CollectsNothingDuringStartUpAndCollectsAsUsualAfter) {
    const auto got = call("startup_gc.handler");
    EXPECT_EQ(got.at("survived_import"), true) << "a young collection ran during the import";
    EXPECT_EQ(got.at("threshold"), (json::array{700, 10, 10}));
    EXPECT_EQ(got.at("enabled"), true);
    EXPECT_LT(got.at("young_counts").at(0).as_int64(), 700) << got;
    EXPECT_EQ(got.at("young_counts").at(1), 0) << got;
    EXPECT_EQ(got.at("young_collection_freed_new_cycle"), true);
    EXPECT_EQ(got.at("full_collection_freed_import_cycle"), true);
}

// The runtime's support code reads its settings without importing posix (whose module body builds
// os.environ's dict and three tables of configuration names: a few per cent of a cold start); a
// function that imports os gets it whole.
TEST(PythonRuntime, ImportsNeitherOsNorPosixBeforeTheFunctionDoes) {
    const auto got = call("startup_modules.handler");
    EXPECT_EQ(got.at("before_import"), json::array{}) << got;
    EXPECT_EQ(got.at("cwd"), json::value(data_dir() + "/handlers"));
    EXPECT_TRUE(got.at("function_name").is_string()) << got;
}

// Our Python fills a built-in type's dictionary of methods at the first lookup through it (about 20,000
// instructions each): the runtime's start-up and the way to the function call look nothing up through
// str, list, file or type, so a function that never uses their methods does not pay for them; our own
// LambdaContext, site.Quitter and site._Helper are readied the same way (src/python/lazy_type.hpp).
// Reading a dictionary not filled yet adds its descriptors' references to the type; `object` (filled by
// Python's own start) and site._Printer (filled at once, it gets MAXLINES) show the probe tells the two
// apart.
TEST(PythonRuntime, FillsNoDictionaryOfStrListFileOrTypeBeforeTheFunctionRuns) {
    const auto got = call("startup_types.handler");
    if (got.at("BufferError").as_int64() == 0) GTEST_SKIP() << "this Python fills type dictionaries eagerly: " << got;
    EXPECT_EQ(got.at("object"), 0) << got;
    EXPECT_EQ(got.at("_Printer"), 0) << got;
    for (const char* name : {"type", "str", "list", "file", "LambdaContext", "Quitter", "_Helper"})
        EXPECT_GT(got.at(name).as_int64(), 0) << name << " was filled before the function ran: " << got;
}

// With LAMBDA_PY27_EAGER_TYPES=1 our Python fills every dictionary at start, ours included.
TEST(PythonRuntime, FillsEveryDictionaryAtStartWithEagerTypes) {
    function_setup setup("startup_types.handler");
    setup.environment["LAMBDA_PY27_EAGER_TYPES"] = "1";
    served_function fn(setup);
    const auto r = fn.invoke("{}");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto got = served_function::parse(r.body);
    for (const char* name : {"str", "list", "file", "BufferError", "LambdaContext", "Quitter", "_Helper"})
        EXPECT_EQ(got.at(name), 0) << name << " was not filled at start: " << got;
}

// The support code's start-up does without those types' methods through `_lambda_py27`'s helpers
// (bindings/module.cpp), each exactly the Python it stands for: str.split('.') and rsplit('.', 1) (unicode
// goes to its own methods), getenv(...).upper().
TEST(PythonRuntime, StartUpHelpersAnswerAsThePythonTheyReplace) {
    const auto got = call("startup_types.equivalence");
    for (const char* group : {"split", "rsplit", "upper"}) {
        const auto& pairs = got.at(group).as_array();
        EXPECT_GE(pairs.size(), 6u) << group;
        for (const auto& pair : pairs) EXPECT_EQ(pair.at(0), pair.at(1)) << group << ": " << pair;
    }
}

TEST(PythonRuntime, KeepsTheThresholdsAModuleSetsWhileItIsImported) {
    EXPECT_EQ(call("startup_gc_threshold.handler"), (json::array{123, 4, 5}));
}

// Start-up leaves the codec registry to the first lookup by name (src/python/interpreter.cpp); what a
// function sees is Python's own start-up: the locale's codeset as file system encoding, streams with
// encoding None, and every codec there when used.
TEST(PythonRuntime, StartsWithTheLocalesEncodingsAndFindsEveryCodecWhenUsed) {
    for (const char* lang : {"C.UTF-8", "C"}) {
        function_setup setup("encodings_probe.handler");
        setup.environment["LANG"] = lang;
        setup.log_file = temp_path("encodings_log");
        std::remove(setup.log_file.c_str());
        json::value got;
        {
            served_function fn(setup);
            auto r = fn.invoke("{}");
            ASSERT_EQ(r.status, 200) << r.body;
            got = served_function::parse(r.body);
        }
        EXPECT_EQ(got.at("stream_encodings"), (json::array{nullptr, nullptr, nullptr})) << lang;
        EXPECT_EQ(got.at("filesystem"), std::string(lang) == "C" ? "ANSI_X3.4-1968" : "UTF-8") << lang;
        EXPECT_EQ(got.at("default"), "utf-8");
        EXPECT_TRUE(got.as_object().contains("no_ioencoding_in_environ")) << got;
        EXPECT_EQ(got.at("decoded"), "caf\xc3\xa9");
        EXPECT_EQ(got.at("latin1"), "iso8859-1");
        EXPECT_EQ(got.at("idna"), "xn--bcher-kva.example");
        EXPECT_EQ(got.at("mixed"), "caf\xc3\xa9 cr\xc3\xa8me");
        EXPECT_NE(read_file(setup.log_file).find("printed caf\xc3\xa9\n"), std::string::npos)
            << read_file(setup.log_file);
        std::remove(setup.log_file.c_str());
    }
}

// Compiling a module with a coding declaration looks its codec up: the registry comes then.
TEST(PythonRuntime, ImportsAModuleWrittenInLatin1) {
    EXPECT_EQ(call("latin1_source.handler"), "caf\xc3\xa9 cr\xc3\xa8me");
}

// A PYTHONIOENCODING the function sets is Python's as always: the streams get it.
TEST(PythonRuntime, GivesTheStreamsThePythonioencodingTheFunctionSets) {
    function_setup setup("encodings_probe.handler");
    setup.environment["PYTHONIOENCODING"] = "latin-1";
    served_function fn(setup);
    auto r = fn.invoke("{}");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto got = served_function::parse(r.body);
    EXPECT_EQ(got.at("stream_encodings"), (json::array{"latin-1", "latin-1", "latin-1"}));
    EXPECT_TRUE(got.as_object().contains("ioencoding_in_environ")) << got;
}

TEST(PythonRuntime, UsesUtf8AsTheDefaultEncoding) {
    EXPECT_EQ(call("basic.default_encoding"), (json::array{"utf-8", "caf\xc3\xa9"}));
}

TEST(PythonRuntime, RemovesInternalVariablesAndSetsTheSecurityToken) {
    function_setup setup{"basic.environment"};
    setup.environment = {{"_LAMBDA_CONTROL_SOCKET", "3"}, {"AWS_SESSION_TOKEN", "tok"}};
    served_function fn(setup);
    const auto got = served_function::parse(fn.invoke().body).as_object();
    EXPECT_EQ(got.at("internal"), json::array{});
    EXPECT_EQ(got.at("security_token"), "tok");
    EXPECT_EQ(got.at("cwd"), json::value(data_dir() + "/handlers"));
}

TEST(PythonRuntime, SetsTheTraceIdOfEachInvocationInOsEnviron) {
    served_function fn(function_setup{"basic.trace_id"});
    const std::string trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1";
    const std::string trace2 = "Root=1-5759e988-bd862e3fe1be46a994272794;Sampled=0";
    EXPECT_EQ(served_function::parse(fn.invoke("{}", {{"X-Amzn-Trace-Id", trace}}).body), json::value(trace));
    EXPECT_EQ(served_function::parse(fn.invoke("{}", {{"X-Amzn-Trace-Id", trace2}}).body), json::value(trace2));
}

// ---- logging ------------------------------------------------------------------------------------

TEST(PythonRuntime, LogsInTheLegacyFormatWithTheRequestId) {
    const std::string log = temp_path("log_things");
    function_setup setup{"basic.log_things"};
    setup.log_file = log;
    served_function fn(setup);
    const auto r = fn.invoke();
    EXPECT_EQ(r.body, "\"ok\"");
    const std::string text = read_file(log);
    ::unlink(log.c_str());
    // [WARNING]\t2026-11-26T15:04:05.7Z\t<request id>\twarned 42\n
    const std::regex warning(R"(\[WARNING\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,3}Z\t[0-9a-f-]{36}\twarned 42\n)");
    EXPECT_TRUE(std::regex_search(text, warning)) << text;
    EXPECT_NE(text.find("\tunicode caf\xc3\xa9\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("not shown"), std::string::npos) << text;
    EXPECT_NE(text.find("context log no newline12345"), std::string::npos) << text;
    EXPECT_NE(text.find("printed line\n"), std::string::npos) << text;
    EXPECT_NE(text.find("stderr line\n"), std::string::npos) << text;
}

TEST(PythonRuntime, LogsAHandlerExceptionWithMessageTypeAndTraceback) {
    const std::string log = temp_path("fail_log");
    function_setup setup{"basic.fail"};
    setup.log_file = log;
    served_function fn(setup);
    fn.invoke(R"({"what": "x"})");
    const std::string text = read_file(log);
    ::unlink(log.c_str());
    EXPECT_NE(text.find("something bad: x: ValueError\nTraceback (most recent call last):\n"), std::string::npos)
        << text;
}

TEST(PythonRuntime, AnExceptionThatCannotBeFormattedIsAnsweredAndLoggedWithTheLibrarysPrefix) {
    const std::string log = temp_path("unformattable_log");
    function_setup setup{"basic.fail_unformattable"};
    setup.log_file = log;
    served_function fn(setup);
    const auto r = fn.invoke();
    const std::string text = read_file(log);
    ::unlink(log.c_str());
    EXPECT_EQ(r.function_error, "Unhandled");
    EXPECT_EQ(r.body, R"({"errorMessage": "unformattable exception", "errorType": "Runtime.Unknown"})");
    EXPECT_NE(text.find("[lambda-py27] could not format an exception\n"), std::string::npos) << text;
}

TEST(PythonRuntime, LogsTheCauseOfADeferredFault) {
    const std::string log = temp_path("fault_log");
    function_setup setup{"import_error.handler"};
    setup.log_file = log;
    served_function fn(setup);
    fn.invoke();
    const std::string text = read_file(log);
    ::unlink(log.c_str());
    EXPECT_NE(text.find("Unable to import module 'import_error': No module named this_module_does_not_exist_anywhere"),
              std::string::npos)
        << text;
}

TEST(PythonRuntime, LogsAnUnparsableEvent) {
    const std::string log = temp_path("parse_log");
    function_setup setup{"basic.echo"};
    setup.log_file = log;
    served_function fn(setup);
    fn.invoke("{bad");
    const std::string text = read_file(log);
    ::unlink(log.c_str());
    EXPECT_NE(text.find("Unable to parse input as json: "), std::string::npos) << text;
}
