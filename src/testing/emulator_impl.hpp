// The emulator's state and the parts of its work, each defined in its own file:
//   emulator.cpp         start, stop, the accept loops and the connection threads
//   runtime_api.cpp      the Runtime API routes (/2018-06-01/runtime/...)
//   extensions_api.cpp   the Extensions API routes (/2020-01-01/extension/...)
//   invoke_endpoint.cpp  the invoke endpoint: admitting an invoke, waiting for its outcome, answering
//   event_queue.cpp      Event (asynchronous) invokes: queued, then run one by one on the event thread
//   api_gateway_endpoint.cpp  the --api-gateway front end: HTTP requests as proxy events, results as answers
//   stream_relay.cpp     a streamed response, from the runtime's upload to the caller's chunks
//   api_gateway_stream.cpp    a streamed response relayed by the front end (a Function URL's RESPONSE_STREAM)
// with helpers of their own: emulator_http (requests and answers), runtime_process (the child),
// runtime_output (the child's stdout and stderr, passed through, and log tails), invocation_table
// (invocations in flight, request ids), invocation_log (START/END/REPORT).
//
// Two synchronous Beast servers (thread per connection), one mutex and one condition variable for all
// shared state, one thread per runtime process that reaps it, one event thread that runs queued Event
// invokes as if it were their caller, and (child mode) one thread reading the runtime's output, whose own
// mutex is never held while taking `m` (so `m` may be held while taking it: only begin_capture is).
//
// Who may do what, so that stop() can always finish:
//  - accept threads add connections; they and stop() are the only ones to touch the connection list;
//  - a connection thread never closes its socket (it only shuts it down): the descriptor stays valid
//    until the thread is joined, so stop() can shut down every registered socket without racing a
//    reused descriptor number;
//  - stop() first drains (invocations in flight may end within shutdown_budget, new invokes are refused),
//    then shuts down every socket but those of callers still waiting (`answering`): their threads answer
//    them (Sandbox.Shutdown) and clear the flag; after caller_answer_grace their sockets are shut too;
//  - every wait on the condition variable also wakes for `stopping` (the event thread's too: stop() sets
//    it, then joins the event thread);
//  - only the invoke in progress (or stop()) kills the runtime, and only while it is not reaped, under
//    the mutex, and the reaper reaps under the mutex: a kill never reaches a recycled pid.
// Internal.
#pragma once

#include <lambda_py27/testing/emulator.hpp>

#include "emulator_http.hpp"
#include "invocation_log.hpp"
#include "invocation_table.hpp"
#include "runtime_output.hpp"
#include "runtime_process.hpp"
#include "telemetry_relay.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace lambda_py27::testing {

namespace detail {

struct api_answer;  // api_gateway.hpp

// Writes a buffered answer of the --api-gateway front end (api_gateway_endpoint.cpp); `head`: the answer to a
// HEAD request, which has the length of its body but not the body. False when the caller is gone.
bool write_api_answer(tcp::socket& socket, api_answer a, bool keep_alive, bool head = false);

// How long stop() lets callers in flight be answered (Sandbox.Shutdown) before it cuts them off: only a
// caller that does not read its answer takes this long.
constexpr std::chrono::milliseconds caller_answer_grace{2000};

// A /next waiter checks this often whether its runtime hung up (killed runtimes never say goodbye).
constexpr std::chrono::milliseconds peer_check_interval{100};

constexpr std::string_view error_type_trailer = "Lambda-Runtime-Function-Error-Type";

struct connection {
    explicit connection(net::io_context& ioc) : socket(ioc) {}
    tcp::socket socket;
    int fd = -1;
    std::thread thread;
    bool done = false;        // guarded by impl::m; set as the thread's last act
    bool answering = false;   // guarded by impl::m; an invoke caller waiting for its outcome, or a runtime
                              // whose answer was taken and not yet acknowledged: stop() lets the thread
                              // write before shutting the socket down
    unsigned generation = 0;  // runtime generation current when accepted (Runtime API, child mode)
};

// What the caller of one invoke gets (buffered form).
struct outcome {
    unsigned status = 200;
    std::string body;
    std::string content_type = "application/json";
    std::string function_error;
    std::string log_line;  // printed before END (timeouts and exits, as Lambda logs them)
    bool timed_out = false;
};

// The error trailers of a streamed response (empty: none); the body is base64 of the error JSON.
struct stream_trailers {
    std::string type;
    std::string body;
};

// How a streamed response ends for its caller.
struct stream_end {
    stream_trailers trailers;
    std::string log_line;  // printed before END (timeouts and exits)
    bool timed_out = false;
};

}  // namespace detail

