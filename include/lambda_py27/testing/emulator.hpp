// A local Lambda: the Runtime API served to a runtime process, and the invoke endpoint for callers.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lambda_py27::testing {

/// The emulator's front end on its invoke port: AWS RIE's invoke endpoint, or an API Gateway in front of the
/// function (`lambda-py27-emulator --api-gateway 1.0|2.0`).
enum class api_gateway_payload {
    none,  ///< the invoke endpoint (`POST /2015-03-31/functions/function/invocations`), as AWS RIE
    v1,    ///< a REST API with one `ANY /{proxy+}` route (and `/`): proxy events of payload format 1.0
    v2,    ///< an HTTP API's `$default` route, or a Function URL: payload format 2.0
};

/// How a Function URL invokes its function (`lambda-py27-emulator --function-url-invoke-mode`), with
/// `api_gateway` v2 only.
enum class function_url_invoke_mode {
    buffered,         ///< BUFFERED, Lambda's default: the Invoke API; a streamed response is a 502
    response_stream,  ///< RESPONSE_STREAM: InvokeWithResponseStream; a streamed response reaches the client
};

/// Configuration of an `emulator`. Defaults are those of AWS's Runtime Interface Emulator.
struct emulator_options {
    /// The runtime's argv. Empty: no process is started and an external runtime (a test's
    /// `runtime_client`) is expected to connect to `runtime_api_endpoint()`.
    std::vector<std::string> runtime_command;
    std::string invoke_address = "127.0.0.1";       ///< where the invoke endpoint listens
    std::uint16_t invoke_port = 8080;               ///< 0 picks an ephemeral port
    std::string runtime_api_address = "127.0.0.1";  ///< where the Runtime API listens
    std::uint16_t runtime_api_port = 0;             ///< its port; 0 picks an ephemeral one
    std::string task_root;  ///< LAMBDA_TASK_ROOT and the runtime's working directory (default: current dir)
    std::string handler;    ///< _HANDLER
    std::string function_name = "test_function";
    std::string function_version = "$LATEST";
    unsigned memory_mb = 3008;
    std::chrono::milliseconds timeout{300000};  ///< AWS_LAMBDA_FUNCTION_TIMEOUT
    std::string region = "us-east-1";
    std::string log_group = "/aws/lambda/Functions";
    std::string log_stream = "$LATEST";
    std::map<std::string, std::string> environment;  ///< extra variables for the runtime
    std::size_t max_event_bytes = 6 * 1024 * 1024;   ///< larger invoke bodies get 413
    /// Invocations in flight at once, as on Lambda Managed Instances: up to this many invokes are accepted
    /// (one more gets 429 `TooManyRequestsException`) and as many `/next` calls may wait at once; the
    /// runtime gets `AWS_LAMBDA_MAX_CONCURRENCY`. 1 (the default): one invoke at a time, a concurrent
    /// one gets 400, no variable set.
    unsigned max_concurrency = 1;
    /// Time a runtime that registered an extension gets between SIGTERM and SIGKILL when the emulator
    /// stops (Lambda: 500 ms with an internal extension). A runtime with no extension is SIGKILLed at once.
    std::chrono::milliseconds shutdown_budget{500};
    /// Where START/END/REPORT lines go; nullptr = stdout.
    std::ostream* report = nullptr;
    /// When set, each runtime process gets a telemetry log descriptor (a pipe named by
    /// `_LAMBDA_TELEMETRY_LOG_FD`), as Lambda gives its managed runtimes, and every frame written there is
    /// shown on this stream as one line (final newline dropped, other line breaks as `\n`), as each frame
    /// is one CloudWatch event on Lambda. nullptr: no descriptor, the runtime logs to its stdout.
    std::ostream* telemetry_log = nullptr;
    /// Not `none`: the invoke port serves plain HTTP as API Gateway's Lambda proxy integration does, every
    /// request (any method and path) an invocation with a proxy event of that payload format, the result
    /// mapped back to the HTTP answer (see `emulator`). The invoke endpoint is then not served.
    api_gateway_payload api_gateway = api_gateway_payload::none;
    /// With `api_gateway` v2: the Function URL's invoke mode (see `emulator`). `response_stream` with another
    /// front end makes `start()` throw `std::invalid_argument`.
    function_url_invoke_mode invoke_mode = function_url_invoke_mode::buffered;
};

