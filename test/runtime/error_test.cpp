#include <lambda_py27/runtime/error.hpp>

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <system_error>
#include <type_traits>

namespace {

using lambda_py27::errc;

constexpr errc all_errors[] = {
    errc::api_unavailable,   errc::container_error, errc::invalid_request_id, errc::invalid_state_transition,
    errc::payload_too_large, errc::bad_request_id,  errc::protocol_error};

TEST(Error, IsAnErrorCodeEnumSoItConvertsImplicitly) {
    static_assert(std::is_error_code_enum<errc>::value);
    const std::error_code ec = errc::container_error;
    EXPECT_TRUE(ec);
    EXPECT_EQ(ec, errc::container_error);
    EXPECT_NE(ec, errc::api_unavailable);
}

TEST(Error, CategoryIsNamedAfterTheRuntimeLayer) {
    EXPECT_STREQ(lambda_py27::runtime_category().name(), "lambda_py27.runtime");
    EXPECT_EQ(&lambda_py27::runtime_category(), &lambda_py27::runtime_category());
}

TEST(Error, MakeErrorCodeUsesTheRuntimeCategoryAndTheEnumValue) {
    for (errc e : all_errors) {
        const auto ec = lambda_py27::make_error_code(e);
        EXPECT_EQ(&ec.category(), &lambda_py27::runtime_category());
        EXPECT_EQ(ec.value(), static_cast<int>(e));
    }
}

TEST(Error, NoValueIsZeroBecauseZeroMeansSuccess) {
    for (errc e : all_errors) EXPECT_NE(static_cast<int>(e), 0);
}

TEST(Error, EveryValueHasItsOwnNonEmptyMessage) {
    std::set<std::string> messages;
    for (errc e : all_errors) {
        const auto msg = lambda_py27::make_error_code(e).message();
        EXPECT_FALSE(msg.empty());
        EXPECT_EQ(msg.find("unknown"), std::string::npos) << msg;
        messages.insert(msg);
    }
    EXPECT_EQ(messages.size(), std::size(all_errors));
}

TEST(Error, MessagesNameTheHttpStatusTheyStandFor) {
    EXPECT_NE(std::error_code(errc::container_error).message().find("500"), std::string::npos);
    EXPECT_NE(std::error_code(errc::invalid_request_id).message().find("400"), std::string::npos);
    EXPECT_NE(std::error_code(errc::invalid_state_transition).message().find("403"), std::string::npos);
    EXPECT_NE(std::error_code(errc::payload_too_large).message().find("413"), std::string::npos);
}

TEST(Error, AnUnknownValueStillHasAMessage) {
    const std::error_code ec(999, lambda_py27::runtime_category());
    EXPECT_EQ(ec.message(), "unknown lambda_py27.runtime error");
}

TEST(Error, DoesNotCompareEqualToAGenericErrorWithTheSameValue) {
    const std::error_code ours = errc::api_unavailable;
    const std::error_code generic(static_cast<int>(errc::api_unavailable), std::generic_category());
    EXPECT_NE(ours, generic);
}

TEST(Error, SystemErrorCarriesTheCodeAndItsMessage) {
    try {
        throw std::system_error(errc::payload_too_large, "runtime/invocation/response");
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), errc::payload_too_large);
        const std::string what = e.what();
        EXPECT_NE(what.find("runtime/invocation/response"), std::string::npos);
        EXPECT_NE(what.find("413"), std::string::npos);
    }
}

}  // namespace
