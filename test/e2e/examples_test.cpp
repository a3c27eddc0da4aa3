// The examples' bootstraps (examples/cpp-handler, examples/custom-hooks), each served through the real
// emulator as a child process. examples/handler-test registers its own tests (GoogleTest and unittest).
#include <lambda_py27/testing/emulator.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <sstream>
#include <string>

namespace {

struct served {
    std::ostringstream report;
    std::unique_ptr<lambda_py27::testing::emulator> emulator;

    served(const std::string& bootstrap, const std::string& handler, const std::string& task_root,
           const std::map<std::string, std::string>& environment = {}) {
        lambda_py27::testing::emulator_options o;
        o.runtime_command = {bootstrap};
        o.invoke_port = 0;
        o.handler = handler;
        o.task_root = task_root;
        o.timeout = std::chrono::seconds(20);
        o.environment = environment;
        o.environment["PYTHONDONTWRITEBYTECODE"] = "1";
        o.report = &report;
        emulator = std::make_unique<lambda_py27::testing::emulator>(std::move(o));
        emulator->start();
    }

    lambda_py27::testing::invoke_result invoke(const std::string& event) {
        return lambda_py27::testing::invoke("127.0.0.1", emulator->invoke_port(), event);
    }
};

// Everything `ldd` lists for `file`: its shared libraries, direct or not.
std::string shared_libraries(const std::string& file) {
    std::string out;
    if (FILE* p = ::popen(("ldd '" + file + "' 2>&1").c_str(), "r")) {
        char buf[512];
        while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
        ::pclose(p);
    }
    return out;
}

}  // namespace

#ifdef LAMBDA_PY27_EXAMPLE_CPP_HANDLER

TEST(CppHandlerExample, ServesItsCppHandlersThroughTheEmulator) {
    served fn(LAMBDA_PY27_EXAMPLE_CPP_HANDLER, "hello", ".");
    const auto r = fn.invoke(R"({"x": 1})");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.function_error, "");
    EXPECT_NE(r.body.find(R"({"message": "Hello from C++", "request_id": ")"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find(R"("event": {"x": 1}})"), std::string::npos) << r.body;

    served failing(LAMBDA_PY27_EXAMPLE_CPP_HANDLER, "fail", ".");
    const auto f = failing.invoke("{}");
    EXPECT_EQ(f.function_error, "Unhandled");
    EXPECT_EQ(f.body, R"({"errorMessage": "asked to fail", "errorType": "Failure"})");
}

TEST(CppHandlerExample, ReportsAnUnknownHandlerAsAnInitError) {
    served fn(LAMBDA_PY27_EXAMPLE_CPP_HANDLER, "nope", ".");
    const auto r = fn.invoke("{}");
    EXPECT_NE(r.function_error, "");
    EXPECT_NE(r.body.find("Runtime.HandlerNotFound"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("no C++ handler named 'nope' (registered: echo, fail, hello)"), std::string::npos) << r.body;
}

TEST(CppHandlerExample, HasNoPythonInItsSharedLibraries) {
    const std::string libs = shared_libraries(LAMBDA_PY27_EXAMPLE_CPP_HANDLER);
    ASSERT_NE(libs.find("libc.so"), std::string::npos) << "ldd did not run: " << libs;
    EXPECT_EQ(libs.find("python"), std::string::npos) << libs;
}

#endif

#ifdef LAMBDA_PY27_EXAMPLE_CUSTOM_HOOKS

TEST(CustomHooksExample, RunsAPythonHandlerWithABuiltInCppModuleAndItsHooks) {
    served fn(LAMBDA_PY27_EXAMPLE_CUSTOM_HOOKS, "app.handler", LAMBDA_PY27_EXAMPLE_CUSTOM_HOOKS_FUNCTION,
              {{"STAGE", "prod"}});
    const auto first = fn.invoke(R"({"name": "Ada"})");
    EXPECT_EQ(first.status, 200);
    EXPECT_EQ(first.function_error, "") << first.body;
    EXPECT_EQ(first.body,
              R"j({"invocation": 1, "message": "Hello, Ada (from C++)", "warmed": true, "stage": "prod"})j");
    const auto second = fn.invoke("{}");
    EXPECT_NE(second.body.find(R"("invocation": 2)"), std::string::npos) << second.body;
}

TEST(CustomHooksExample, ServesARegisteredCppHandlerWithoutStartingPython) {
    served fn(LAMBDA_PY27_EXAMPLE_CUSTOM_HOOKS, "native.status", ".");
    const auto r = fn.invoke("{}");
    EXPECT_EQ(r.function_error, "") << r.body;
    EXPECT_EQ(r.body, R"({"python_started": false})");
}

TEST(CustomHooksExample, TurnsAFailingInitHookIntoAnInitError) {
    served fn(LAMBDA_PY27_EXAMPLE_CUSTOM_HOOKS, "app.handler", LAMBDA_PY27_EXAMPLE_CUSTOM_HOOKS_FUNCTION,
              {{"CUSTOM_HOOKS_FAIL_INIT", "1"}});
    const auto r = fn.invoke("{}");
    EXPECT_NE(r.function_error, "");
    EXPECT_EQ(r.body, R"({"errorMessage": "init hook failed on request", "errorType": "Runtime.InitError"})");
}

TEST(CustomHooksExample, TurnsAFailedPreloadIntoAnInitError) {
    served fn(LAMBDA_PY27_EXAMPLE_CUSTOM_HOOKS, "app.handler", LAMBDA_PY27_EXAMPLE_CUSTOM_HOOKS_FUNCTION,
              {{"CUSTOM_HOOKS_PRELOAD", "no_such_module"}});
    const auto r = fn.invoke("{}");
    EXPECT_NE(r.function_error, "");
    EXPECT_EQ(r.body, R"({"errorMessage": "cannot preload module 'no_such_module': ImportError: No module named )"
                      R"(no_such_module", "errorType": "Runtime.InitError"})");
}

#endif

#if !defined(LAMBDA_PY27_EXAMPLE_CPP_HANDLER) && !defined(LAMBDA_PY27_EXAMPLE_CUSTOM_HOOKS)
TEST(Examples, AreNotBuilt) { GTEST_SKIP() << "LAMBDA_PY27_BUILD_EXAMPLES is off"; }
#endif
