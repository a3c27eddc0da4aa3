#include "request_parser.hpp"

#include "testing/text.hpp"

#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <cstring>

namespace lambda_py27::testing::detail {

namespace http = boost::beast::http;
using boost::beast::string_view;

request_parser::request_parser() {
    header_limit(max_header_bytes);
    body_limit(boost::none);  // bodies are bounded by their readers, which drain what they refuse
}

string_view request_parser::operator[](string_view name) const noexcept {
    const std::string_view n(name.data(), name.size());
    for (const auto& [k, v] : fields_)
        if (iequals(k, n)) return {v.data(), v.size()};
    return {};
}

string_view request_parser::operator[](http::field name) const noexcept { return (*this)[http::to_string(name)]; }

void request_parser::on_request_impl(http::verb method, string_view method_str, string_view target, int version,
                                     boost::beast::error_code&) {
    method_ = method;
    method_string_.assign(method_str.data(), method_str.size());
    version_ = version;
    target_.assign(target.data(), target.size());
}

void request_parser::on_response_impl(int, string_view, int, boost::beast::error_code& ec) {
    ec = http::error::bad_method;  // unreachable for a request parser
}

void request_parser::on_field_impl(http::field, string_view name, string_view value, boost::beast::error_code& ec) {
    if (value.size() > max_field_bytes) {
        ec = http::error::header_limit;
        return;
    }
    if (is_header_done()) {  // a trailer
        trailer_bytes_ += name.size() + value.size() + 4;
        if (trailer_bytes_ > max_trailer_bytes) {
            ec = http::error::header_limit;
            return;
        }
    }
    fields_.emplace_back(std::string(name.data(), name.size()), std::string(value.data(), value.size()));
}

std::size_t request_parser::on_body_impl(string_view s, boost::beast::error_code& ec) {
    if (body_size_ == 0) {
        ec = http::error::need_buffer;
        return 0;
    }
    const auto n = std::min(body_size_, s.size());
    std::memcpy(body_data_, s.data(), n);
    body_data_ += n;
    body_size_ -= n;
    return n;
}

void request_parser::on_chunk_header_impl(std::uint64_t, string_view extensions, boost::beast::error_code& ec) {
    if (extensions.size() > max_chunk_extension_bytes) ec = http::error::bad_chunk_extension;
}

std::size_t request_parser::on_chunk_body_impl(std::uint64_t remain, string_view s, boost::beast::error_code& ec) {
    if (chunk_cb_) return chunk_cb_(remain, s, ec);
    return on_body_impl(s, ec);
}

unsigned status_for_read_error(const request_parser& p, const boost::beast::error_code& ec) {
    if (!ec || ec == http::error::end_of_stream) return 0;
    if (ec.category() != make_error_code(http::error::end_of_stream).category()) return 0;  // the connection broke
    if (!p.is_header_done() && (ec == http::error::header_limit || ec == http::error::buffer_overflow)) return 431;
    if (ec == http::error::body_limit) return 413;
    return 400;
}

}  // namespace lambda_py27::testing::detail
