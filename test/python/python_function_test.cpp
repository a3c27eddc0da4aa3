// In-process invocation (lambda_py27::testing::python_function): the same dispatcher as the bootstrap's,
// with the log captured, and the parts the emulator does not show a caller (X-Ray cause, exit requests).
#include <lambda_py27/testing/python_function.hpp>

#include <lambda_py27/python/interpreter.hpp>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <Python.h>
#include <grammar.h>

#include <cstddef>
#include <regex>

namespace json = boost::json;
using lambda_py27::testing::invoke_options;
using lambda_py27::testing::python_function;

namespace {

const std::string handlers = std::string(LAMBDA_PY27_TEST_DATA_DIR) + "/handlers";

json::value parse(const std::string& s) {
    boost::system::error_code ec;
    auto v = json::parse(s, ec);
    return ec ? json::value("<invalid JSON: " + s + ">") : v;
}

}  // namespace

TEST(PythonFunction, ReturnsTheResponseBodyOfASuccessfulInvocation) {
    python_function fn("basic.echo", handlers);
    EXPECT_EQ(fn.fault(), "");
    const auto r = fn.invoke(R"({"a": [1, 2.5, "x"]})");
    EXPECT_TRUE(r.success);
    EXPECT_EQ(r.body, R"({"a": [1, 2.5, "x"]})");
    EXPECT_EQ(r.exit_status, -1);
}

TEST(PythonFunction, PassesTheGivenContextFields) {
    python_function fn("basic.context_attributes", handlers);
    invoke_options o;
    o.request_id = "req-1";
    o.function_arn = "arn:aws:lambda:eu-west-1:1:function:f";
    o.cognito_identity = R"({"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"})";
    const auto got = parse(fn.invoke("{}", o).body).as_object();
    EXPECT_EQ(got.at("aws_request_id"), (json::array{"req-1", "str"}));
    EXPECT_EQ(got.at("invoked_function_arn"), (json::array{"arn:aws:lambda:eu-west-1:1:function:f", "str"}));
    EXPECT_EQ(got.at("identity"), (json::array{"id-1", "pool-1"}));
}

// context.identity is made when first read: the same object after, writable, and each invocation's own.
TEST(PythonFunction, ContextIdentityIsOneObjectPerInvocationMadeWhenRead) {
    python_function fn("basic.identity_object", handlers);
    invoke_options o;
    o.cognito_identity = R"({"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"})";
    for (int i = 0; i < 2; ++i) {
        const auto got = parse(fn.invoke("{}", o).body).as_object();
        EXPECT_EQ(got.at("type"), "CognitoIdentity");
        EXPECT_EQ(got.at("initial"), "id-1");  // the second time too: nothing kept from the first
        EXPECT_EQ(got.at("same"), true);
        EXPECT_EQ(got.at("kept"), "changed");
        EXPECT_EQ(got.at("replaced"), true);
    }
    python_function attrs("basic.context_attributes", handlers);
    EXPECT_EQ(parse(attrs.invoke("{}", o).body).at("identity"), (json::array{"id-1", "pool-1"}));
    EXPECT_EQ(parse(attrs.invoke("{}").body).at("identity"), (json::array{nullptr, nullptr}));
}

// The context is a plain object as the legacy runtime's was: fields writable, not deletable; attributes a
// handler adds kept in its __dict__; pickling refused with the message Boost.Python's classes gave.
TEST(PythonFunction, ContextTakesNewAttributesRefusesDeletionAndPicklingAndIsSubclassable) {
    python_function fn("basic.context_object", handlers);
    const auto got = parse(fn.invoke("{}").body).as_object();
    EXPECT_EQ(got.at("type"), "_lambda_py27.LambdaContext");
    EXPECT_EQ(got.at("set"), "renamed");
    EXPECT_EQ(got.at("added"), 5);
    EXPECT_EQ(got.at("vars"), (json::array{"added"}));
    EXPECT_EQ(got.at("delete"), "AttributeError: can't delete attribute");
    const json::string refused =
        "RuntimeError: Pickling of \"_lambda_py27.LambdaContext\" instances is not enabled "
        "(http://www.boost.org/libs/python/doc/v2/pickle.html)";
    EXPECT_EQ(got.at("pickle"), refused);
    EXPECT_EQ(got.at("copy"), refused);
    EXPECT_EQ(got.at("subclass"), nullptr);
    EXPECT_EQ(got.at("arguments"), "TypeError: LambdaContext() takes no arguments");
    EXPECT_EQ(got.at("blank"), (json::array{nullptr, nullptr, 0, nullptr}));
    EXPECT_EQ(got.at("collected"), true);
}

