// The emulator's life: binding, the accept loops, a thread per connection, and the orderly stop.
#include <lambda_py27/testing/emulator.hpp>

#include "emulator_impl.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include <sys/socket.h>

namespace lambda_py27::testing {

void emulator::impl::listen(tcp::acceptor& acceptor, const std::string& address, std::uint16_t port) {
    namespace net = detail::net;
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
    detail::set_cloexec(acceptor.native_handle());
}

void emulator::impl::start() {
    if (opts.invoke_mode == function_url_invoke_mode::response_stream && opts.api_gateway != api_gateway_payload::v2)
        throw std::invalid_argument(
            "lambda_py27::testing::emulator: the RESPONSE_STREAM invoke mode is a Function URL's: it needs "
            "api_gateway v2");
    {
        std::lock_guard lk(m);
        if (started) throw std::logic_error("lambda_py27::testing::emulator: start() called twice");
        started = true;
    }
    task_root = opts.task_root.empty() ? std::filesystem::current_path().string()
                                       : std::filesystem::absolute(opts.task_root).string();
    listen(invoke_acceptor, opts.invoke_address, opts.invoke_port);
    try {
        listen(api_acceptor, opts.runtime_api_address, opts.runtime_api_port);
    } catch (...) {
        boost::system::error_code ignored;
        invoke_acceptor.close(ignored);
        throw;
    }
    if (!external) {
        try {
            output.start();
        } catch (...) {
            boost::system::error_code ignored;
            invoke_acceptor.close(ignored);
            api_acceptor.close(ignored);
            throw;
        }
    }
    bound_invoke_port = invoke_acceptor.local_endpoint().port();
    const auto api = api_acceptor.local_endpoint();
    const auto host = api.address().to_string();
    api_endpoint = (api.address().is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(api.port());
    invoke_accept_thread = std::thread([this] { accept_loop(invoke_acceptor, false); });
    api_accept_thread = std::thread([this] { accept_loop(api_acceptor, true); });
    event_thread = std::thread([this] { run_events(); });
}

void emulator::impl::stop() {
    std::lock_guard stop_guard(stop_mutex);
    {
        std::unique_lock lk(m);
        if (stopped) return;
        // Invocations in flight may still end (and their callers get their results) within the budget.
        draining = true;
        cv.notify_all();
        cv.wait_for(lk, opts.shutdown_budget, [&] { return invocations.size() == 0; });
        if (!external) child.terminate_gracefully(lk, opts.shutdown_budget);
        stopping = true;
        child.kill_locked();  // first, so it does not report the connections closing under it
        // shutdown() wakes threads blocked in accept() and recv() on these sockets; nothing is closed
        // before the threads using the descriptors are joined.
        if (invoke_acceptor.is_open()) ::shutdown(invoke_acceptor.native_handle(), SHUT_RDWR);
        if (api_acceptor.is_open()) ::shutdown(api_acceptor.native_handle(), SHUT_RDWR);
        for (auto& c : connections)
            if (!c->answering) ::shutdown(c->fd, SHUT_RDWR);
        cv.notify_all();
        // Callers still waiting are answered by their own threads, which wake for `stopping`.
        const auto answered = [&] {
            return std::none_of(connections.begin(), connections.end(), [](const auto& c) { return c->answering; });
        };
        cv.wait_for(lk, detail::caller_answer_grace, answered);
        for (auto& c : connections) ::shutdown(c->fd, SHUT_RDWR);
    }
    if (invoke_accept_thread.joinable()) invoke_accept_thread.join();
    if (api_accept_thread.joinable()) api_accept_thread.join();
    if (event_thread.joinable()) event_thread.join();  // every wait of its invocation wakes for `stopping`
    // The accept threads are gone: nobody else touches the list now.
    for (auto& c : connections)
        if (c->thread.joinable()) c->thread.join();
    child.join_reaper();
    output.stop();  // what the runtime wrote last is passed on
    telemetry.stop();
    connections.clear();
    boost::system::error_code ignored;
    invoke_acceptor.close(ignored);
    api_acceptor.close(ignored);
    {
        std::lock_guard lk(m);
        stopped = true;
        invocations.clear();
        queued_events.clear();
    }
    cv.notify_all();
}

void emulator::impl::wait() {
    std::unique_lock lk(m);
    cv.wait(lk, [&] { return stopped; });
}

void emulator::impl::accept_loop(tcp::acceptor& acceptor, bool runtime_api) {
    using namespace std::chrono_literals;
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
        detail::set_cloexec(conn->fd);
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

void emulator::impl::join_finished_connections_locked() {
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

void emulator::impl::serve(connection& c, bool runtime_api) {
    try {
        if (runtime_api)
            serve_runtime_api(c);
        else if (opts.api_gateway != api_gateway_payload::none)
            serve_api(c);
        else
            serve_invoke(c);
    } catch (const std::exception&) {
        // e.g. bad_alloc: drop this connection, keep serving the others
    }
    ::shutdown(c.fd, SHUT_RDWR);
    std::lock_guard lk(m);
    c.done = true;
}

bool emulator::impl::connection_is_stale_locked(const connection& c) const {
    return !external && (c.generation != child.generation || !child.alive);
}

// After answering a caller with the lock released: takes the lock back and marks the connection as no
// longer answering (stop() waits for that); whether it may serve another request.
bool emulator::impl::done_answering(std::unique_lock<std::mutex>& lk, connection& c, bool usable) {
    lk.lock();
    c.answering = false;
    cv.notify_all();
    return usable && !stopping;
}

std::string emulator::impl::function_arn() const {
    return "arn:aws:lambda:" + opts.region + ":012345678912:function:" + opts.function_name;
}

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