struct emulator::impl {
    using steady = std::chrono::steady_clock;
    using connection = detail::connection;
    using invocation_state = detail::invocation_state;
    using request_parser = detail::request_parser;
    using flat_buffer = detail::beast::flat_buffer;
    using tcp = detail::tcp;

    emulator_options opts;
    bool external;
    std::string task_root;

    detail::net::io_context ioc{1};
    tcp::acceptor invoke_acceptor{ioc};
    tcp::acceptor api_acceptor{ioc};
    std::uint16_t bound_invoke_port = 0;
    std::string api_endpoint;
    std::thread invoke_accept_thread;
    std::thread api_accept_thread;

    std::mutex stop_mutex;  // serialises stop() (a signal thread and the destructor may both call it)
    std::mutex m;
    std::condition_variable cv;
    bool started = false;
    bool draining = false;  // stop() began: invokes are refused, those in flight may still end
    bool stopping = false;
    bool stopped = false;
    std::list<std::unique_ptr<connection>> connections;
    detail::runtime_process child{m, cv};
    detail::runtime_output output;          // child mode; stopped after the runtime and every thread using it
    detail::invocation_table invocations;   // at most max_concurrency() in flight
    std::optional<std::string> init_error;  // body posted to /runtime/init/error, for the next invoke
    std::deque<std::shared_ptr<invocation_state>> queued_events;  // Event invokes answered 202, not yet run
    std::thread event_thread;
    detail::log_sink log_lines{opts.report};
    // Each frame after what the runtime wrote to stdout and stderr before it (their reader may lag).
    detail::telemetry_relay telemetry{opts.telemetry_log, [this] { output.drain(); }};

    explicit impl(emulator_options o) : opts(std::move(o)), external(opts.runtime_command.empty()) {}

    // emulator.cpp
    static void listen(tcp::acceptor& acceptor, const std::string& address, std::uint16_t port);
    void start();
    void stop();
    void wait();
    void accept_loop(tcp::acceptor& acceptor, bool runtime_api);
    void join_finished_connections_locked();
    void serve(connection& c, bool runtime_api);
    bool connection_is_stale_locked(const connection& c) const;
    bool done_answering(std::unique_lock<std::mutex>& lk, connection& c, bool usable);
    unsigned max_concurrency() const { return opts.max_concurrency == 0 ? 1 : opts.max_concurrency; }
    std::string function_arn() const;

    // runtime_api.cpp
    void serve_runtime_api(connection& c);
    bool route_runtime_api(connection& c, flat_buffer& buffer, request_parser& p, std::string_view rest);
    bool handle_next(connection& c, flat_buffer& buffer, request_parser& p);
    bool handle_init_error(connection& c, flat_buffer& buffer, request_parser& p);
    bool handle_answer(connection& c, flat_buffer& buffer, request_parser& p, const std::string& id, bool is_error);

    // extensions_api.cpp
    bool handle_extension(connection& c, flat_buffer& buffer, request_parser& p, std::string_view rest);
    bool handle_register(connection& c, flat_buffer& buffer, request_parser& p);
    bool handle_extension_next(connection& c, flat_buffer& buffer, request_parser& p);

