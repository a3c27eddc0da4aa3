// The emulator: two synchronous Beast servers (thread per connection), one mutex and one condition
// variable for all shared state, and one thread per runtime process that reaps it.
//
// Who may do what, so that stop() can always finish:
//  - accept threads add connections; they and stop() are the only ones to touch the connection list;
//  - a connection thread never closes its socket (it only shuts it down): the descriptor stays valid
//    until the thread is joined, so stop() can shut down every registered socket without racing a
//    reused descriptor number;
//  - every wait on the condition variable also wakes for `stopping`;
//  - only the invoke in progress (or stop()) kills the runtime, and only while it is not reaped, under
//    the mutex, and the reaper reaps under the mutex: a kill never reaches a recycled pid.
#include <lambda_py27/testing/emulator.hpp>

#include <lambda_py27/runtime/runtime_client.hpp>
#include <lambda_py27/testing/detail/process.hpp>
#include <lambda_py27/testing/detail/text.hpp>

#include "emulator_http.hpp"
#include "invocation_log.hpp"
#include "invocation_table.hpp"
#include "runtime_process.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <condition_variable>
#include <filesystem>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>

#include <sys/socket.h>
#include <unistd.h>

namespace lambda_py27::testing {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A streamed response may be this long in all (Lambda: 200 MB).
constexpr std::uint64_t max_streamed_bytes = 200ULL * 1024 * 1024;
// Streamed bytes waiting for a slow caller; the runtime's upload is paused above this.
constexpr std::size_t stream_backlog_limit = 1024 * 1024;
// Time a freshly started runtime gets for its init, on top of the function timeout (Lambda: 10 s).
constexpr auto init_allowance = 10s;
// A /next waiter checks this often whether its runtime hung up (killed runtimes never say goodbye).
constexpr auto peer_check_interval = 100ms;

constexpr std::string_view api_prefix = "/2018-06-01/runtime/";
constexpr std::string_view extension_prefix = "/2020-01-01/extension/";
constexpr std::string_view invoke_prefix = "/2015-03-31/functions/";
constexpr std::string_view invoke_suffix = "/invocations";
constexpr std::string_view error_type_trailer = "Lambda-Runtime-Function-Error-Type";
constexpr std::string_view error_body_trailer = "Lambda-Runtime-Function-Error-Body";
constexpr std::string_view data_trailer_prefix = "Lambda-Runtime-Function-Error-";

using detail::body_read;
using detail::continue_if_expected;
using detail::make_response;
using detail::path_of;
using detail::peer_closed;
using detail::read_body;
using detail::reply_accepted;
using detail::reply_error;
using detail::request_parser;
using detail::set_cloexec;
using detail::string_response;
using detail::invocation_state;
using detail::sv;
using detail::write_response;

std::int64_t epoch_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Trailers sent as the last data chunk of a stream ("Name: value" lines) instead of real trailers.
bool parse_data_trailers(std::string_view text, std::string& error_type, std::string& error_body) {
    std::string type;
    std::string body;
    bool any = false;
    while (!text.empty()) {
        auto eol = text.find('\n');
        auto line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
        while (!line.empty() && (line.front() == '\r' || line.front() == ' ')) line.remove_prefix(1);
        if (line.empty()) continue;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) return false;
        const auto name = line.substr(0, colon);
        auto value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        if (detail::iequals(name, error_type_trailer))
            type.assign(value);
        else if (detail::iequals(name, error_body_trailer))
            body.assign(value);
        else
            return false;
        any = true;
    }
    if (!any) return false;
    error_type = std::move(type);
    error_body = std::move(body);
    return true;
}

std::size_t leading_blanks(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size() && (s[i] == '\r' || s[i] == '\n' || s[i] == ' ')) ++i;
    return i;
}

struct connection {
    explicit connection(net::io_context& ioc) : socket(ioc) {}
    tcp::socket socket;
    int fd = -1;
    std::thread thread;
    bool done = false;        // guarded by impl::m; set as the thread's last act
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

}  // namespace

struct emulator::impl {
    emulator_options opts;
    bool external;
    std::string task_root;

    net::io_context ioc{1};
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
    bool stopping = false;
    bool stopped = false;
    std::list<std::unique_ptr<connection>> connections;
    detail::runtime_process child{m, cv};
    detail::invocation_table invocations;   // at most max_concurrency() in flight
    std::optional<std::string> init_error;  // body posted to /runtime/init/error, for the next invoke
    detail::log_sink log_lines{opts.report};

    explicit impl(emulator_options o) : opts(std::move(o)), external(opts.runtime_command.empty()) {}

    // ---- lifecycle ------------------------------------------------------------------------------

