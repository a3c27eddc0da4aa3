// lambda_py27::handler_registry and the C++-only bootstrap's helpers. (run() serving a registry is
// exercised through the emulator by examples_test.cpp.)
#include <lambda_py27/runtime/handler_registry.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

using lambda_py27::handler_registry;
using lambda_py27::invocation;
using lambda_py27::invocation_response;

namespace {

invocation_response echo(const invocation& inv) { return invocation_response::success(inv.body); }

// Sets or unsets _HANDLER for one test.
class scoped_handler_variable {
public:
    explicit scoped_handler_variable(const char* value) {
        if (const char* old = std::getenv("_HANDLER")) {
            old_ = old;
            had_ = true;
        }
        if (value != nullptr)
            ::setenv("_HANDLER", value, 1);
        else
            ::unsetenv("_HANDLER");
    }
    ~scoped_handler_variable() {
        if (had_)
            ::setenv("_HANDLER", old_.c_str(), 1);
        else
            ::unsetenv("_HANDLER");
    }
    scoped_handler_variable(const scoped_handler_variable&) = delete;
    scoped_handler_variable& operator=(const scoped_handler_variable&) = delete;

private:
    std::string old_;
    bool had_ = false;
};

}  // namespace

TEST(HandlerRegistry, FindsARegisteredHandlerByName) {
    handler_registry handlers;
    handlers.add("native.echo", echo).add("native.other", echo);
    ASSERT_NE(handlers.find("native.echo"), nullptr);
    invocation inv;
    inv.body = R"({"a": 1})";
    EXPECT_EQ((*handlers.find("native.echo"))(inv).body, R"({"a": 1})");
    EXPECT_TRUE(handlers.contains("native.other"));
    EXPECT_EQ(handlers.size(), 2u);
}

TEST(HandlerRegistry, FindsNothingForAnUnknownName) {
    handler_registry handlers;
    EXPECT_TRUE(handlers.empty());
    EXPECT_EQ(handlers.find("app.handler"), nullptr);
    handlers.add("native.echo", echo);
    EXPECT_EQ(handlers.find("native"), nullptr);
    EXPECT_EQ(handlers.find("native.echo2"), nullptr);
    EXPECT_FALSE(handlers.contains(""));
}

TEST(HandlerRegistry, ListsItsNamesSorted) {
    handler_registry handlers;
    handlers.add("b", echo).add("a", echo).add("c.d", echo);
    EXPECT_EQ(handlers.names(), (std::vector<std::string>{"a", "b", "c.d"}));
}

TEST(HandlerRegistry, RefusesADuplicateAnEmptyNameAndAnEmptyFunction) {
    handler_registry handlers;
    handlers.add("x", echo);
    EXPECT_THROW(handlers.add("x", echo), std::invalid_argument);
    EXPECT_THROW(handlers.add("", echo), std::invalid_argument);
    EXPECT_THROW(handlers.add("y", lambda_py27::handler_function{}), std::invalid_argument);
    EXPECT_EQ(handlers.names(), (std::vector<std::string>{"x"}));
}

TEST(HandlerNameFrom, PrefersTheFirstArgumentOverTheHandlerVariable) {
    scoped_handler_variable env("from.env");
    char prog[] = "bootstrap", arg[] = "from.argv";
    char* argv[] = {prog, arg, nullptr};
    EXPECT_EQ(lambda_py27::handler_name_from(2, argv), "from.argv");
    EXPECT_EQ(lambda_py27::handler_name_from(1, argv), "from.env");
}

TEST(HandlerNameFrom, IsEmptyWithoutArgumentOrVariable) {
    scoped_handler_variable env(nullptr);
    char prog[] = "bootstrap", empty[] = "";
    char* argv[] = {prog, empty, nullptr};
    EXPECT_EQ(lambda_py27::handler_name_from(1, argv), "");
    EXPECT_EQ(lambda_py27::handler_name_from(2, argv), "");
    EXPECT_EQ(lambda_py27::handler_name_from(0, nullptr), "");
}

TEST(Run, ReturnsTheUsageStatusWithoutARuntimeApi) {
    const char* old = std::getenv("AWS_LAMBDA_RUNTIME_API");
    const std::string saved = old != nullptr ? old : "";
    ::unsetenv("AWS_LAMBDA_RUNTIME_API");
    handler_registry handlers;
    handlers.add("echo", echo);
    char prog[] = "bootstrap", arg[] = "echo";
    char* argv[] = {prog, arg, nullptr};
    EXPECT_EQ(lambda_py27::run(2, argv, handlers), lambda_py27::exit_status::usage);
    if (old != nullptr) ::setenv("AWS_LAMBDA_RUNTIME_API", saved.c_str(), 1);
}