    // invoke_endpoint.cpp
    bool is_invoke_path(std::string_view path) const;
    void serve_invoke(connection& c);
    bool handle_invoke(connection& c, flat_buffer& buffer, request_parser& p);
    bool answer_dry_run(connection& c, bool keep_alive);
    std::optional<detail::error_answer> admission_refusal_locked() const;
    bool prepare_runtime_locked(std::unique_lock<std::mutex>& lk, invocation_state& inv, bool& started_runtime,
                                std::string& spawn_failure);
    std::string spawn_runtime_locked();
    enum class wait_end { outcome, streaming, stopping };
    wait_end run_invocation_locked(std::unique_lock<std::mutex>& lk, invocation_state& inv, bool& started_runtime,
                                   detail::outcome& out);
    wait_end await_outcome_locked(std::unique_lock<std::mutex>& lk, invocation_state& inv,
                                  const std::string& spawn_failure, detail::outcome& out);
    bool answer_caller(std::unique_lock<std::mutex>& lk, connection& c, invocation_state& inv, detail::outcome out,
                       bool started_runtime, bool keep_alive, bool log_tail);
    std::string conclude_locked(std::unique_lock<std::mutex>& lk, invocation_state& inv, bool timed_out,
                                const std::string& log_line, bool started_runtime);
    long memory_used_mb_locked() const;
    detail::outcome exit_outcome_locked(const invocation_state& inv) const;
    detail::outcome timeout_outcome(const invocation_state& inv) const;
    detail::outcome shutdown_outcome(const invocation_state& inv) const;
    void add_invoke_headers(detail::http::fields& f, const invocation_state& inv) const;
    std::string finish_locked(invocation_state& inv, bool started_runtime, long memory_mb);

    // api_gateway_endpoint.cpp
    void serve_api(connection& c);
    bool handle_api_request(connection& c, flat_buffer& buffer, request_parser& p);
    bool admit_api_request_locked(std::unique_lock<std::mutex>& lk, connection& c);
    bool answer_api_caller(std::unique_lock<std::mutex>& lk, connection& c, invocation_state& inv, detail::outcome out,
                           bool started_runtime, bool keep_alive, bool head);

    // api_gateway_stream.cpp
    bool stream_to_api_caller(std::unique_lock<std::mutex>& lk, connection& c, invocation_state& inv,
                              bool started_runtime, bool keep_alive, bool head);

    // event_queue.cpp
    bool queue_event(connection& c, std::string event, std::string_view trace_id, std::string client_context,
                     std::string tenant_id, bool keep_alive);
    void run_events();
    void run_event_locked(std::unique_lock<std::mutex>& lk, const std::shared_ptr<invocation_state>& inv);

    // stream_relay.cpp
    void push_stream_data(invocation_state& inv, std::string_view data, bool& too_large);
    bool handle_stream(connection& c, flat_buffer& buffer, request_parser& p, const std::string& id);
    void end_upload_locked(std::unique_lock<std::mutex>& lk, invocation_state& inv, const request_parser& p,
                           const detail::beast::error_code& ec, bool too_large,
                           const std::optional<detail::stream_trailers>& data_trailers);
    bool stream_to_caller(std::unique_lock<std::mutex>& lk, connection& c, const std::shared_ptr<invocation_state>& inv,
                          bool started_runtime, bool keep_alive);
    bool discard_stream_locked(std::unique_lock<std::mutex>& lk, invocation_state& inv, bool started_runtime);
    bool write_stream_head_locked(std::unique_lock<std::mutex>& lk, connection& c, invocation_state& inv,
                                  bool keep_alive);
    // Takes the next bytes of a relayed stream (the lock released); false when its caller takes no more.
    using stream_sink = std::function<bool(std::string_view)>;
    bool relay_stream_locked(std::unique_lock<std::mutex>& lk, const stream_sink& sink, invocation_state& inv,
                             bool& caller_ok, detail::stream_end& end);
};

}  // namespace lambda_py27::testing
