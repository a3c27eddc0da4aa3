// The function's own json calls on the runtime's converters (LAMBDA_PY27_FAST_JSON): json.loads, dumps,
// load and dump routed by install_fast_json against json's own functions in one interpreter
// (test/data/fast_json_cases.py: the corpus of the converters' differential tests, every keyword
// argument, the recursion limit, a json the function changed, files), then a handler served by the real
// bootstrap through the emulator, with the variable set and unset.
#include "python/fast_json.hpp"

#include <lambda_py27/python/interpreter.hpp>

#include "support/bootstrap_process.hpp"
#include "support/fake_runtime_api.hpp"
#include "support/served_function.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace {

using lambda_py27::test_support::data_dir;
using lambda_py27::test_support::function_setup;
using lambda_py27::test_support::served_function;

std::string python_error() {
    PyObject *type = nullptr, *value = nullptr, *tb = nullptr;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    std::string text = "no exception";
    if (PyObject* s = value != nullptr ? PyObject_Str(value) : nullptr) {
        text = std::string(reinterpret_cast<PyTypeObject*>(type)->tp_name) + ": " + PyString_AsString(s);
        Py_DECREF(s);
    }
    PyErr_Clear();
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return text;
}

/// The interpreter of this process (the runtime's, with `_lambda_py27`), json routed once.
PyObject* cases() {
    static PyObject* module = [] {
        lambda_py27::python::interpreter_options o;
        o.task_root = data_dir();  // fast_json_cases.py, json_corpus_gen.py
        o.change_directory = false;
        static auto* interp = new lambda_py27::python::interpreter(o);
        (void)interp;
        PySys_SetObject(const_cast<char*>("dont_write_bytecode"), Py_True);
        PyObject* m = PyImport_ImportModule("fast_json_cases");
        if (m == nullptr) ADD_FAILURE() << python_error();
        return m;
    }();
    return module;
}

/// What a check of fast_json_cases returned: its failures, and the calls that took the fast path and
/// json's own.
struct checked {
    std::vector<std::string> failures;
    long fast = 0;
    long fallen_back = 0;
};

checked run(const char* name, const char* format = nullptr, long a = 0, long b = 0) {
    checked c;
    PyObject* m = cases();
    if (m == nullptr) {
        c.failures.push_back("no fast_json_cases module");
        return c;
    }
    PyObject* fn = PyObject_GetAttrString(m, name);
    PyObject* r = fn == nullptr       ? nullptr
                  : format != nullptr ? PyObject_CallFunction(fn, const_cast<char*>(format), a, b)
                                      : PyObject_CallFunctionObjArgs(fn, nullptr);
    Py_XDECREF(fn);
    if (r == nullptr) {
        c.failures.push_back(std::string(name) + " raised " + python_error());
        return c;
    }
    PyObject* list = PyTuple_Check(r) ? PyTuple_GET_ITEM(r, 0) : r;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); ++i)
        c.failures.push_back(PyString_AsString(PyList_GET_ITEM(list, i)));
    if (PyTuple_Check(r)) {
        c.fast = PyInt_AsLong(PyTuple_GET_ITEM(r, 1));
        c.fallen_back = PyInt_AsLong(PyTuple_GET_ITEM(r, 2));
    }
    Py_DECREF(r);
    return c;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string s;
    for (const auto& l : lines) s += l + "\n";
    return s;
}

}  // namespace

TEST(FastJson, ReplacesTheFourFunctionsWithBuiltInsKeepingNameModuleAndDoc) {
    const checked installed = run("install");
    EXPECT_EQ(installed.failures, std::vector<std::string>{});  // the names still json's own: none
    EXPECT_EQ(joined(run("identity").failures), "");
    EXPECT_NE(lambda_py27::python::detail::original_json_loads(), nullptr);
}

TEST(FastJson, DumpsAndDumpGiveJsonsBytesAndExceptionsOnTheCorpus) {
    run("install");
    const checked c = run("dumps_corpus", "ll", 20240601, 12000);
    EXPECT_EQ(joined(c.failures), "");
    std::printf("[ info ] fast path %ld calls, json's own %ld\n", c.fast, c.fallen_back);
    EXPECT_GE(c.fast, 8000);         // every value of exact built-in types (checked one by one)
    EXPECT_GE(c.fallen_back, 8000);  // subclasses, Decimal, OrderedDict, unserializable, bad UTF-8
}

TEST(FastJson, LoadsAndLoadGiveJsonsValuesAndExceptionsOnTheCorpus) {
    run("install");
    const checked c = run("loads_corpus", "ll", 99, 40000);
    EXPECT_EQ(joined(c.failures), "");
    std::printf("[ info ] fast path %ld calls, json's own %ld\n", c.fast, c.fallen_back);
    EXPECT_GE(c.fast, 40000);         // str and unicode texts, loads and load
    EXPECT_GE(c.fallen_back, 20000);  // malformed, NaN, lone surrogates, ...
}