/// Result of `invoke()`: what a caller of the invoke endpoint sees.
struct invoke_result {
    int status = 0;              ///< HTTP status of the invoke endpoint
    std::string body;            ///< the response or error body
    std::string function_error;  ///< `X-Amz-Function-Error`: `Unhandled` for a function error, else empty
    std::map<std::string, std::string> headers;
};

/// The emulator. `start()` binds both listeners and serves on background threads until `stop()`
/// or destruction. The runtime process is started at the first invoke (so its init is measured, as
/// Lambda does), and started again after it exits or is killed for a timeout.
///
/// What a caller of the invoke endpoint (`POST /2015-03-31/functions/function/invocations`) gets:
/// - 200 with the runtime's body; every answer to an accepted invoke has `X-Amzn-RequestId`;
/// - 200 with the error body and `X-Amz-Function-Error: Unhandled` (as Lambda sends it; the error type is the
///   body's `errorType`) for a function error, an init error, a timeout (`Sandbox.Timedout`, the runtime is
///   SIGKILLed) and a response over 6 MiB + 100 bytes (`Function.ResponseSizeTooLarge`);
/// - 502 `Runtime.ExitError` when the runtime exits or dies by a signal, 502 `Runtime.InvalidEntrypoint`
///   when it cannot be started;
/// - when the emulator stops while the invocation is in flight: its result if the runtime answers within
///   `shutdown_budget`, else 502 `Sandbox.Shutdown` (`RequestId: <id> Error: the emulator stopped before the
///   runtime answered`); invokes arriving meanwhile get 503 `ServiceException`. A streamed response in
///   flight is cut off;
/// - requests that cannot be read, on either port: 400 `BadRequest` for malformed HTTP (a truncated body, a
///   bad chunk size or `Content-Length`, both `Content-Length` and `Transfer-Encoding`, bytes that are no
///   HTTP such as a TLS ClientHello, a chunk's extensions over 4 KiB, trailers over 2 MiB), 431
///   `RequestHeaderFieldsTooLarge` for a header field over 1 MiB + 64 KiB or a header section over 2 MiB,
///   413 for a body over its limit; then the connection is closed;
/// - 400 `ResourceConflictException` while another invoke is in progress (with `max_concurrency` > 1:
///   429 `TooManyRequestsException` when that many are), 413 for an event over
///   `max_event_bytes`, 400 for an `X-Amz-Client-Context` that is not base64;
/// - `X-Amz-Invocation-Type`: `RequestResponse` (or none) as above; `DryRun`: 204, empty, nothing run;
///   `Event`: 202 at once, empty, with `X-Amzn-RequestId`, and the invocation is queued (never refused as
///   busy): queued events run in order, each when the function has room for it (behind the invocations in
///   flight), with START/END/REPORT as usual; their results are dropped, and the queue with them at `stop()`;
///   another value: 400 `InvalidParameterValueException`;
/// - `X-Amz-Log-Type: Tail` on a synchronous, buffered invoke: `X-Amz-Log-Result`, base64 of the last 4 KB of
///   the invocation's log as Lambda gives it: its START line, what the runtime wrote to stdout and stderr
///   while it ran (read up to the runtime's answer, so nothing written before that is missed), the timeout or
///   exit line if any, END and REPORT. The runtime's output is not told apart by invocation: with
///   `max_concurrency` > 1 the tail holds everything the runtime wrote meanwhile, for any invocation. An
///   external runtime's output is not seen: its tail has the platform's lines only. Not given for streamed
///   responses nor Event invokes (nor by Lambda);
/// - the invoke's `X-Amz-Tenant-Id` (Lambda's tenant isolation mode) reaches the runtime as
///   `Lambda-Runtime-Aws-Tenant-Id`;
/// - for a streamed response (`Lambda-Runtime-Function-Response-Mode: streaming`), a chunked 200 written
///   as the runtime uploads it, ending with the trailers `X-Amz-Function-Error: Unhandled` and
///   `X-Amz-Function-Error-Body` (base64 of the error JSON, which names the type; made from the runtime's
///   error type when it sent no body) when the stream ends in an error.
///
/// With `api_gateway` set, every request on the invoke port is one invocation, its event a proxy event
/// (payload 1.0: `resource` `/{proxy+}` with `pathParameters.proxy`, or `/` for the root, stage `local`;
/// 2.0: route `$default`, cookies out of the headers, header names lower-cased, repeated ones comma-joined),
/// a body that is not UTF-8 text (or of a binary content type) base64-encoded with `isBase64Encoded`. A request
/// waits while the function is busy. The caller gets the function's `statusCode`, `headers`,
/// `multiValueHeaders` (1.0), `cookies` (2.0, one `Set-Cookie` each) and `body` (decoded when
/// `isBase64Encoded`); with 2.0 a result without `statusCode` is a 200 `application/json` answer whose body is
/// the result's JSON. A result that is no proxy result, a function error, a timeout or a runtime exit is 502
/// `{"message": "Internal server error"}`, and the reason is logged before END; a streamed response too
/// (not mapped) unless `invoke_mode` is `response_stream`; an event over `max_event_bytes` is 413
/// `{"message": "Request Entity Too Large"}`. With `response_stream`, a streamed response is relayed to the
/// client as it arrives (chunked): its `application/vnd.awslambda.http-integration-response` prelude gives
/// the status, headers and cookies (`Content-Type` `application/octet-stream` when it names none), without
/// one it is a 200 of the stream's content type; an error before the first byte of the answer is a 502, one
/// after it (or the runtime's exit, a timeout) ends the answer without its last chunk, the connection
/// closed; either is logged before END.
///
/// The Extensions API is served beside the Runtime API, as much as an internal extension uses:
/// `POST /2020-01-01/extension/register` (during init; 200 with `Lambda-Extension-Identifier`) and
/// `GET /2020-01-01/extension/event/next`, which delivers no event (none is subscribable internally).
/// `stop()` first lets invocations in flight end (up to `shutdown_budget`), then sends a runtime that
/// registered an extension SIGTERM, waits up to `shutdown_budget` for it to exit, then SIGKILLs it; a runtime
/// killed for a timeout is SIGKILLed at once.
///
/// The function timeout runs from the invoke (for an Event invoke: from when it leaves the queue), as on
/// Lambda and in AWS's emulator: the init of a runtime started for it counts against it, so a hung init ends
/// in `Sandbox.Timedout` after the function timeout, and `Lambda-Runtime-Deadline-Ms` is what is left of it.
/// Runtime processes get stdin from /dev/null; their stdout and stderr pass through the emulator (a pipe
/// each, read by one thread) to the emulator's own stdout and stderr, unchanged.
/// All member functions may be called from any thread; `stop()` is idempotent and joins every thread.
class emulator {
public:
    explicit emulator(emulator_options options);
    ~emulator();
    emulator(const emulator&) = delete;
    emulator& operator=(const emulator&) = delete;

