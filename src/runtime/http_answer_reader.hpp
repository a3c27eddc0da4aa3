// The plain answer, read without the general parser.
//
// The Runtime API answers in one shape: "HTTP/1.1 <status> <reason>", a few header lines, a
// Content-Length body. Such an answer is read here in a few hundred instructions (Beast's parser spends
// about 800 per header line: half of a no-op invocation's user time). Anything else (HTTP/1.0, chunked,
// no Content-Length, obs-fold, a byte outside printable ASCII in the head, a repeated Content-Length or
// Connection, a repeated request id, 1xx/204/304, an over-long head or body) goes to Beast's parser, from the first byte, so
// the fast path never decides what the general one would decide differently
// (fuzz/fuzz_answer_reader_vs_beast.cpp checks that claim).
#pragma once

#include <lambda_py27/runtime/invocation.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/read.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace lambda_py27::detail {

/// What a plain head says.
struct plain_head {
    int status = 0;
    std::uint64_t content_length = 0;
    bool keep_alive = true;
};

/// Parses `head` (the bytes up to and including the blank line; every LF in it is preceded by CR) when it
/// is plain; stores the fields of `/next` into `inv` (when not null). False: not plain (nothing is decided;
/// `inv` may hold some fields).
bool parse_plain_head(std::string_view head, invocation* inv, plain_head& out);

/// A head longer than this is left to Beast's parser.
inline constexpr std::size_t plain_head_limit = 16 * 1024;

enum class read_outcome { done, not_plain, failed };

/// Reads an answer the way the Runtime API sends it (see parse_plain_head) from `stream`: the head into
/// `buffer`, then the body straight into `body`. `done`: `status` and `keep_alive` are set.
/// `not_plain`: the bytes read so far are left in `buffer` for Beast's parser. `failed`: `ec` is set,
/// `got_some` tells whether any byte of the answer came.
///
/// The head must come whole with the first read (the API writes it at once; up to `plain_head_limit`
/// bytes are asked for). A head that comes in pieces goes to Beast as it is: bytes that already cannot
/// start an answer (a bad status line, a bad header line) are Beast's to refuse at once, and the verdict
/// on a connection lost mid-head, "lost" or "not understood", is Beast's to give too.
template <class SyncReadStream>
read_outcome read_plain_answer(SyncReadStream& stream, boost::beast::flat_buffer& buffer, invocation* inv,
                               std::string& body, std::uint64_t body_limit_bytes, int& status, bool& keep_alive,
                               bool& got_some, boost::system::error_code& ec) {
    if (buffer.size() == 0) {
        const std::size_t n = stream.read_some(buffer.prepare(plain_head_limit), ec);
        if (ec) {
            got_some = false;
            return read_outcome::failed;
        }
        buffer.commit(n);
    }
    got_some = buffer.size() != 0;
    const auto* data = static_cast<const char*>(buffer.data().data());
    const std::size_t size = buffer.size();
    // Each line feed must follow a carriage return (else Beast's parser refuses the answer); the first one
    // that ends an empty line ends the head.
    std::size_t head_size = 0;
    for (const char* lf = data;
         size != 0 &&
         (lf = static_cast<const char*>(std::memchr(lf, '\n', size - static_cast<std::size_t>(lf - data))));
         ++lf) {
        if (lf == data || lf[-1] != '\r') return read_outcome::not_plain;
        if (lf - data >= 3 && lf[-2] == '\n') {
            head_size = static_cast<std::size_t>(lf - data) + 1;
            break;
        }
    }
    if (head_size == 0) return read_outcome::not_plain;
    plain_head head;
    if (!parse_plain_head(std::string_view(data, head_size), inv, head) || head.content_length > body_limit_bytes)
        return read_outcome::not_plain;
    status = head.status;
    keep_alive = head.keep_alive;
    buffer.consume(head_size);
    const auto length = static_cast<std::size_t>(head.content_length);
    body.resize(length);
    const std::size_t have = buffer.size() < length ? buffer.size() : length;
    std::memcpy(body.data(), buffer.data().data(), have);
    buffer.consume(have);
    if (have < length) {
        boost::asio::read(stream, boost::asio::buffer(body.data() + have, length - have), ec);
        if (ec) {
            if (ec == boost::asio::error::eof) ec = boost::beast::http::error::partial_message;
            return read_outcome::failed;
        }
    }
    return read_outcome::done;
}

}  // namespace lambda_py27::detail