// A context releases what it holds, the identity made at its first read too.
TEST(PythonFunction, ContextReleasesItsIdentityWithItself) {
    python_function fn("basic.identity_released", handlers);
    invoke_options o;
    o.cognito_identity = R"({"cognitoIdentityId": "id-1"})";
    EXPECT_EQ(parse(fn.invoke("{}", o).body), json::array{});
    EXPECT_EQ(parse(fn.invoke("{}", o).body), (json::array{false}));
    EXPECT_EQ(parse(fn.invoke("{}").body), (json::array{false, false}));
}

TEST(PythonFunction, FailsAnInvalidClientContextWithValueError) {
    python_function fn("basic.echo", handlers);
    invoke_options o;
    o.client_context = "{not json";
    const auto r = fn.invoke("{}", o);
    EXPECT_FALSE(r.success);
    EXPECT_EQ(parse(r.body).at("errorType"), "ValueError");
}

TEST(PythonFunction, SendsAnXRayCauseInTheLegacyShapeWithEveryError) {
    python_function fn("basic.fail_nested", handlers);
    const auto r = fn.invoke("{}");
    ASSERT_FALSE(r.success);
    const auto cause = parse(r.xray_cause).as_object();
    EXPECT_TRUE(cause.at("working_directory").is_string());
    const auto& ex = cause.at("exceptions").as_array().at(0).as_object();
    EXPECT_EQ(ex.at("type"), "CustomError");
    EXPECT_EQ(ex.at("message"), "caf\xc3\xa9 broke");
    const auto& stack = ex.at("stack").as_array();
    ASSERT_EQ(stack.size(), 2u);
    EXPECT_EQ(stack[0].as_object().at("label"), "fail_nested");
    EXPECT_EQ(stack[0].as_object().at("path"), json::value(handlers + "/basic.py"));
    EXPECT_TRUE(stack[0].as_object().at("line").is_int64());
    EXPECT_EQ(cause.at("paths"), (json::array{json::value(handlers + "/basic.py")}));
}

TEST(PythonFunction, SendsALambdaValidationErrorCauseForAHandlerFault) {
    python_function fn("import_error.handler", handlers);
    EXPECT_EQ(fn.fault(), "Unable to import module 'import_error'");
    EXPECT_NE(fn.load_log().find("Unable to import module 'import_error': No module named"), std::string::npos);
    const auto r = fn.invoke("{}");
    EXPECT_EQ(parse(r.body), (json::object{{"errorMessage", "Unable to import module 'import_error'"}}));
    const auto cause = parse(r.xray_cause);
    const auto& ex = cause.at("exceptions").as_array().at(0).as_object();
    EXPECT_EQ(ex.at("type"), "LambdaValidationError");
    EXPECT_EQ(ex.at("message"), "Unable to import module 'import_error'");
    EXPECT_EQ(ex.at("stack"), json::array{});
    EXPECT_EQ(r.exit_status, -1);
}

TEST(PythonFunction, AsksToExitWithStatusOneAfterAModuleInitializationError) {
    python_function fn("init_error.handler", handlers);
    EXPECT_EQ(fn.fault(), "module initialization error");
    EXPECT_NE(fn.load_log().find("module initialization error: boom at import\nTraceback"), std::string::npos)
        << fn.load_log();
    const auto r = fn.invoke("{}");
    EXPECT_EQ(r.exit_status, 1);
    EXPECT_EQ(parse(r.body), (json::object{{"errorMessage", "module initialization error"}}));
}

TEST(PythonFunction, AsksToExitWithTheSystemExitStatusAndAnswersNothing) {
    python_function fn("basic.exit_with", handlers);
    EXPECT_EQ(fn.invoke(R"({"status": 7})").exit_status, 7);
    EXPECT_EQ(fn.invoke(R"({"status": null})").exit_status, 0);
    const auto r = fn.invoke(R"({"status": "bye"})");
    EXPECT_EQ(r.exit_status, 1);
    EXPECT_TRUE(r.body.empty());
    EXPECT_NE(r.log.find("bye\n"), std::string::npos);
}

TEST(PythonFunction, CapturesLogRecordsInTheExactLegacyFormat) {
    python_function fn("basic.log_things", handlers);
    invoke_options o;
    o.request_id = "11111111-2222-3333-4444-555555555555";
    const auto r = fn.invoke("{}", o);
    EXPECT_EQ(r.body, "\"ok\"");
    const std::regex record(
        R"(^\[WARNING\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.(0|[1-9]\d{0,2})Z\t11111111-2222-3333-4444-555555555555\twarned 42\n)"
        R"(\[ERROR\]\t[^\t]+Z\t11111111-2222-3333-4444-555555555555\tunicode caf\xc3\xa9\n)"
        R"(context log no newline12345printed line\nstderr line\n$)");
    EXPECT_TRUE(std::regex_match(r.log, record)) << r.log;
}

