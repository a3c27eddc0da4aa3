// The legacy logging handler's built-in methods (src/python/logging_handler.cpp) against its Python ones:
// test/data/logging_cases.py logs a corpus through one handler of each kind in one interpreter, with the
// time frozen, and the two must write the same log bytes, the same handleError output and leave the same
// record attributes; then the real bootstrap through the emulator, with and without
// LAMBDA_PY27_NATIVE_LOGGING=0, writes the same lines in the legacy format.
#include "python/logging_handler.hpp"
#include "python/logging_record.hpp"

#include <lambda_py27/python/interpreter.hpp>
#include <lambda_py27/python/log.hpp>
#include "python/support.hpp"

#include "support/bootstrap_process.hpp"
#include "support/fake_runtime_api.hpp"
#include "support/served_function.hpp"

#include <gtest/gtest.h>

#include <boost/python.hpp>

#include <unistd.h>
#include <regex>
#include <string>

namespace {

using lambda_py27::test_support::data_dir;
using lambda_py27::test_support::function_setup;
using lambda_py27::test_support::served_function;

PyObject* cases() {
    static PyObject* module = [] {
        lambda_py27::python::interpreter_options o;
        o.task_root = data_dir();  // logging_cases.py
        o.change_directory = false;
        static auto* interp = new lambda_py27::python::interpreter(o);
        (void)interp;
        PySys_SetObject(const_cast<char*>("dont_write_bytecode"), Py_True);
        try {
            lambda_py27::python::detail::support_module();
        } catch (const boost::python::error_already_set&) {
            ADD_FAILURE() << lambda_py27::python::detail::pending_exception_text();
        }
        PyObject* m = PyImport_ImportModule("logging_cases");
        if (m == nullptr) ADD_FAILURE() << lambda_py27::python::detail::pending_exception_text();
        return m;
    }();
    return module;
}

/// One run of the corpus: repr() of what the handlers saw, and the log the legacy handler wrote.
struct logged {
    std::string seen;
    std::string log;
};

logged run(bool native) {
    logged out;
    PyObject* m = cases();
    if (m == nullptr) return out;
    lambda_py27::python::set_current_request_id("req-\xc3\xa9-1");
    lambda_py27::python::set_log_sink([&out](std::string_view record) { out.log.append(record); });
    PyObject* r = PyObject_CallMethod(m, const_cast<char*>("run"), const_cast<char*>("O"), native ? Py_True : Py_False);
    lambda_py27::python::set_log_sink({});
    PyObject* text = r != nullptr ? PyObject_Repr(r) : nullptr;
    out.seen = text != nullptr ? PyString_AsString(text)
                               : "run raised " + lambda_py27::python::detail::pending_exception_text();
    Py_XDECREF(text);
    Py_XDECREF(r);
    return out;
}

}  // namespace

TEST(NativeLogging, WritesTheBytesAndMakesTheRecordsOfThePythonHandlerAndLogRecordOnTheCorpus) {
    using lambda_py27::python::detail::native_logging_calls;
    using lambda_py27::python::detail::native_record_calls;
    const auto records_at_start = native_record_calls();
    const logged python = run(false);
    const auto before = native_logging_calls();
    const auto records_before = native_record_calls();
    const logged native = run(true);
    const auto after = native_logging_calls();
    const auto records_after = native_record_calls();
    // The standard library's LogRecord.__init__ made the first run's records: ours was not called.
    EXPECT_EQ(records_before.native + records_before.python, records_at_start.native + records_at_start.python);
    EXPECT_EQ(native.log, python.log);
    EXPECT_EQ(native.seen, python.seen);
    // The two paths both ran: formatted natively, and given to the Python emit.
    std::printf("[ info ] native %llu records, Python %llu\n", after.native - before.native,
                after.python - before.python);
    EXPECT_GE(after.native - before.native, 50u);
    EXPECT_GE(after.python - before.python, 60u);
    std::printf("[ info ] LogRecord.__init__: native %llu records, Python %llu\n",
                records_after.native - records_before.native, records_after.python - records_before.python);
    EXPECT_GE(records_after.native - records_before.native, 150u);
    EXPECT_GE(records_after.python - records_before.python, 8u);  // keywords, levels not int, subclass, ...
    // The corpus ran to its end, is long enough to mean something, and its lines are the legacy format.
    EXPECT_NE(python.seen.find("'-- reentrant', "), std::string::npos) << python.seen.substr(0, 300);
    EXPECT_GT(python.log.size(), 8000u);
    EXPECT_NE(python.log.find("[INFO]\t2025-12-04T22:44:05.456Z\treq-\xc3\xa9-1\torder abc123 for cust-\xc3\xa9: 3 "
                              "lines, 12.50 USD\n"),
              std::string::npos)
        << python.log;
    EXPECT_NE(python.log.find("[S\xc3\x89V\xc3\x88RE]\t2025-12-04T22:44:05.456Z\treq-\xc3\xa9-1\tunicode level name\n"),
              std::string::npos);
    EXPECT_NE(python.seen.find("TypeError: %d format: a number is required, not str"), std::string::npos);
}

