// API Gateway's Lambda proxy integration, for the emulator's --api-gateway front end: an HTTP request made
// into a proxy event (api_gateway_event.cpp) and the function's answer made into the HTTP answer
// (api_gateway_result.cpp). Pure functions of their arguments, so a test reaches every rule without a
// socket. Internal.
#pragma once

#include <lambda_py27/testing/emulator.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lambda_py27::testing::detail {

using header_pairs = std::vector<std::pair<std::string, std::string>>;

/// One HTTP request as the front end read it.
struct api_request {
    std::string method;    ///< as sent, e.g. `POST`
    std::string target;    ///< path and query as sent, e.g. `/orders/7?dry=1`
    std::string protocol;  ///< `HTTP/1.1`
    std::string source_ip;
    header_pairs headers;  ///< in order, names as sent
    std::string body;      ///< empty: none
};

/// What the event says of its API and request, beyond the request itself.
struct api_context {
    std::string request_id;  ///< the API's own request id (not the invocation's)
    std::string account_id = "012345678912";
    std::chrono::system_clock::time_point time;
};

/// The proxy event of `r` in payload format `format` (v1 or v2), as JSON text:
/// - 1.0 (a REST API's `ANY /{proxy+}` and `ANY /` routes, stage `local`): `resource`, `path`, `httpMethod`,
///   `headers` (a repeated header's last value), `multiValueHeaders`, `queryStringParameters` (last value),
///   `multiValueQueryStringParameters` (both null without a query), `pathParameters` (`{"proxy": "orders/7"}`,
///   decoded; null for `/`), `stageVariables` null, `requestContext`, `body` (null when empty),
///   `isBase64Encoded`;
/// - 2.0 (an HTTP API's `$default` route or a Function URL): `version`, `routeKey` `$default`, `rawPath`,
///   `rawQueryString`, `cookies` (split from the `Cookie` headers, which leave `headers`; absent without one),
///   `headers` (names lower-cased, repeated values comma-joined), `queryStringParameters` (comma-joined;
///   absent without a query), `requestContext` (with `http`: method, path, protocol, sourceIp, userAgent;
///   stage `$default`), `body` (absent when empty), `isBase64Encoded`.
/// Query names and values are percent-decoded (`+` as a space). A body that is not UTF-8, or whose content type
/// is not text (text/*, JSON, XML, JavaScript, form data), is base64-encoded and `isBase64Encoded` is true.
std::string proxy_event(api_gateway_payload format, const api_request& r, const api_context& ctx);

/// The HTTP answer API Gateway gives for one invocation.
struct api_answer {
    unsigned status = 200;
    header_pairs headers;  ///< in order; `Set-Cookie` may repeat; a `Content-Type` among them
    std::string body;
    std::string log;  ///< why the answer is a 502, as a line for the function's log; empty otherwise
};

/// 502 `{"message": "Internal server error"}`, with `why` (no line break) as its log line.
api_answer internal_server_error(std::string_view why);

/// The answer for the function's result `result` (the JSON text the runtime posted):
/// - 1.0: an object with `statusCode` (a number, or a string of digits, 100 to 599), optional `headers`
///   (values: strings, numbers, booleans), `multiValueHeaders` (arrays of such; merged with `headers`, a pair
///   given in both appearing once), `body` (a string or null) and `isBase64Encoded` (the body is then
///   base64, decoded); other keys are ignored;
/// - 2.0: the same with `cookies` (strings, one `Set-Cookie` each) in place of `multiValueHeaders`; any other
///   JSON (an object without `statusCode`, a string, a number, a list) is a 200 `application/json` answer
///   whose body is `result` itself.
/// `Content-Type` is `application/json` when the result names none; `Content-Length`, `Transfer-Encoding` and
/// `Connection` it names are left to the front end. Anything else, or a header name or value that HTTP
/// cannot carry, is a malformed proxy response: `internal_server_error` with the reason.
api_answer proxy_answer(api_gateway_payload format, std::string_view result);

/// The head of a streamed response's answer from its `application/vnd.awslambda.http-integration-response`
/// prelude (the JSON before the 8 NUL bytes): as a 2.0 result with `statusCode` (200 when left out), `headers`
/// and `cookies`, no `body`; `Content-Type` `application/octet-stream` when it names none. Anything else is
/// `internal_server_error` with the reason.
api_answer stream_prelude_answer(std::string_view prelude);

/// The answer for a function error (its error document `error_body`): 502, logged with its type and message.
api_answer function_error_answer(std::string_view error_body);

}  // namespace lambda_py27::testing::detail
