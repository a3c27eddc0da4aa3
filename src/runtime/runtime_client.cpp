#include <lambda_py27/runtime/runtime_client.hpp>

#include "answer_parser.hpp"
#include "header_text.hpp"
#include "http_answer_reader.hpp"
#include "runtime_client_impl.hpp"
#include "tcp_endpoint.hpp"

#include <lambda_py27/version.hpp>

#include <boost/beast/http/read.hpp>
#include <boost/json/parse.hpp>

#include <cstdlib>
#include <stdexcept>

namespace lambda_py27 {

namespace http = boost::beast::http;

namespace {

detail::checked_endpoint check_endpoint(std::string endpoint, const std::string& user_agent) {
    detail::checked_endpoint out;
    if (!detail::split_endpoint(endpoint, out.host, out.port))
        throw std::invalid_argument("Runtime API endpoint must be host:port, got '" + endpoint + "'");
    if (detail::has_control_chars(endpoint) || endpoint.find(' ') != std::string::npos)
        throw std::invalid_argument("Runtime API endpoint has invalid characters");
    if (!detail::is_header_value(user_agent)) throw std::invalid_argument("User-Agent has control characters");
    out.endpoint = std::move(endpoint);
    return out;
}

}  // namespace

std::error_code runtime_client::impl::exchange(std::string_view head, std::string_view request_body, bool idempotent,
                                               invocation* inv, std::string& body, std::uint64_t body_limit_bytes,
                                               int& status) {
    return connection.round_trip(
        head, request_body, idempotent,
        [&](detail::signal_safe_stream& stream, boost::beast::flat_buffer& buffer, boost::system::error_code& ec) {
            detail::answer_read answer;
            for (int interim = 0;; ++interim) {
                if (inv != nullptr) inv->clear();
                body.clear();
                bool got_some = false;
                const detail::read_outcome outcome = detail::read_plain_answer(
                    stream, buffer, inv, body, body_limit_bytes, status, answer.keep_alive, got_some, ec);
                if (outcome == detail::read_outcome::not_plain) {  // interim answers come this way
                    if (inv != nullptr) inv->clear();
                    body.clear();
                    detail::answer_parser parser(inv, body, body_limit_bytes);
                    http::read(stream, buffer, parser, ec);
                    got_some = parser.got_some();
                    if (!ec) {
                        answer.keep_alive = parser.keep_alive();
                        status = parser.status();
                    }
                }
                answer.got_some = answer.got_some || got_some;
                if (ec || !detail::is_interim_status(status)) break;
                if (interim == detail::max_interim_answers) {
                    ec = http::error::bad_status;
                    break;
                }
            }
            if (ec && inv != nullptr) inv->clear();
            return answer;
        });
}

std::error_code runtime_client::impl::status_error(int status, std::string_view body) {
    boost::system::error_code jec;
    const auto doc = boost::json::parse(boost::json::string_view(body.data(), body.size()), jec);
    if (!jec && doc.is_object()) {
        if (const auto* t = doc.as_object().if_contains("errorType"); t && t->is_string())
            last_error_type.assign(t->as_string().data(), t->as_string().size());
    }
    last_status = status;
    switch (status) {
        case 400: return errc::invalid_request_id;
        case 403: return errc::invalid_state_transition;
        case 413: return errc::payload_too_large;
        // Any 5xx: the API (or what stands before it) failed on its side; RFC 9110 defines no status
        // above 599, so one of those is an answer that cannot be understood.
        default: return status >= 500 && status <= 599 ? errc::container_error : errc::protocol_error;
    }
}

void runtime_client::impl::post(std::string_view path, std::string_view request_id, std::string_view path_suffix,
                                std::string_view body, std::string_view content_type, std::string_view error_type,
                                std::string_view xray_cause, std::error_code& ec) {
    last_error_type.clear();
    last_status = 0;
    std::string& head = heads.post(path, request_id, path_suffix, content_type, body.size(), error_type, xray_cause);
    // A small body is copied behind the headers so the request leaves in one send().
    if (body.size() <= detail::inline_body_bytes) {
        head.append(body);
        body = {};
    }

    int status = 0;
    ec = exchange(head, body, false, nullptr, answer_body, detail::answer_body_limit, status);
    if (!ec && status / 100 != 2) ec = status_error(status, answer_body);
}

runtime_client::runtime_client(std::string endpoint, std::string user_agent)
    : impl_(std::make_unique<impl>(check_endpoint(std::move(endpoint), user_agent), user_agent)) {}
runtime_client::~runtime_client() = default;
runtime_client::runtime_client(runtime_client&&) noexcept = default;
runtime_client& runtime_client::operator=(runtime_client&&) noexcept = default;

runtime_client runtime_client::from_environment() {
    const char* ep = std::getenv("AWS_LAMBDA_RUNTIME_API");
    if (ep == nullptr || *ep == '\0') throw std::runtime_error("AWS_LAMBDA_RUNTIME_API is not set");
    return runtime_client(ep);
}

std::string runtime_client::default_user_agent() { return std::string("lambda-py27/") + version_string; }

const std::string& runtime_client::endpoint() const noexcept { return impl_->endpoint; }

std::string runtime_client::last_api_error_type() const { return impl_->last_error_type; }

int runtime_client::last_api_status() const { return impl_->last_status; }

void runtime_client::next(invocation& out, std::error_code& ec) {
    auto& d = *impl_;
    d.last_error_type.clear();
    d.last_status = 0;
    int status = 0;
    ec = d.exchange(d.heads.next(), {}, true, &out, out.body, detail::event_body_limit, status);
    if (ec) {
        out.clear();
        return;
    }
    if (status != 200) {
        ec = d.status_error(status, out.body);
        out.clear();
        // Only a 5xx means "exit"; any other status on /next is an API we do not understand.
        if (ec != errc::container_error) ec = errc::protocol_error;
        return;
    }
    if (out.content_type.empty()) out.content_type.assign("application/json");
    // These reach the process environment; a value with control characters is dropped, not copied.
    if (detail::has_control_chars(out.trace_id)) out.trace_id.clear();
    if (detail::has_control_chars(out.tenant_id)) out.tenant_id.clear();

    if (out.request_id.empty())
        ec = errc::protocol_error;
    else if (!is_valid_request_id(out.request_id))
        ec = errc::bad_request_id;
}

void runtime_client::post_response(std::string_view request_id, std::string_view body, std::string_view content_type,
                                   std::error_code& ec) {
    impl_->last_error_type.clear();
    impl_->last_status = 0;
    if (!is_valid_request_id(request_id)) {
        ec = errc::bad_request_id;
        return;
    }
    if (body.size() > max_response_bytes) {
        ec = errc::payload_too_large;
        return;
    }
    impl_->post("invocation/", request_id, "/response", body, content_type, {}, {}, ec);
}

void runtime_client::post_error(std::string_view request_id, std::string_view error_body, std::string_view error_type,
                                std::string_view xray_cause, std::error_code& ec) {
    impl_->last_error_type.clear();
    impl_->last_status = 0;
    if (!is_valid_request_id(request_id)) {
        ec = errc::bad_request_id;
        return;
    }
    impl_->post("invocation/", request_id, "/error", error_body, "application/json", error_type, xray_cause, ec);
}

void runtime_client::post_init_error(std::string_view error_body, std::string_view error_type, std::error_code& ec) {
    impl_->post("init/error", {}, {}, error_body, "application/json", error_type, {}, ec);
}

}  // namespace lambda_py27
