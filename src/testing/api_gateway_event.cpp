// An HTTP request made into API Gateway's proxy event, payload format 1.0 or 2.0 (see api_gateway.hpp).
#include "api_gateway.hpp"

#include "runtime/json_text.hpp"
#include "testing/text.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <ctime>
#include <optional>

namespace lambda_py27::testing::detail {
namespace {

namespace json = boost::json;
using lambda_py27::detail::is_utf8;
using lambda_py27::detail::json_string;

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (c | 0x20) - 'a' + 10;
    return -1;
}

// %XX decoded (a malformed escape is kept as it is); `+` is a space in a query, not in a path.
std::string percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
            i += 2;
        } else {
            out.push_back(plus_is_space && s[i] == '+' ? ' ' : s[i]);
        }
    }
    return out;
}

std::string lowered(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// The text of a JSON string value: bytes that are not UTF-8 (a header in Latin-1) become U+FFFD, as the
// JSON the function receives must be text.
json::string text(std::string_view s) {
    if (is_utf8(s)) return json::string(s);
    const auto quoted = json_string(s);  // U+FFFD for each byte that is not UTF-8, as JSON
    return json::parse(quoted).as_string();
}

// Names in order of first appearance, each with its values in order (query parameters, headers).
using named_values = std::vector<std::pair<std::string, std::vector<std::string>>>;

named_values parse_query(std::string_view query) {
    named_values params;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto piece = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (piece.empty()) continue;
        const auto eq = piece.find('=');
        auto name = percent_decode(piece.substr(0, eq), true);
        auto value = eq == std::string_view::npos ? std::string() : percent_decode(piece.substr(eq + 1), true);
        auto it = params.begin();
        while (it != params.end() && it->first != name) ++it;
        if (it == params.end()) it = params.insert(params.end(), {std::move(name), {}});
        it->second.push_back(std::move(value));
    }
    return params;
}

// Headers by name in order of first appearance (1.0: names as first sent; 2.0: lower-cased), with their values.
named_values group_headers(const header_pairs& headers, bool lower) {
    named_values groups;
    for (const auto& [name, value] : headers) {
        auto it = groups.begin();
        while (it != groups.end() && !iequals(it->first, name)) ++it;
        if (it == groups.end()) it = groups.insert(groups.end(), {lower ? lowered(name) : name, {}});
        it->second.push_back(value);
    }
    return groups;
}

std::string_view header(const header_pairs& headers, std::string_view name) {
    for (const auto& [n, v] : headers)
        if (iequals(n, name)) return v;
    return {};
}

// Whether a body of this content type reaches the function as text (else base64, as binary media types).
bool is_text_type(std::string_view content_type) {
    auto type = lowered(trimmed(content_type.substr(0, content_type.find(';'))));
    if (type.empty() || type.rfind("text/", 0) == 0) return true;
    for (std::string_view suffix : {"/json", "+json", "/xml", "+xml", "/javascript", "/x-www-form-urlencoded"})
        if (type.size() >= suffix.size() && type.compare(type.size() - suffix.size(), suffix.size(), suffix) == 0)
            return true;
    return false;
}

