// The function's answer made into API Gateway's HTTP answer, payload format 1.0 or 2.0 (see api_gateway.hpp).
#include "api_gateway.hpp"

#include "testing/text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <optional>

namespace lambda_py27::testing::detail {
namespace {

namespace json = boost::json;

// Why a result is not a proxy response; thrown inside this file only, caught by proxy_answer.
struct malformed {
    std::string why;
};

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (const unsigned char c : s) {
        const bool ok = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
                        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
        if (!ok) return false;
    }
    return true;
}

bool is_field_value(std::string_view s) {
    for (const unsigned char c : s)
        if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
    return true;
}

// A header value as the result gives it: a string, a number or a boolean.
std::string scalar_text(const json::value& v, std::string_view where) {
    if (v.is_string()) return std::string(v.get_string());
    if (v.is_int64() || v.is_uint64() || v.is_double() || v.is_bool()) return json::serialize(v);
    throw malformed{std::string(where) + " must be a string, a number or a boolean, not " + json::serialize(v)};
}

void add_header(api_answer& a, std::string_view name, std::string value) {
    if (!is_token(name)) throw malformed{"header name '" + std::string(name) + "' is not an HTTP token"};
    if (!is_field_value(value)) throw malformed{"header '" + std::string(name) + "' has a control character"};
    // The front end frames the body itself.
    if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") || iequals(name, "Connection")) return;
    for (const auto& [n, v] : a.headers)
        if (iequals(n, name) && v == value) return;  // a pair given in both headers and multiValueHeaders
    a.headers.emplace_back(std::string(name), std::move(value));
}

unsigned status_code(const json::value& v) {
    std::int64_t code = -1;
    if (v.is_int64()) {
        code = v.get_int64();
    } else if (v.is_uint64()) {
        code = v.get_uint64() > 1000 ? 1000 : static_cast<std::int64_t>(v.get_uint64());
    } else if (v.is_string()) {
        const auto s = v.get_string();
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), code);
        if (ec != std::errc{} || end != s.data() + s.size()) code = -1;
    }
    if (code < 100 || code > 599) throw malformed{"statusCode must be an HTTP status, not " + json::serialize(v)};
    return static_cast<unsigned>(code);
}

const json::object& object_member(const json::object& o, std::string_view key) {
    static const json::object none;
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return none;
    if (!v->is_object()) throw malformed{std::string(key) + " must be an object, not " + json::serialize(*v)};
    return v->get_object();
}

const json::array& array_member(const json::object& o, std::string_view key) {
    static const json::array none;
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return none;
    if (!v->is_array()) throw malformed{std::string(key) + " must be an array, not " + json::serialize(*v)};
    return v->get_array();
}

// A result with statusCode (or a prelude, whose status may be left out): the answer it describes.
api_answer described_answer(api_gateway_payload format, const json::object& o,
                            std::string_view default_type = "application/json") {
    api_answer a;
    const auto* status = o.if_contains("statusCode");
    if (status != nullptr) a.status = status_code(*status);
    if (format == api_gateway_payload::v1) {
        for (const auto& [name, values] : object_member(o, "multiValueHeaders")) {
            if (!values.is_array()) throw malformed{"multiValueHeaders." + std::string(name) + " must be an array"};
            for (const auto& v : values.get_array()) add_header(a, name, scalar_text(v, "a multiValueHeaders value"));
        }
    }
    for (const auto& [name, v] : object_member(o, "headers")) add_header(a, name, scalar_text(v, "a headers value"));
    if (format == api_gateway_payload::v2) {
        for (const auto& c : array_member(o, "cookies")) {
            if (!c.is_string()) throw malformed{"cookies must be strings, not " + json::serialize(c)};
            add_header(a, "Set-Cookie", std::string(c.get_string()));
        }
    }
    bool has_type = false;
    for (const auto& [n, v] : a.headers) has_type = has_type || iequals(n, "Content-Type");
    if (!has_type) a.headers.emplace_back("Content-Type", std::string(default_type));
    bool base64 = false;
    if (const auto* b = o.if_contains("isBase64Encoded"); b != nullptr && !b->is_null()) {
        if (!b->is_bool()) throw malformed{"isBase64Encoded must be a boolean, not " + json::serialize(*b)};
        base64 = b->get_bool();
    }
    if (const auto* body = o.if_contains("body"); body != nullptr && !body->is_null()) {
        if (!body->is_string()) throw malformed{"body must be a string, not " + json::serialize(*body)};
        const std::string_view text = body->get_string();
        if (!base64)
            a.body = std::string(text);
        else if (!base64_decode(text, a.body))
            throw malformed{"isBase64Encoded is true but body is not base64"};
    }
    return a;
}

}  // namespace

api_answer internal_server_error(std::string_view why) {
    api_answer a;
    a.status = 502;
    a.headers.emplace_back("Content-Type", "application/json");
    a.body = R"({"message": "Internal server error"})";
    a.log = std::string(why);
    return a;
}

constexpr std::string_view malformed_prefix =
    "Execution failed due to configuration error: Malformed Lambda proxy response: ";

api_answer proxy_answer(api_gateway_payload format, std::string_view result) {
    constexpr std::string_view prefix = malformed_prefix;
    json::error_code ec;
    const auto v = json::parse(result, ec);
    if (ec) return internal_server_error(std::string(prefix) + "the result is not JSON (" + ec.message() + ")");
    const bool described = v.is_object() && v.get_object().contains("statusCode");
    if (!described) {
        if (format == api_gateway_payload::v1)
            return internal_server_error(std::string(prefix) +
                                         (v.is_object() ? "no statusCode in " : "not an object: ") +
                                         std::string(result.substr(0, 200)));
        api_answer a;  // 2.0: any other JSON is the body
        a.headers.emplace_back("Content-Type", "application/json");
        a.body = std::string(result);
        return a;
    }
    try {
        return described_answer(format, v.get_object());
    } catch (const malformed& m) {
        return internal_server_error(std::string(prefix) + m.why);
    }
}

api_answer stream_prelude_answer(std::string_view prelude) {
    json::error_code ec;
    const auto v = json::parse(prelude, ec);
    if (ec || !v.is_object())
        return internal_server_error(std::string(malformed_prefix) + "the stream's prelude is not a JSON object: " +
                                     std::string(prelude.substr(0, 200)));
    try {
        auto a = described_answer(api_gateway_payload::v2, v.get_object(), "application/octet-stream");
        a.body.clear();  // the stream is the body
        return a;
    } catch (const malformed& m) {
        return internal_server_error(std::string(malformed_prefix) + m.why);
    }
}

api_answer function_error_answer(std::string_view error_body) {
    std::string what(error_body.substr(0, 300));
    json::error_code ec;
    const auto v = json::parse(error_body, ec);
    if (!ec && v.is_object()) {
        const auto& o = v.get_object();
        const auto field = [&](std::string_view k) {
            const auto* f = o.if_contains(k);
            return f != nullptr && f->is_string() ? std::string(f->get_string()) : std::string();
        };
        what = field("errorType") + ": " + field("errorMessage");
    }
    for (auto& c : what)
        if (c == '\n' || c == '\r') c = ' ';
    return internal_server_error("Lambda execution failed due to a function error: " + what);
}

}  // namespace lambda_py27::testing::detail
