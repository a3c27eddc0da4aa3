// lambda-py27-invoke, the one-command local test, as a user runs it: the context file is read strictly (a
// misspelt key would otherwise test less without a word).
#include "support/run_command.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <unistd.h>

namespace {

using lambda_py27::test_support::run_command;

const std::string bin_dir = LAMBDA_PY27_BIN_DIR;
const std::string handlers = std::string(LAMBDA_PY27_TEST_DATA_DIR) + "/handlers";

struct result {
    int status;
    std::string output;
};

result invoke_with_context(const std::string& context_json) {
    const std::string file = "/tmp/lambda-py27-invoke-cli." + std::to_string(::getpid()) + ".json";
    std::ofstream(file) << context_json;
    result r{};
    r.status = run_command({bin_dir + "/lambda-py27-invoke", "--handler", "basic.context_attributes", "--task-root",
                            handlers, "--context", file},
                           {}, &r.output);
    std::remove(file.c_str());
    return r;
}

TEST(InvokeCli, ContextKeysReachTheHandler) {
    const auto r = invoke_with_context(
        R"({"request_id": "req-7", "timeout_ms": 5000, "identity": {"cognitoIdentityId": "id-1"}})");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find(R"("aws_request_id": ["req-7", "str"])"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(R"("identity": ["id-1", null])"), std::string::npos) << r.output;
}

TEST(InvokeCli, AnUnknownContextKeyIsRefused) {
    const auto r = invoke_with_context(R"({"requestId": "req-7"})");
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("unknown key 'requestId' (known: request_id,"), std::string::npos) << r.output;
}

TEST(InvokeCli, SnakeCaseIdentityKeysAreRefusedWithLambdasSpelling) {
    const auto r = invoke_with_context(R"({"identity": {"cognito_identity_id": "id-1"}})");
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("unknown identity key 'cognito_identity_id' (known: cognitoIdentityId"), std::string::npos)
        << r.output;
}

TEST(InvokeCli, AValueOfTheWrongTypeIsRefused) {
    const auto r = invoke_with_context(R"({"timeout_ms": "3000"})");
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("'timeout_ms' must be a positive whole number"), std::string::npos) << r.output;
}

}  // namespace
