#include "answer_parser.hpp"

#include "runtime_fields.hpp"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>

namespace lambda_py27::detail {

namespace http = boost::beast::http;

void answer_parser::on_request_impl(http::verb, boost::beast::string_view, boost::beast::string_view, int,
                                    boost::system::error_code& ec) {
    ec = http::error::bad_method;  // unreachable for a response parser
}

void answer_parser::on_response_impl(int code, boost::beast::string_view, int, boost::system::error_code&) {
    status_ = code;
}

void answer_parser::on_field_impl(http::field name, boost::beast::string_view name_string,
                                  boost::beast::string_view value, boost::system::error_code& ec) {
    if (inv_ == nullptr) return;
    if (name == http::field::content_type) {
        inv_->content_type.assign(value.data(), value.size());
        return;
    }
    // The Runtime API's own headers are all unknown to Beast.
    if (name == http::field::unknown &&
        store_runtime_field(inv_, {name_string.data(), name_string.size()}, {value.data(), value.size()}) ==
            runtime_field::request_id) {
        if (have_request_id_) {
            ec = http::error::bad_field;  // a second request id (see runtime_field::request_id)
            inv_->request_id.clear();
        }
        have_request_id_ = true;
    }
}

void answer_parser::on_header_impl(boost::system::error_code&) {}

void answer_parser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      boost::system::error_code&) {
    // The parser already refused a length above the body limit.
    if (content_length) body_.reserve(static_cast<std::size_t>(*content_length));
}

std::size_t answer_parser::on_body_impl(boost::beast::string_view s, boost::system::error_code&) {
    body_.append(s.data(), s.size());
    return s.size();
}

void answer_parser::on_chunk_header_impl(std::uint64_t, boost::beast::string_view, boost::system::error_code&) {}

std::size_t answer_parser::on_chunk_body_impl(std::uint64_t, boost::beast::string_view s, boost::system::error_code&) {
    body_.append(s.data(), s.size());
    return s.size();
}

void answer_parser::on_finish_impl(boost::system::error_code&) {}

}  // namespace lambda_py27::detail