TEST(PythonFunction, RemovesTheTraceIdWhenAnInvocationHasNone) {
    python_function fn("basic.trace_id", handlers);
    invoke_options o;
    o.trace_id = "Root=1-abc";
    EXPECT_EQ(fn.invoke("{}", o).body, "\"Root=1-abc\"");
    EXPECT_EQ(fn.invoke("{}").body, "null");
}

TEST(PythonFunction, LogsAJsonSerializationError) {
    python_function fn("basic.unserializable", handlers);
    const auto r = fn.invoke("{}");
    EXPECT_EQ(
        r.log.rfind("An error occurred during JSON serialization of response: <type 'object'> is not JSON serializable",
                    0),
        0u)
        << r.log;
}

// ---- the parser accelerators computed at build time (src/python/parser_accelerators.cpp) -----------

namespace lambda_py27::python::detail {
extern const int parser_accelerators[];
extern const std::size_t parser_accelerators_size;
}  // namespace lambda_py27::python::detail
extern "C" grammar _PyParser_Grammar;

// The interpreter parses with the tables computed at build time (not ones it built itself), and compiles
// the grammar's own test module and large stdlib modules to exactly the code a plain python2.7 process
// (building its own accelerators) makes of them.
TEST(PythonFunction, CompilesWithTheBuildTimeParserAcceleratorsExactlyAsPythonDoes) {
    python_function fn("basic.echo", handlers);  // starts the interpreter and compiles basic.py
    ASSERT_EQ(fn.fault(), "");
    lambda_py27::python::gil_acquire gil;
    const grammar& g = _PyParser_Grammar;
    ASSERT_EQ(g.g_accel, 1);
    const int* begin = lambda_py27::python::detail::parser_accelerators;
    const int* end = begin + lambda_py27::python::detail::parser_accelerators_size;
    int ours = 0, others = 0;
    for (int i = 0; i < g.g_ndfas; ++i) {
        for (int j = 0; j < g.g_dfa[i].d_nstates; ++j) {
            const int* accel = g.g_dfa[i].d_state[j].s_accel;
            if (accel == nullptr) continue;
            (accel >= begin && accel < end ? ours : others) += 1;
        }
    }
    EXPECT_GT(ours, 100);
    EXPECT_EQ(others, 0);

    const char* script = R"PY(
import marshal, os, subprocess, sys
lib = os.path.join(sys.prefix, 'lib', 'python2.7')
sources = [os.path.join(lib, p) for p in ('test/test_grammar.py', 'decimal.py', 'json/decoder.py', 'inspect.py')]
sources = [p for p in sources if os.path.exists(p)]
here = [marshal.dumps(compile(open(p).read(), p, 'exec')).encode('hex') for p in sources]
there = subprocess.check_output([os.path.join(sys.prefix, 'bin', 'python2.7'), '-S', '-c',
    'import marshal, sys\nfor p in sys.argv[1:]: print marshal.dumps(compile(open(p).read(), p, "exec")).encode("hex")']
    + sources).split()
result = (len(sources), here == there)
)PY";
    PyObject* globals = PyDict_New();
    PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins());
    PyObject* r = PyRun_String(script, Py_file_input, globals, globals);
    if (r == nullptr) PyErr_Print();
    ASSERT_NE(r, nullptr);
    Py_DECREF(r);
    PyObject* result = PyDict_GetItemString(globals, "result");
    ASSERT_NE(result, nullptr);
    EXPECT_GE(PyInt_AsLong(PyTuple_GetItem(result, 0)), 3);
    EXPECT_EQ(PyTuple_GetItem(result, 1), Py_True) << "compiled differently from a plain python2.7";
    Py_DECREF(globals);
}

// A function's environment is its own: in force while it loads and while it is invoked, taken back
// after each, so one test's variables never reach the next (the order of tests changes nothing).
TEST(PythonFunction, EnvironmentIsTheFunctionsOwnAndTakenBackAfterEachUse) {
    ASSERT_EQ(std::getenv("STAGE"), nullptr);
    python_function staged("env_probe.handler", handlers, {{"STAGE", "test"}});
    EXPECT_EQ(std::getenv("STAGE"), nullptr) << "the load's variables are taken back";
    EXPECT_EQ(staged.invoke("{}").body, R"(["test", "test"])");
    EXPECT_EQ(std::getenv("STAGE"), nullptr) << "the invocation's variables are taken back";
    python_function plain("basic.environment", handlers);
    const auto r = plain.invoke("{}");
    EXPECT_TRUE(r.success) << r.body;
    python_function probe("env_probe.handler", handlers);
    EXPECT_EQ(probe.invoke("{}").body, R"([null, null])") << "another function sees none of them";
    ::setenv("STAGE", "outer", 1);
    EXPECT_EQ(staged.invoke("{}").body, R"(["test", "test"])");
    EXPECT_STREQ(std::getenv("STAGE"), "outer") << "a variable set outside is put back as it was";
    ::unsetenv("STAGE");
}