// "12/Mar/2020:19:03:58 +0000", as API Gateway writes requestTime.
std::string request_time(std::chrono::system_clock::time_point t) {
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday, months[tm.tm_mon],
                  tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::int64_t epoch_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// What both formats say of the body: its text, or its base64 when it is not text.
struct body_text {
    std::optional<std::string> text;
    bool base64 = false;
};

body_text body_of(const api_request& r) {
    body_text b;
    if (r.body.empty()) return b;
    b.base64 = !is_utf8(r.body) || !is_text_type(header(r.headers, "Content-Type"));
    b.text = b.base64 ? base64_encode(r.body) : r.body;
    return b;
}

json::object v1_identity(const api_request& r) {
    json::object id;
    for (const char* absent :
         {"accessKey", "accountId", "apiKey", "apiKeyId", "caller", "cognitoAuthenticationProvider",
          "cognitoAuthenticationType", "cognitoIdentityId", "cognitoIdentityPoolId", "principalOrgId"})
        id[absent] = nullptr;
    id["sourceIp"] = r.source_ip;
    id["user"] = nullptr;
    id["userAgent"] = text(header(r.headers, "User-Agent"));
    id["userArn"] = nullptr;
    return id;
}

std::string v1_event(const api_request& r, const api_context& ctx, std::string_view path, std::string_view query) {
    constexpr std::string_view stage = "local";
    const bool root = path == "/" || path.empty();
    json::object ev;
    ev["resource"] = root ? "/" : "/{proxy+}";
    ev["path"] = text(path);
    ev["httpMethod"] = r.method;
    json::object headers, multi_headers;
    for (const auto& [name, values] : group_headers(r.headers, false)) {
        json::array all;
        for (const auto& v : values) all.emplace_back(text(v));
        headers[name] = text(values.back());
        multi_headers[name] = std::move(all);
    }
    ev["headers"] = std::move(headers);
    ev["multiValueHeaders"] = std::move(multi_headers);
    const auto params = parse_query(query);
    if (params.empty()) {
        ev["queryStringParameters"] = nullptr;
        ev["multiValueQueryStringParameters"] = nullptr;
    } else {
        json::object last, multi;
        for (const auto& [name, values] : params) {
            json::array all;
            for (const auto& v : values) all.emplace_back(text(v));
            last[text(name)] = text(values.back());
            multi[text(name)] = std::move(all);
        }
        ev["queryStringParameters"] = std::move(last);
        ev["multiValueQueryStringParameters"] = std::move(multi);
    }
    if (root)
        ev["pathParameters"] = nullptr;
    else
        ev["pathParameters"] = json::object{{"proxy", text(percent_decode(path.substr(1), false))}};
    ev["stageVariables"] = nullptr;
    json::object rc;
    rc["accountId"] = ctx.account_id;
    rc["apiId"] = "local";
    rc["domainName"] = text(header(r.headers, "Host"));
    rc["domainPrefix"] = "local";
    rc["extendedRequestId"] = ctx.request_id;
    rc["httpMethod"] = r.method;
    rc["identity"] = v1_identity(r);
    rc["path"] = text("/" + std::string(stage) + std::string(path));
    rc["protocol"] = r.protocol;
    rc["requestId"] = ctx.request_id;
    rc["requestTime"] = request_time(ctx.time);
    rc["requestTimeEpoch"] = epoch_ms(ctx.time);
    rc["resourceId"] = "local";
    rc["resourcePath"] = root ? "/" : "/{proxy+}";
    rc["stage"] = stage;
    ev["requestContext"] = std::move(rc);
    const auto body = body_of(r);
    if (body.text)
        ev["body"] = text(*body.text);
    else
        ev["body"] = nullptr;
    ev["isBase64Encoded"] = body.base64;
    return json::serialize(ev);
}

std::string v2_event(const api_request& r, const api_context& ctx, std::string_view path, std::string_view query) {
    json::object ev;
    ev["version"] = "2.0";
    ev["routeKey"] = "$default";
    ev["rawPath"] = text(path);
    ev["rawQueryString"] = text(query);
    json::array cookies;
    json::object headers;
    for (const auto& [name, values] : group_headers(r.headers, true)) {
        if (name == "cookie") {
            for (std::string_view v : values) {
                while (!v.empty()) {
                    const auto semi = v.find(';');
                    const auto c = trimmed(v.substr(0, semi));
                    if (!c.empty()) cookies.emplace_back(text(c));
                    v = semi == std::string_view::npos ? std::string_view() : v.substr(semi + 1);
                }
            }
            continue;
        }
        std::string joined;
        for (const auto& v : values) joined += (joined.empty() ? "" : ",") + v;
        headers[name] = text(joined);
    }
    if (!cookies.empty()) ev["cookies"] = std::move(cookies);
    ev["headers"] = std::move(headers);
    if (const auto params = parse_query(query); !params.empty()) {
        json::object joined;
        for (const auto& [name, values] : params) {
            std::string all;
            for (const auto& v : values) all += (all.empty() ? "" : ",") + v;
            joined[text(name)] = text(all);
        }
        ev["queryStringParameters"] = std::move(joined);
    }
    json::object rc;
    rc["accountId"] = ctx.account_id;
    rc["apiId"] = "local";
    rc["domainName"] = text(header(r.headers, "Host"));
    rc["domainPrefix"] = "local";
    rc["http"] = json::object{{"method", r.method},
                              {"path", text(path)},
                              {"protocol", r.protocol},
                              {"sourceIp", r.source_ip},
                              {"userAgent", text(header(r.headers, "User-Agent"))}};
    rc["requestId"] = ctx.request_id;
    rc["routeKey"] = "$default";
    rc["stage"] = "$default";
    rc["time"] = request_time(ctx.time);
    rc["timeEpoch"] = epoch_ms(ctx.time);
    ev["requestContext"] = std::move(rc);
    const auto body = body_of(r);
    if (body.text) ev["body"] = text(*body.text);
    ev["isBase64Encoded"] = body.base64;
    return json::serialize(ev);
}

}  // namespace

std::string proxy_event(api_gateway_payload format, const api_request& r, const api_context& ctx) {
    const std::string_view target = r.target;
    const auto q = target.find('?');
    const auto path = target.substr(0, q);
    const auto query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    return format == api_gateway_payload::v1 ? v1_event(r, ctx, path, query) : v2_event(r, ctx, path, query);
}

}  // namespace lambda_py27::testing::detail
