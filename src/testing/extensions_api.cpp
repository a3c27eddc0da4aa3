// The Extensions API beside the Runtime API, as much of it as an internal extension uses.
#include "emulator_impl.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace lambda_py27::testing {

namespace {

namespace http = detail::http;
using detail::body_read;

}  // namespace

// `rest`: the path after /2020-01-01/extension/.
bool emulator::impl::handle_extension(connection& c, flat_buffer& buffer, request_parser& p, std::string_view rest) {
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
    return detail::refuse(c.socket, buffer, p, 404, "NotFound",
                          "Unknown Extensions API path: /2020-01-01/extension/" + std::string(rest));
}

bool emulator::impl::handle_register(connection& c, flat_buffer& buffer, request_parser& p) {
    const std::string name(detail::sv(p.get()["Lambda-Extension-Name"]));
    if (name.empty())
        return detail::refuse(c.socket, buffer, p, 400, "InvalidRequest", "Lambda-Extension-Name is required");
    std::string ignored;
    const auto r = detail::read_body(c.socket, buffer, p, 64 * 1024, ignored);
    if (r == body_read::failed) return detail::answer_read_error(c.socket, p);
    if (r != body_read::ok) return false;
    const bool keep_alive = p.get().keep_alive();
    std::unique_lock lk(m);
    if (!external && connection_is_stale_locked(c)) return false;
    if (!external && child.init_done) {  // registration belongs to the init phase
        lk.unlock();
        return detail::reply_error(c.socket, 403, "InvalidStateTransition",
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
    auto res = detail::make_response(200, boost::json::serialize(info), keep_alive);
    res.set("Lambda-Extension-Identifier", id);
    return detail::write_response(c.socket, res) && keep_alive;
}

// An internal extension subscribed to no events: its /event/next is never answered; it ends with the
// runtime (or the emulator).
bool emulator::impl::handle_extension_next(connection& c, flat_buffer& buffer, request_parser& p) {
    const std::string id(detail::sv(p.get()["Lambda-Extension-Identifier"]));
    std::string ignored;
    if (detail::read_body(c.socket, buffer, p, 0, ignored) == body_read::failed)
        return detail::answer_read_error(c.socket, p);
    std::unique_lock lk(m);
    if (!external && child.extension_ids.count(id) == 0) {
        lk.unlock();
        return detail::reply_error(c.socket, 403, "Extension.UnknownExtensionIdentifier",
                                   "Unknown Lambda-Extension-Identifier: " + id, p.get().keep_alive()) &&
               p.get().keep_alive();
    }
    while (!stopping && !connection_is_stale_locked(c) && !detail::peer_closed(c.fd))
        cv.wait_for(lk, detail::peer_check_interval);
    return false;
}

}  // namespace lambda_py27::testing
