// Unit tests of function/orders.py in C++ (GoogleTest): the handler runs in this process, in the same
// dispatcher as the runtime's, so responses, error bodies and logs are exactly the runtime's.
#include <lambda_py27/testing/python_function.hpp>

#include <gtest/gtest.h>

using lambda_py27::testing::invoke_options;
using lambda_py27::testing::python_function;

namespace {
const char* const function_dir = ORDERS_FUNCTION_DIR;
}

TEST(Orders, TotalsTheItems) {
    python_function fn("orders.total", function_dir);
    ASSERT_EQ(fn.fault(), "");
    invoke_options o;
    o.request_id = "req-1";
    const auto r = fn.invoke(R"({"items": [{"price": 2.5, "quantity": 2}, {"price": 1.1}]})", o);
    ASSERT_TRUE(r.success) << r.body;
    EXPECT_EQ(r.body, R"({"currency": "EUR", "total": 6.1, "request_id": "req-1"})");
    EXPECT_NE(r.log.find("[INFO]"), std::string::npos) << r.log;
    EXPECT_NE(r.log.find("\treq-1\torder of 2 items: 6.1"), std::string::npos) << r.log;
}

TEST(Orders, RejectsAnOrderWithoutItems) {
    python_function fn("orders.total", function_dir);
    const auto r = fn.invoke("{}");
    ASSERT_FALSE(r.success);
    EXPECT_NE(r.body.find(R"("errorType": "InvalidOrder")"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find(R"("errorMessage": "an order needs items")"), std::string::npos) << r.body;
    EXPECT_NE(r.log.find("an order needs items: InvalidOrder"), std::string::npos) << r.log;
}
