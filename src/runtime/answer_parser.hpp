// Beast's general HTTP parser, made to store a Runtime API answer where the runtime wants it: for every
// answer the plain reader (http_answer_reader.hpp) leaves to it, and for the answer to a streamed upload.
#pragma once

#include <lambda_py27/runtime/invocation.hpp>

#include <boost/beast/http/basic_parser.hpp>

#include <cstdint>
#include <string>

namespace lambda_py27::detail {

/// Header lines the API sends are small; a megabyte-long one is a broken or hostile peer.
inline constexpr std::uint32_t max_header_bytes = 64 * 1024;

/// Interim answers (1xx but 101) skipped before the final one, as RFC 9110 §15.2 asks of a client; a
/// peer that sends more never answers, and is a protocol error rather than a loop without end.
inline constexpr int max_interim_answers = 16;

/// True for an interim answer's status. 101 (Switching Protocols) ends HTTP on the connection: the client
/// never asks for it, so it is no interim answer but one that cannot be understood.
inline bool is_interim_status(int status) noexcept { return status >= 100 && status < 200 && status != 101; }

/// Reads one answer of the Runtime API without building a generic message: the headers the runtime
/// needs go straight into their destination strings, whose capacity survives from call to call, so a
/// steady-state `next()` allocates nothing.
class answer_parser final : public boost::beast::http::basic_parser<false> {
public:
    /// `inv`: where the headers of `/next` go (nullptr for the answer to a post). `body`: the body.
    answer_parser(invocation* inv, std::string& body, std::uint64_t body_limit_bytes) : inv_(inv), body_(body) {
        header_limit(max_header_bytes);
        body_limit(body_limit_bytes);
    }

    int status() const noexcept { return status_; }

private:
    void on_request_impl(boost::beast::http::verb, boost::beast::string_view, boost::beast::string_view, int,
                         boost::system::error_code& ec) override;
    void on_response_impl(int code, boost::beast::string_view, int, boost::system::error_code&) override;
    void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                       boost::beast::string_view value, boost::system::error_code&) override;
    void on_header_impl(boost::system::error_code&) override;
    void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, boost::system::error_code&) override;
    std::size_t on_body_impl(boost::beast::string_view s, boost::system::error_code&) override;
    void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, boost::system::error_code&) override;
    std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view s, boost::system::error_code&) override;
    void on_finish_impl(boost::system::error_code&) override;

    invocation* inv_;
    std::string& body_;
    int status_ = 0;
    bool have_request_id_ = false;
};

}  // namespace lambda_py27::detail