TEST(NativeLogging, KeepsTheClassesLoggingsBasesTheFilterAndTheFormatter) {
    PyObject* m = cases();
    ASSERT_NE(m, nullptr);
    const logged native = run(true);
    // run() gives the handler's bases and its filters' class names last.
    EXPECT_NE(native.seen.find("(<class 'logging.Handler'>, <class 'logging.Filterer'>, <type 'object'>), "
                               "['LambdaLoggerFilter'])"),
              std::string::npos)
        << native.seen.substr(native.seen.size() > 300 ? native.seen.size() - 300 : 0);
}

// ---- through the bootstrap and the emulator ------------------------------------------------------------

namespace {

struct served_log {
    boost::json::value result;
    std::string log;
};

served_log serve(const std::map<std::string, std::string>& env) {
    const std::string path = testing::TempDir() + "/lp27_native_logging_" + std::to_string(::getpid());
    function_setup setup{"native_logging.handler"};
    setup.environment = env;
    setup.log_file = path;
    served_log out;
    {
        served_function fn(setup);
        const auto r = fn.invoke(R"({"a": 1, "b": 2})");
        EXPECT_EQ(r.status, 200) << r.body;
        out.result = served_function::parse(r.body);
    }
    out.log = lambda_py27::test_support::slurp(path);
    ::unlink(path.c_str());
    return out;
}

// The log with each record's time and request id as <time> and <id> (they differ from run to run).
std::string masked(const std::string& log) {
    static const std::regex stamp(R"(\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,3}Z\t[0-9a-f-]{36}\t)");
    return std::regex_replace(log, stamp, "\t<time>\t<id>\t");
}

}  // namespace

TEST(NativeLoggingBootstrap, TheBuiltInHandlerWritesTheLegacyLinesOfThePythonOne) {
    const served_log native = serve({});
    const served_log python = serve({{"LAMBDA_PY27_NATIVE_LOGGING", "0"}});
    EXPECT_EQ(native.result.at("class"), "LambdaLoggerHandler");
    EXPECT_EQ(native.result.at("base"), "Handler");
    EXPECT_EQ(native.result.at("filters"), (boost::json::array{"LambdaLoggerFilter"}));
    EXPECT_EQ(native.result.at("handle"), "method_descriptor");
    EXPECT_EQ(native.result.at("native"), 3);  // info, warning, error; the bad % and the exception: Python's
    EXPECT_EQ(native.result.at("python"), 2);
    EXPECT_EQ(python.result.at("handle"), "NoneType");  // logging.Handler.handle, inherited
    EXPECT_EQ(python.result.at("native"), 0);
    EXPECT_EQ(masked(native.log), masked(python.log));
    const std::regex info(
        R"(\[INFO\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,3}Z\t[0-9a-f-]{36}\torder abc123 for cust-\xc3\xa9: 3 lines, 12\.50 USD\n)");
    EXPECT_TRUE(std::regex_search(native.log, info)) << native.log;
    const std::string expected =
        "[INFO]\t<time>\t<id>\torder abc123 for cust-\xc3\xa9: 3 lines, 12.50 USD\n"
        "[WARNING]\t<time>\t<id>\tprocessed 2 keys\n"
        "[ERROR]\t<time>\t<id>\tunicode caf\xc3\xa9 x\n"
        "Traceback (most recent call last):\n";
    EXPECT_EQ(masked(native.log).substr(0, expected.size()), expected);
    EXPECT_NE(
        native.log.find("TypeError: %d format: a number is required, not str\nLogged from file native_logging.py"),
        std::string::npos)
        << native.log;
    EXPECT_NE(masked(native.log).find("[ERROR]\t<time>\t<id>\tfailed lookup\nTraceback (most recent call last):\n"),
              std::string::npos)
        << native.log;
}