TEST(FastJson, CoveredKeywordArgumentsTakeTheFastPathEveryOtherOneJsons) {
    run("install");
    const checked dumps = run("dumps_arguments");
    EXPECT_EQ(joined(dumps.failures), "");
    EXPECT_GT(dumps.fast, 0);
    const checked loads = run("loads_arguments");
    EXPECT_EQ(joined(loads.failures), "");
    EXPECT_GT(loads.fast, 0);
}

TEST(FastJson, NearTheRecursionLimitJsonDecides) {
    run("install");
    EXPECT_EQ(joined(run("nesting_boundary").failures), "");
}

TEST(FastJson, AJsonWhoseDefaultsTheFunctionChangedIsServedByJsonsOwnFunctions) {
    run("install");
    EXPECT_EQ(joined(run("module_patches").failures), "");
}

TEST(FastJson, DumpWritesTheDocumentInOneWriteAndLoadReadsARealFile) {
    run("install");
    EXPECT_EQ(joined(run("files").failures), "");
}

// ---- through the bootstrap and the emulator ------------------------------------------------------------

namespace {

const std::string kEvent =
    R"({"resource": "/orders", "httpMethod": "POST", "body": "{\"order\": {\"id\": 7, \"items\": [1.5, true, null, \"caf\u00e9\"]}}"})";

boost::json::object invoke_fast_json_handler(std::map<std::string, std::string> env) {
    function_setup setup{"fast_json.handler"};
    setup.environment = std::move(env);
    served_function fn(setup);
    const auto r = fn.invoke(kEvent);
    EXPECT_EQ(r.status, 200u) << r.body;
    const auto v = served_function::parse(r.body);
    return v.is_object() ? v.as_object() : boost::json::object{};
}

}  // namespace

TEST(FastJsonBootstrap, WithTheVariableAHandlersJsonCallsTakeTheFastPath) {
    const auto got = invoke_fast_json_handler({{"LAMBDA_PY27_FAST_JSON", "1"}});
    EXPECT_EQ(got.at("json_own"), (boost::json::array{false, false, false, false, false}));
    EXPECT_EQ(got.at("fast"), 3);                                        // loads, dump, load
    EXPECT_EQ(got.at("fallen_back"), 1);                                 // dumps(sort_keys=True)
    EXPECT_EQ(got.at("body"), invoke_fast_json_handler({}).at("body"));  // json's own bytes
    EXPECT_EQ(got.at("body"),
              R"({"got": {"order": {"items": [1.5, true, null, "caf\u00e9"], "id": 7}}, )"
              R"("fallback": "{\"order\": {\"id\": 7, \"items\": [1.5, true, null, \"caf\\u00e9\"]}}", )"
              R"("dumped": "{\"echo\": {\"order\": {\"items\": [1.5, true, null, \"caf\\u00e9\"], \"id\": 7}}}", )"
              R"("back": {"echo": {"order": {"items": [1.5, true, null, "caf\u00e9"], "id": 7}}}})");
}

TEST(FastJsonBootstrap, WithoutItJsonIsJsonsOwn) {
    for (const char* value : {"", "0"}) {
        std::map<std::string, std::string> env;
        if (*value != '\0') env["LAMBDA_PY27_FAST_JSON"] = value;
        const auto got = invoke_fast_json_handler(env);
        EXPECT_EQ(got.at("json_own"), (boost::json::array{true, true, true, true, true})) << value;
        EXPECT_EQ(got.at("fast"), 0) << value;
        EXPECT_EQ(got.at("fallen_back"), 0) << value;
    }
}

TEST(FastJsonBootstrap, AnUnparsableEventIsStillJsonsErrorWithTheRoutingOn) {
    for (const char* value : {"0", "1"}) {
        function_setup setup{"fast_json.handler"};
        setup.environment = {{"LAMBDA_PY27_FAST_JSON", value}};
        served_function fn(setup);
        fn.invoke(kEvent);  // json imported (and routed) by the handler's module already
        const auto r = fn.invoke("[1, 2");
        EXPECT_EQ(r.body,
                  R"x({"errorType": "ValueError", "errorMessage": "Expecting object: line 1 column 5 (char 4)"})x")
            << value;
    }
}

TEST(FastJsonBootstrap, RefusesAnUnknownSettingAsAnInitError) {
    using namespace lambda_py27::test_support;
    fake_runtime_api api;
    api.then(answer::accepted());
    bootstrap_process rt(api.endpoint(), "fast_json.handler", data_dir() + "/handlers",
                         {{"LAMBDA_PY27_FAST_JSON", "yes"}});
    EXPECT_EQ(rt.wait_exit(), 2);
    const auto reqs = api.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].target, "/2018-06-01/runtime/init/error");
    EXPECT_EQ(reqs[0].header("Lambda-Runtime-Function-Error-Type"), "Runtime.InvalidConfiguration");
    EXPECT_NE(reqs[0].body.find("LAMBDA_PY27_FAST_JSON must be 1 or 0, not 'yes'"), std::string::npos) << reqs[0].body;
}
