// The emulator's HTTP request parser: Beast's basic_parser, with the fields stored here rather than in
// `http::fields` (whose uint16 offsets throw std::length_error for a field of 64 KiB or more), and with
// bounds on what Beast leaves unbounded (chunk extensions, trailers). Internal.
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace lambda_py27::testing::detail {

/// One header (or trailer) field's value: an X-Ray error cause may be 1 MiB, plus room for its name.
inline constexpr std::size_t max_field_bytes = 1024 * 1024 + 64 * 1024;
/// The whole header section (Beast's header_limit).
inline constexpr std::uint32_t max_header_bytes = 2 * 1024 * 1024;
/// One chunk's extensions (`;name=value...` after the chunk size).
inline constexpr std::size_t max_chunk_extension_bytes = 4 * 1024;
/// All trailer fields of a chunked body together (a streamed error body travels in one).
inline constexpr std::size_t max_trailer_bytes = 2 * 1024 * 1024;
/// The read buffer of a connection: a header section, a chunk line or a trailer section must fit, so
/// none of them can make the emulator buffer more than this.
inline constexpr std::size_t max_buffered_bytes = max_header_bytes + 64 * 1024;

class request_parser final : public boost::beast::http::basic_parser<true> {
public:
    using chunk_callback =
        std::function<std::size_t(std::uint64_t remain, boost::beast::string_view piece, boost::beast::error_code& ec)>;

    request_parser();

    /// The request itself (the parser is its own message, as Beast's request_parser::get() gives one).
    const request_parser& get() const noexcept { return *this; }

    boost::beast::http::verb method() const noexcept { return method_; }
    boost::beast::string_view target() const noexcept { return target_; }
    /// The method as sent (`POST`; also one Beast has no verb for).
    const std::string& method_string() const noexcept { return method_string_; }
    /// 11 for HTTP/1.1, 10 for HTTP/1.0.
    int version() const noexcept { return version_; }
    /// Every field read so far, names as sent, in order: the headers, then a chunked body's trailers.
    const std::vector<std::pair<std::string, std::string>>& fields() const noexcept { return fields_; }
    /// The first field of that name (headers, then trailers), or an empty view.
    boost::beast::string_view operator[](boost::beast::string_view name) const noexcept;
    boost::beast::string_view operator[](boost::beast::http::field name) const noexcept;

    /// Where the next body bytes go, as Beast's buffer_body: `body_left()` is what is still free.
    void body_buffer(char* data, std::size_t size) noexcept {
        body_data_ = data;
        body_size_ = size;
    }
    std::size_t body_left() const noexcept { return body_size_; }

    /// Chunk bodies go to `f` (kept by reference) instead of the body buffer.
    template <class F>
    void on_chunk_body(F& f) {
        chunk_cb_ = std::ref(f);
    }

    /// The error that ended the last read of this request (set by the readers in emulator_http).
    boost::beast::error_code read_error;

private:
    void on_request_impl(boost::beast::http::verb method, boost::beast::string_view method_str,
                         boost::beast::string_view target, int version, boost::beast::error_code& ec) override;
    void on_response_impl(int, boost::beast::string_view, int, boost::beast::error_code& ec) override;
    void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                       boost::beast::string_view value, boost::beast::error_code& ec) override;
    void on_header_impl(boost::beast::error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>&, boost::beast::error_code&) override {}
    std::size_t on_body_impl(boost::beast::string_view s, boost::beast::error_code& ec) override;
    void on_chunk_header_impl(std::uint64_t size, boost::beast::string_view extensions,
                              boost::beast::error_code& ec) override;
    std::size_t on_chunk_body_impl(std::uint64_t remain, boost::beast::string_view s,
                                   boost::beast::error_code& ec) override;
    void on_finish_impl(boost::beast::error_code&) override {}

    boost::beast::http::verb method_ = boost::beast::http::verb::unknown;
    std::string target_;
    std::string method_string_;
    int version_ = 11;
    std::vector<std::pair<std::string, std::string>> fields_;  // headers, then trailers
    std::size_t trailer_bytes_ = 0;
    char* body_data_ = nullptr;
    std::size_t body_size_ = 0;
    chunk_callback chunk_cb_;
};

/// The status a request that failed to be read with `ec` is answered with: 431 for a header section or
/// field too large, 413 for a body over a parser limit, 400 for anything malformed, 0 when there is no one
/// to answer (the connection closed between requests or broke).
unsigned status_for_read_error(const request_parser& p, const boost::beast::error_code& ec);

}  // namespace lambda_py27::testing::detail