// The native LogRecord asks the kernel for the process id once: a child of os.fork must still log its own.
TEST(NativeLogging, ARecordMadeInAForkedChildCarriesTheChildsProcessId) {
    ASSERT_NE(cases(), nullptr);
    run(true);  // the native LogRecord.__init__ installed, the parent's id asked once
    const auto before = lambda_py27::python::detail::native_record_calls();
    PyObject* globals = PyDict_New();
    PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins());
    PyObject* r = PyRun_String(
        "import logging, os\n"
        "parent = logging.LogRecord('p', 20, '/p.py', 1, 'in the parent', (), None).process\n"
        "read, write = os.pipe()\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    record = logging.LogRecord('c', 20, '/c.py', 1, 'in the child', (), None)\n"
        "    os.write(write, '%d %d' % (record.process, os.getpid()))\n"
        "    os._exit(0)\n"
        "os.close(write)\n"
        "seen = os.read(read, 100).split()\n"
        "os.waitpid(child, 0)\n"
        "again = logging.LogRecord('p', 20, '/p.py', 1, 'after the fork', (), None).process\n",
        Py_file_input, globals, globals);
    ASSERT_NE(r, nullptr) << lambda_py27::python::detail::pending_exception_text();
    Py_DECREF(r);
    const auto text = [&](const char* name) {
        PyObject* v = PyObject_Repr(PyDict_GetItemString(globals, name));
        std::string s = v != nullptr ? PyString_AsString(v) : "";
        Py_XDECREF(v);
        return s;
    };
    EXPECT_EQ(text("parent"), std::to_string(::getpid()));
    EXPECT_EQ(text("again"), std::to_string(::getpid()));
    PyObject* seen = PyDict_GetItemString(globals, "seen");
    ASSERT_TRUE(seen != nullptr && PyList_Check(seen) && PyList_GET_SIZE(seen) == 2) << text("seen");
    EXPECT_STREQ(PyString_AsString(PyList_GET_ITEM(seen, 0)), PyString_AsString(PyList_GET_ITEM(seen, 1)));
    EXPECT_NE(std::string(PyString_AsString(PyList_GET_ITEM(seen, 0))), std::to_string(::getpid()));
    EXPECT_GE(lambda_py27::python::detail::native_record_calls().native - before.native, 2u);  // the native one ran
    Py_DECREF(globals);
}

TEST(NativeLoggingBootstrap, RefusesAnUnknownSettingAsAnInitError) {
    using namespace lambda_py27::test_support;
    fake_runtime_api api;
    api.then(answer::accepted());
    bootstrap_process rt(api.endpoint(), "native_logging.handler", data_dir() + "/handlers",
                         {{"LAMBDA_PY27_NATIVE_LOGGING", "off"}});
    EXPECT_EQ(rt.wait_exit(), 2);
    const auto reqs = api.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].target, "/2018-06-01/runtime/init/error");
    EXPECT_EQ(reqs[0].header("Lambda-Runtime-Function-Error-Type"), "Runtime.InvalidConfiguration");
    EXPECT_NE(reqs[0].body.find("LAMBDA_PY27_NATIVE_LOGGING must be 1 or 0, not 'off'"), std::string::npos)
        << reqs[0].body;
}