    /// Binds the invoke endpoint and the Runtime API (an ephemeral port on `runtime_api_address`) and
    /// starts serving. Throws `std::system_error` when a listener cannot be bound, `std::logic_error`
    /// when called twice, `std::invalid_argument` for `invoke_mode` `response_stream` without `api_gateway` v2.
    void start();
    /// Ends the runtime process (SIGTERM and the shutdown budget first if it registered an extension, then
    /// SIGKILL), closes every connection (callers and runtimes waiting get their
    /// connection closed) and joins every thread. Idempotent; also done by the destructor.
    void stop();

    /// The bound port of the invoke endpoint (after `start()`; useful with `invoke_port = 0`).
    std::uint16_t invoke_port() const;
    /// `host:port` of the Runtime API, as given to the runtime in AWS_LAMBDA_RUNTIME_API.
    std::string runtime_api_endpoint() const;

    /// Blocks until `stop()` is called (from a signal handler's thread, say).
    void wait();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// A minimal HTTP/1.1 client for the invoke endpoint (tests and tools): POSTs `event` to
/// `/2015-03-31/functions/function/invocations` on `host:port` and returns what came back.
/// A chunked answer is read to its end; its trailers appear in `headers` (and `function_error`).
/// Header names in `headers` are spelt as the server sent them. Throws `std::system_error` when the
/// endpoint cannot be reached or the whole exchange takes longer than `timeout`.
invoke_result invoke(const std::string& host, std::uint16_t port, const std::string& event,
                     const std::map<std::string, std::string>& headers = {},
                     std::chrono::milliseconds timeout = std::chrono::milliseconds{600000});

}  // namespace lambda_py27::testing