    static void listen(tcp::acceptor& acceptor, const std::string& address, std::uint16_t port) {
        boost::system::error_code ec;
        const auto addr = net::ip::make_address(address, ec);
        if (ec) throw std::system_error(ec, "invalid listen address '" + address + "'");
        const tcp::endpoint ep{addr, port};
        acceptor.open(ep.protocol(), ec);
        if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
        if (!ec) acceptor.bind(ep, ec);
        if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
        if (ec) {
            boost::system::error_code ignored;
            acceptor.close(ignored);
            throw std::system_error(ec, "cannot listen on " + address + ":" + std::to_string(port));
        }
        set_cloexec(acceptor.native_handle());
    }

    void start() {
        {
            std::lock_guard lk(m);
            if (started) throw std::logic_error("lambda_py27::testing::emulator: start() called twice");
            started = true;
        }
        task_root = opts.task_root.empty() ? std::filesystem::current_path().string()
                                           : std::filesystem::absolute(opts.task_root).string();
        listen(invoke_acceptor, opts.invoke_address, opts.invoke_port);
        try {
            listen(api_acceptor, opts.runtime_api_address, 0);
        } catch (...) {
            boost::system::error_code ignored;
            invoke_acceptor.close(ignored);
            throw;
        }
        bound_invoke_port = invoke_acceptor.local_endpoint().port();
        const auto api = api_acceptor.local_endpoint();
        const auto host = api.address().to_string();
        api_endpoint = (api.address().is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(api.port());
        invoke_accept_thread = std::thread([this] { accept_loop(invoke_acceptor, false); });
        api_accept_thread = std::thread([this] { accept_loop(api_acceptor, true); });
    }

    void stop() {
        std::lock_guard stop_guard(stop_mutex);
        {
            std::unique_lock lk(m);
            if (stopped) return;
            if (!external) child.terminate_gracefully(lk, opts.shutdown_budget);
            stopping = true;
            child.kill_locked();  // first, so it does not report the connections closing under it
            // shutdown() wakes threads blocked in accept() and recv() on these sockets; nothing is closed
            // before the threads using the descriptors are joined.
            if (invoke_acceptor.is_open()) ::shutdown(invoke_acceptor.native_handle(), SHUT_RDWR);
            if (api_acceptor.is_open()) ::shutdown(api_acceptor.native_handle(), SHUT_RDWR);
            for (auto& c : connections) ::shutdown(c->fd, SHUT_RDWR);
            cv.notify_all();
        }
        if (invoke_accept_thread.joinable()) invoke_accept_thread.join();
        if (api_accept_thread.joinable()) api_accept_thread.join();
        // The accept threads are gone: nobody else touches the list now.
        for (auto& c : connections)
            if (c->thread.joinable()) c->thread.join();
        child.join_reaper();
        connections.clear();
        boost::system::error_code ignored;
        invoke_acceptor.close(ignored);
        api_acceptor.close(ignored);
        {
            std::lock_guard lk(m);
            stopped = true;
            invocations.clear();
        }
        cv.notify_all();
    }

    void wait() {
        std::unique_lock lk(m);
        cv.wait(lk, [&] { return stopped; });
    }

    // ---- connections ----------------------------------------------------------------------------

    void accept_loop(tcp::acceptor& acceptor, bool runtime_api) {
        for (;;) {
            auto conn = std::make_unique<connection>(ioc);
            boost::system::error_code ec;
            acceptor.accept(conn->socket, ec);
            std::unique_lock lk(m);
            if (stopping) return;
            join_finished_connections_locked();
            if (ec) {
                // EMFILE and friends: let connections finish, then try again.
                lk.unlock();
                std::this_thread::sleep_for(20ms);
                continue;
            }
            conn->fd = conn->socket.native_handle();
            set_cloexec(conn->fd);
            conn->socket.set_option(tcp::no_delay(true), ec);
            conn->generation = child.generation;
            auto* c = conn.get();
            connections.push_back(std::move(conn));
            try {
                c->thread = std::thread([this, c, runtime_api] { serve(*c, runtime_api); });
            } catch (const std::system_error&) {
                connections.pop_back();  // no thread to serve it: the peer sees the connection closed
            }
        }
    }

    void join_finished_connections_locked() {
        for (auto it = connections.begin(); it != connections.end();) {
            if ((*it)->done) {
                // The thread set `done` under the mutex we hold, so it has nothing left to do but return.
                (*it)->thread.join();
                it = connections.erase(it);
            } else {
                ++it;
            }
        }
    }

    void serve(connection& c, bool runtime_api) {
        try {
            if (runtime_api)
                serve_runtime_api(c);
            else
                serve_invoke(c);
        } catch (const std::exception&) {
            // e.g. bad_alloc: drop this connection, keep serving the others
        }
        ::shutdown(c.fd, SHUT_RDWR);
        std::lock_guard lk(m);
        c.done = true;
    }

    // ---- Runtime API ----------------------------------------------------------------------------

    void serve_runtime_api(connection& c) {
        beast::flat_buffer buffer;
        std::optional<request_parser> parser;
        for (;;) {
            auto& p = detail::fresh_parser(parser);
            beast::error_code ec;
            http::read_header(c.socket, buffer, p, ec);
            if (ec) return;
            const auto& req = p.get();
            const bool keep_alive = req.keep_alive();
            const auto path = path_of(req.target());
            bool usable = true;
            if (path.substr(0, extension_prefix.size()) == extension_prefix) {
                usable = handle_extension(c, buffer, p, path.substr(extension_prefix.size()));
            } else if (path.substr(0, api_prefix.size()) != api_prefix) {
                usable = detail::refuse(c.socket, buffer, p, 404, "NotFound", "Unknown Runtime API path: " + std::string(path));
            } else {
                const auto rest = path.substr(api_prefix.size());
                constexpr std::string_view inv = "invocation/";
                if (rest == "invocation/next") {
                    usable = req.method() == http::verb::get
                                 ? handle_next(c, buffer, p)
                                 : detail::refuse(c.socket, buffer, p, 405, "MethodNotAllowed", "Use GET for invocation/next");
                } else if (rest == "init/error") {
                    usable = req.method() == http::verb::post
                                 ? handle_init_error(c, buffer, p)
                                 : detail::refuse(c.socket, buffer, p, 405, "MethodNotAllowed", "Use POST for init/error");
                } else if (rest.substr(0, inv.size()) == inv && rest.size() > inv.size()) {
                    auto tail = rest.substr(inv.size());
                    const auto slash = tail.find('/');
                    const auto id = slash == std::string_view::npos ? tail : tail.substr(0, slash);
                    const auto what = slash == std::string_view::npos ? std::string_view{} : tail.substr(slash);
                    if ((what == "/response" || what == "/error") && !id.empty()) {
                        usable = req.method() == http::verb::post
                                     ? handle_answer(c, buffer, p, std::string(id), what == "/error")
                                     : detail::refuse(c.socket, buffer, p, 405, "MethodNotAllowed", "Use POST to answer");
                    } else {
                        usable =
                            detail::refuse(c.socket, buffer, p, 404, "NotFound", "Unknown Runtime API path: " + std::string(path));
                    }
                } else {
                    usable = detail::refuse(c.socket, buffer, p, 404, "NotFound", "Unknown Runtime API path: " + std::string(path));
                }
            }
            if (!usable || !keep_alive) return;
        }
    }

    bool connection_is_stale_locked(const connection& c) const {
        return !external && (c.generation != child.generation || !child.alive);
    }

    bool handle_next(connection& c, beast::flat_buffer& buffer, request_parser& p) {
        std::string ignored;
        if (read_body(c.socket, buffer, p, 0, ignored) == body_read::failed) return false;
        const bool keep_alive = p.get().keep_alive();

        std::unique_lock lk(m);
        if (!external && !connection_is_stale_locked(c) && !child.init_done) child.init_done = steady::now();
        std::shared_ptr<invocation_state> inv;
        for (;;) {
            if (stopping) return false;
            // A killed runtime never hangs up politely; its waiting /next must not take the next event.
            if (connection_is_stale_locked(c)) return false;
            if ((inv = invocations.next_undelivered())) break;
            if (peer_closed(c.fd)) return false;
            cv.wait_for(lk, peer_check_interval);
        }
        const auto now = steady::now();
        inv->delivered = true;
        inv->delivered_at = now;
        inv->deadline = now + opts.timeout;
        const auto deadline_ms = epoch_ms_now() + opts.timeout.count();

        auto res = make_response(200, inv->event, keep_alive);
        res.set("Lambda-Runtime-Aws-Request-Id", inv->id);
        res.set("Lambda-Runtime-Deadline-Ms", std::to_string(deadline_ms));
        res.set("Lambda-Runtime-Invoked-Function-Arn", function_arn());
        if (!inv->trace_id.empty()) res.set("Lambda-Runtime-Trace-Id", inv->trace_id);
        if (!inv->client_context.empty()) res.set("Lambda-Runtime-Client-Context", inv->client_context);
        cv.notify_all();  // the caller's wait limit moved to the deadline
        lk.unlock();
        return write_response(c.socket, res) && keep_alive;
    }

    unsigned max_concurrency() const { return opts.max_concurrency == 0 ? 1 : opts.max_concurrency; }

    std::string function_arn() const {
        return "arn:aws:lambda:" + opts.region + ":012345678912:function:" + opts.function_name;
    }

    bool handle_init_error(connection& c, beast::flat_buffer& buffer, request_parser& p) {
        if (!continue_if_expected(c.socket, p)) return false;
        std::string body;
        const auto r = read_body(c.socket, buffer, p, max_response_bytes, body);
        if (r == body_read::failed) return false;
        const bool keep_alive = p.get().keep_alive();
        if (r == body_read::too_large)
            return reply_error(c.socket, 413, "RequestEntityTooLarge", too_large_message(), keep_alive) && keep_alive;
        {
            std::lock_guard lk(m);
            if (!connection_is_stale_locked(c)) {  // a dead process's report concerns no one
                if (body.empty()) body = detail::error_json("Runtime.Unknown", "Unknown init error");
                init_error = std::move(body);
                if (!external) child.init_failed = true;
                cv.notify_all();
            }
        }
        return reply_accepted(c.socket, keep_alive) && keep_alive;
    }

    // ---- Extensions API (what an internal extension needs) -----------------------------------------

    bool handle_extension(connection& c, beast::flat_buffer& buffer, request_parser& p, std::string_view rest) {
        const auto& req = p.get();
        if (rest == "register") {
            if (req.method() != http::verb::post)
                return detail::refuse(c.socket, buffer, p, 405, "MethodNotAllowed", "Use POST for extension/register");
            return handle_register(c, buffer, p);
        }
        if (rest == "event/next") {
            if (req.method() != http::verb::get)
                return detail::refuse(c.socket, buffer, p, 405, "MethodNotAllowed", "Use GET for extension/event/next");
            return handle_extension_next(c, buffer, p);
        }
        return detail::refuse(c.socket, buffer, p, 404, "NotFound", "Unknown Extensions API path: /2020-01-01/extension/" + std::string(rest));
    }

    bool handle_register(connection& c, beast::flat_buffer& buffer, request_parser& p) {
        const std::string name(sv(p.get()["Lambda-Extension-Name"]));
        if (name.empty()) return detail::refuse(c.socket, buffer, p, 400, "InvalidRequest", "Lambda-Extension-Name is required");
        std::string ignored;
        if (read_body(c.socket, buffer, p, 64 * 1024, ignored) != body_read::ok) return false;
        const bool keep_alive = p.get().keep_alive();
        std::unique_lock lk(m);
        if (!external && connection_is_stale_locked(c)) return false;
        if (!external && child.init_done) {  // registration belongs to the init phase
            lk.unlock();
            return reply_error(c.socket, 403, "InvalidStateTransition",
                               "Extensions register during init, before the runtime's first invocation/next",
                               keep_alive) &&
                   keep_alive;
        }
        const std::string id = invocations.new_request_id();
        if (!external) child.extension_ids.insert(id);
        lk.unlock();
        boost::json::object info;
        info["functionName"] = opts.function_name;
        info["functionVersion"] = opts.function_version;
        info["handler"] = opts.handler;
        auto res = make_response(200, boost::json::serialize(info), keep_alive);
        res.set("Lambda-Extension-Identifier", id);
        return write_response(c.socket, res) && keep_alive;
    }

    // An internal extension subscribed to no events: its /event/next is never answered; it ends with the
    // runtime (or the emulator).
    bool handle_extension_next(connection& c, beast::flat_buffer& buffer, request_parser& p) {
        const std::string id(sv(p.get()["Lambda-Extension-Identifier"]));
        std::string ignored;
        if (read_body(c.socket, buffer, p, 0, ignored) == body_read::failed) return false;
        std::unique_lock lk(m);
        if (!external && child.extension_ids.count(id) == 0) {
            lk.unlock();
            return reply_error(c.socket, 403, "Extension.UnknownExtensionIdentifier",
                               "Unknown Lambda-Extension-Identifier: " + id, p.get().keep_alive()) &&
                   p.get().keep_alive();
        }
        while (!stopping && !connection_is_stale_locked(c) && !peer_closed(c.fd)) cv.wait_for(lk, peer_check_interval);
        return false;
    }

    static std::string too_large_message() {
        return "Response payload size exceeded maximum allowed payload size (" + std::to_string(max_response_bytes) +
               " bytes).";
    }

    bool handle_answer(connection& c, beast::flat_buffer& buffer, request_parser& p, const std::string& id,
                       bool is_error) {
        const auto& req = p.get();
        if (!continue_if_expected(c.socket, p)) return false;
        if (!is_error && p.chunked() &&
            detail::iequals(sv(req["Lambda-Runtime-Function-Response-Mode"]), "streaming"))
            return handle_stream(c, buffer, p, id);

        std::string body;
        const auto r = read_body(c.socket, buffer, p, max_response_bytes, body);
        if (r == body_read::failed) return false;
        const bool keep_alive = req.keep_alive();

        std::unique_lock lk(m);
        detail::answer_refusal refusal;
        const auto inv = invocations.answerable(id, refusal);
        if (!inv) {
            lk.unlock();
            return reply_error(c.socket, refusal.status, refusal.type, refusal.message, keep_alive) && keep_alive;
        }
        inv->answered = true;
        inv->complete = true;
        invocations.mark_answered(id);
        const bool too_large = r == body_read::too_large;
        if (too_large) {
            inv->body = detail::error_json("Function.ResponseSizeTooLarge", too_large_message());
            inv->function_error = "Unhandled";
        } else {
            inv->body = std::move(body);
            const auto ct = sv(req[http::field::content_type]);
            inv->content_type = ct.empty() ? "application/json" : std::string(ct);
            if (is_error) {
                const auto t = sv(req[error_type_trailer]);
                inv->function_error = t.empty() ? "Unhandled" : std::string(t);
            }
        }
        cv.notify_all();
        lk.unlock();
        const bool written = too_large
                                 ? reply_error(c.socket, 413, "RequestEntityTooLarge", too_large_message(), keep_alive)
                                 : reply_accepted(c.socket, keep_alive);
        return written && keep_alive;
    }

    // Hands streamed bytes to the caller's thread; pauses while the caller is behind.
    void push_stream_data(invocation_state& inv, std::string_view data, bool& too_large) {
        if (data.empty()) return;
        std::unique_lock lk(m);
        cv.wait(lk, [&] {
            return stopping || inv.finalized || inv.caller_gone || inv.pending.size() < stream_backlog_limit;
        });
        if (stopping || inv.finalized || inv.caller_gone || too_large) return;
        inv.streamed += data.size();
        if (inv.streamed > max_streamed_bytes) {
            too_large = true;
            return;
        }
        inv.pending.append(data.data(), data.size());
        cv.notify_all();
    }

    bool handle_stream(connection& c, beast::flat_buffer& buffer, request_parser& p, const std::string& id) {
        std::shared_ptr<invocation_state> inv;
        {
            std::unique_lock lk(m);
            detail::answer_refusal refusal;
            inv = invocations.answerable(id, refusal);
            if (!inv) {
                lk.unlock();
                return detail::refuse(c.socket, buffer, p, refusal.status, refusal.type, refusal.message);
            }
            inv->answered = true;
            inv->streaming = true;
            const auto ct = sv(p.get()[http::field::content_type]);
            inv->content_type = ct.empty() ? "application/octet-stream" : std::string(ct);
            invocations.mark_answered(id);
            cv.notify_all();
        }

        // Chunks are forwarded as they arrive, except a chunk that starts like trailer text: it is held
        // to its end and, if it is trailer text, taken as the trailers.
        enum class chunk_mode { undecided, forward, hold };
        chunk_mode mode = chunk_mode::undecided;
        std::string held;
        std::string data_error_type;
        std::string data_error_body;
        bool data_trailers = false;
        bool too_large = false;
        auto on_chunk = [&](std::uint64_t remain, beast::string_view piece, beast::error_code& ec) -> std::size_t {
            const bool chunk_ends = piece.size() == remain;
            if (mode == chunk_mode::forward) {
                push_stream_data(*inv, sv(piece), too_large);
            } else {
                held.append(piece.data(), piece.size());
                if (mode == chunk_mode::undecided) {
                    const auto lead = leading_blanks(held);
                    if (held.size() - lead >= data_trailer_prefix.size() || chunk_ends) {
                        if (detail::istarts_with(std::string_view(held).substr(lead), data_trailer_prefix)) {
                            mode = chunk_mode::hold;
                        } else {
                            mode = chunk_mode::forward;
                            push_stream_data(*inv, held, too_large);
                            held.clear();
                        }
                    }
                }
                if (mode == chunk_mode::hold && held.size() > 64 * 1024) {  // no trailer text is that long
                    mode = chunk_mode::forward;
                    push_stream_data(*inv, held, too_large);
                    held.clear();
                }
            }
            if (chunk_ends) {
                if (mode == chunk_mode::hold && parse_data_trailers(held, data_error_type, data_error_body))
                    data_trailers = true;
                else
                    push_stream_data(*inv, held, too_large);
                held.clear();
                mode = chunk_mode::undecided;
            }
            {
                std::lock_guard lk(m);
                if (stopping) ec = net::error::operation_aborted;
            }
            return piece.size();
        };
        p.on_chunk_body(on_chunk);
        beast::error_code ec;
        http::read(c.socket, buffer, p, ec);
        const bool keep_alive = !ec && p.get().keep_alive();

        {
            std::unique_lock lk(m);
            // A stream cut short because the runtime died (sys.exit, a crash) is reported as that exit:
            // the connection's end and the reaper's news arrive in either order, and a process may take a
            // while from closing its sockets to its end (exit handlers, a sanitizer's leak check).
            const auto runtime_gone = [&] { return !child.alive || child.generation != inv->generation; };
            if (ec && !external && !too_large)
                cv.wait_for(lk, 3s, [&] { return stopping || inv->finalized || runtime_gone(); });
            const bool died = ec && !external && !too_large && runtime_gone();
            if (!inv->finalized) {
                const auto& fields = p.get();
                std::string type(sv(fields[error_type_trailer]));
                std::string body(sv(fields[error_body_trailer]));
                if (type.empty() && body.empty() && data_trailers) {
                    type = data_error_type;
                    body = data_error_body;
                }
                if (too_large) {
                    type = "Function.ResponseSizeTooLarge";
                    body = detail::base64_encode(detail::error_json(
                        "Function.ResponseSizeTooLarge",
                        "Response payload size exceeded maximum allowed payload size (" +
                            std::to_string(max_streamed_bytes) + " bytes)."));
                } else if (died) {
                    type = "Unhandled";
                    body = detail::base64_encode(exit_outcome_locked(*inv).body);
                } else if (ec) {
                    type = "Runtime.TruncatedResponse";
                    body = detail::base64_encode(detail::error_json(
                        "Runtime.TruncatedResponse", "The runtime's response stream ended before it was complete"));
                }
                if (type.empty() && !body.empty()) type = "Unhandled";
                inv->stream_error_type = std::move(type);
                inv->stream_error_body = std::move(body);
                inv->stream_done = true;
                cv.notify_all();
            }
        }
        if (ec) return false;
        const bool written =
            too_large ? reply_error(c.socket, 413, "RequestEntityTooLarge",
                                    "Streamed response exceeded " + std::to_string(max_streamed_bytes) + " bytes",
                                    keep_alive)
                      : reply_accepted(c.socket, keep_alive);
        return written && keep_alive;
    }

    // ---- the invoke endpoint --------------------------------------------------------------------

    bool is_invoke_path(std::string_view path) const {
        if (path.size() <= invoke_prefix.size() + invoke_suffix.size()) return false;
        if (path.substr(0, invoke_prefix.size()) != invoke_prefix) return false;
        if (path.substr(path.size() - invoke_suffix.size()) != invoke_suffix) return false;
        const auto name = path.substr(invoke_prefix.size(), path.size() - invoke_prefix.size() - invoke_suffix.size());
        return name == "function" || name == opts.function_name;
    }

    void serve_invoke(connection& c) {
        beast::flat_buffer buffer;
        std::optional<request_parser> parser;
        for (;;) {
            auto& p = detail::fresh_parser(parser);
            beast::error_code ec;
            http::read_header(c.socket, buffer, p, ec);
            if (ec) return;
            const auto& req = p.get();
            const bool keep_alive = req.keep_alive();
            const auto path = path_of(req.target());
            bool usable = true;
            if (!is_invoke_path(path))
                usable = detail::refuse(c.socket, buffer, p, 404, "ResourceNotFoundException",
                                "Unknown path " + std::string(path) +
                                    "; invoke with POST /2015-03-31/functions/function/invocations");
            else if (req.method() != http::verb::post)
                usable = detail::refuse(c.socket, buffer, p, 405, "MethodNotAllowed", "Invoke with POST");
            else
                usable = handle_invoke(c, buffer, p);
            if (!usable || !keep_alive) return;
        }
    }

    // Starts a runtime process; returns an error text (Go's wording, as the RIE) when it cannot.
    std::string spawn_child_locked() {
        init_error.reset();  // belongs to a process that is gone
        return child.start_locked(detail::runtime_spawn_request(opts, task_root, api_endpoint));
    }

    long memory_used_mb_locked() const {
        const long kib = external ? detail::peak_rss_kib(::getpid()) : child.peak_rss_kib_locked();
        return kib <= 0 ? 0 : (kib + 1023) / 1024;
    }

    outcome exit_outcome_locked(const invocation_state& inv) const {
        const auto message = "RequestId: " + inv.id + " Error: " + child.exit_reason_locked();
        outcome out;
        out.status = 502;
        out.body = detail::error_json("Runtime.ExitError", message);
        out.log_line = message + "\nRuntime.ExitError\n";
        return out;
    }

    outcome timeout_outcome(const invocation_state& inv) const {
        const auto message = inv.id + " Task timed out after " + detail::seconds_with_two_decimals(opts.timeout) +
                             " seconds";
        outcome out;
        out.body = detail::error_json("Sandbox.Timedout", message);
        out.function_error = "Unhandled";
        out.log_line = message + "\n";
        out.timed_out = true;
        return out;
    }

    void add_invoke_headers(http::fields& f, const invocation_state& inv) const {
        f.set("X-Amzn-RequestId", inv.id);
        f.set("X-Amz-Executed-Version", opts.function_version);
    }

    bool handle_invoke(connection& c, beast::flat_buffer& buffer, request_parser& p) {
        const auto& req = p.get();
        const bool keep_alive = req.keep_alive();
        if (!continue_if_expected(c.socket, p)) return false;
        std::string event;
        const auto r = read_body(c.socket, buffer, p, opts.max_event_bytes, event);
        if (r != body_read::ok) {
            const bool usable = r == body_read::too_large && keep_alive;
            return reply_error(c.socket, 413, "RequestEntityTooLargeException",
                               "Request must be smaller than " + std::to_string(opts.max_event_bytes) +
                                   " bytes for the InvokeFunction operation",
                               usable) &&
                   usable;
        }
        std::string client_context;
        if (const auto cc = sv(req["X-Amz-Client-Context"]); !cc.empty()) {
            if (!detail::base64_decode(cc, client_context))
                return reply_error(c.socket, 400, "InvalidRequestContentException",
                                   "Client context must be a valid Base64-encoded JSON object.", keep_alive) &&
                       keep_alive;
            client_context = detail::header_safe(client_context);
        }

        std::unique_lock lk(m);
        if (stopping) return false;
        if (invocations.size() >= max_concurrency() && max_concurrency() > 1) {
            lk.unlock();
            return reply_error(c.socket, 429, "TooManyRequestsException",
                               "Rate Exceeded: the function is serving its maximum of " +
                                   std::to_string(max_concurrency()) + " concurrent invocations",
                               keep_alive) &&
                   keep_alive;
        }
        if (invocations.size() >= max_concurrency()) {
            lk.unlock();
            return reply_error(c.socket, 400, "ResourceConflictException",
                               "The function is busy with another invocation; the emulator serves one invoke at a "
                               "time",
                               keep_alive) &&
                   keep_alive;
        }
        const auto inv = invocations.add(std::move(event), sv(req["X-Amzn-Trace-Id"]), std::move(client_context));

        bool started_runtime = false;
        std::string spawn_failure;
        if (!external) {
            if (child.alive && child.init_failed) child.kill_locked();
            if (!child.alive) {
                // Concurrent invokes: whichever finds the old process reaped first starts the new one.
                cv.wait(lk, [&] { return child.reaped || child.alive || stopping; });
                if (stopping) return false;
                if (!child.alive) {
                    spawn_failure = spawn_child_locked();
                    started_runtime = true;
                }
            }
            inv->generation = child.generation;
        }
        cv.notify_all();
        lk.unlock();
        log_lines.write(detail::start_line(inv->id, opts.function_version));
        lk.lock();

        outcome out;
        for (;;) {
            if (stopping) return false;
            if (!spawn_failure.empty()) {
                out.status = 502;
                out.body = detail::error_json("Runtime.InvalidEntrypoint",
                                              "RequestId: " + inv->id + " Error: " + spawn_failure);
                out.log_line = "RequestId: " + inv->id + " Error: " + spawn_failure + "\nRuntime.InvalidEntrypoint\n";
                break;
            }
            if (inv->complete) {
                out.body = std::move(inv->body);
                out.content_type = inv->content_type;
                out.function_error = inv->function_error;
                break;
            }
            if (inv->streaming) return stream_to_caller(lk, c, inv, started_runtime, keep_alive);
            if (init_error) {
                out.body = std::move(*init_error);
                out.function_error = "Unhandled";
                init_error.reset();
                if (!external) child.init_failed = true;
                break;
            }
            if (!external && (!child.alive || child.generation != inv->generation)) {
                out = exit_outcome_locked(*inv);
                break;
            }
            auto limit = inv->delivered ? inv->deadline : inv->received + opts.timeout;
            if (!inv->delivered && (started_runtime || (!external && !child.init_done))) limit += init_allowance;
            if (steady::now() >= limit) {
                out = timeout_outcome(*inv);
                break;
            }
            cv.wait_until(lk, limit);
        }
        const auto memory = memory_used_mb_locked();  // before a kill: a killed process has no /proc entry
        if (out.timed_out && !external) child.kill_locked();
        const auto lines = finish_locked(*inv, started_runtime, memory);
        lk.unlock();

        log_lines.write(out.log_line + lines);
        auto res = make_response(out.status, std::move(out.body), keep_alive, out.content_type);
        add_invoke_headers(res.base(), *inv);
        if (!out.function_error.empty()) res.set("X-Amz-Function-Error", out.function_error);
        return write_response(c.socket, res) && keep_alive;
    }

    // Ends the invocation: frees the function for the next invoke and returns the END/REPORT lines.
    std::string finish_locked(invocation_state& inv, bool started_runtime, long memory_mb) {
        const auto end = steady::now();
        std::optional<double> init_ms;
        if (started_runtime && !external)
            init_ms = detail::ms_between(child.started, child.init_done.value_or(end));
        invocations.finish(inv);
        cv.notify_all();
        return detail::end_report_lines(inv, end, init_ms, opts.memory_mb, memory_mb);
    }

    // The caller's side of a streamed response: a chunked answer fed from what the runtime uploads.
    bool stream_to_caller(std::unique_lock<std::mutex>& lk, connection& c, const std::shared_ptr<invocation_state>& inv,
                          bool started_runtime, bool keep_alive) {
        http::response<http::empty_body> head{http::status::ok, 11};
        head.set(http::field::server, "lambda-py27-emulator");
        head.set(http::field::content_type, inv->content_type);
        head.set(http::field::trailer, "X-Amz-Function-Error, X-Amz-Function-Error-Body");
        add_invoke_headers(head.base(), *inv);
        head.keep_alive(keep_alive);
        head.chunked(true);
        lk.unlock();
        beast::error_code ec;
        http::response_serializer<http::empty_body> serializer{head};
        http::write_header(c.socket, serializer, ec);
        bool caller_ok = !ec;
        lk.lock();
        if (!caller_ok) {
            inv->caller_gone = true;
            cv.notify_all();
        }

        std::string error_type;
        std::string error_body;
        std::string log_line;
        bool timed_out = false;
        std::optional<steady::time_point> runtime_gone_at;
        for (;;) {
            if (stopping) return false;
            if (!inv->pending.empty()) {
                std::string data = std::move(inv->pending);
                inv->pending.clear();
                cv.notify_all();  // the runtime's upload may go on
                if (caller_ok) {
                    lk.unlock();
                    net::write(c.socket, http::make_chunk(net::buffer(data)), ec);
                    lk.lock();
                    if (ec) {
                        caller_ok = false;
                        inv->caller_gone = true;
                        cv.notify_all();
                    }
                }
                continue;
            }
            if (inv->stream_done) {
                error_type = inv->stream_error_type;
                error_body = inv->stream_error_body;
                break;
            }
            if (!external && (!child.alive || child.generation != inv->generation)) {
                // The runtime is gone, but what it wrote before it went may still be on its way through
                // the upload's connection: the upload's reader reports the end (with the exit) once it read
                // it all. Only a reader that never comes back is not waited for.
                if (!runtime_gone_at) runtime_gone_at = steady::now();
                if (steady::now() - *runtime_gone_at < 3s) {
                    cv.wait_for(lk, 50ms);
                    continue;
                }
                auto out = exit_outcome_locked(*inv);
                error_type = "Unhandled";
                error_body = detail::base64_encode(out.body);
                log_line = out.log_line;
                break;
            }
            if (steady::now() >= inv->deadline) {
                auto out = timeout_outcome(*inv);
                error_type = "Unhandled";
                error_body = detail::base64_encode(out.body);
                log_line = out.log_line;
                timed_out = true;
                break;
            }
            cv.wait_until(lk, inv->deadline);
        }
        const auto memory = memory_used_mb_locked();
        if (timed_out && !external) child.kill_locked();
        const auto lines = finish_locked(*inv, started_runtime, memory);
        lk.unlock();
        log_lines.write(log_line + lines);
        if (!caller_ok) return false;
        http::fields trailers;
        if (!error_type.empty()) trailers.set("X-Amz-Function-Error", error_type);
        if (!error_body.empty()) trailers.set("X-Amz-Function-Error-Body", error_body);
        net::write(c.socket, http::make_chunk_last(trailers), ec);
        return !ec && keep_alive;
    }
};

// ---- the public face ------------------------------------------------------------------------------

emulator::emulator(emulator_options options) : impl_(std::make_unique<impl>(std::move(options))) {}

emulator::~emulator() { stop(); }

void emulator::start() { impl_->start(); }

void emulator::stop() { impl_->stop(); }

std::uint16_t emulator::invoke_port() const {
    return impl_->bound_invoke_port != 0 ? impl_->bound_invoke_port : impl_->opts.invoke_port;
}

std::string emulator::runtime_api_endpoint() const { return impl_->api_endpoint; }

void emulator::wait() { impl_->wait(); }

}  // namespace lambda_py27::testing
