// runtime_client's streamed upload: a chunked POST /response in streaming mode, written straight to the
// client's connection.
#include <lambda_py27/runtime/runtime_client.hpp>

#include "answer_parser.hpp"
#include "base64.hpp"
#include "header_text.hpp"
#include "request_head.hpp"
#include "runtime_client_impl.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>

#include <array>
#include <charconv>

namespace lambda_py27 {

namespace net = boost::asio;
namespace http = boost::beast::http;

class runtime_client::stream final : public response_stream {
public:
    explicit stream(impl& d) : d_(d) {}
    ~stream() override {
        // Half a request on the wire: the connection cannot carry another; what was sent still arrives.
        if (!ended_) d_.connection.abandon(std::chrono::milliseconds(100));
    }
    stream(const stream&) = delete;
    stream& operator=(const stream&) = delete;

    // Connects (or checks the idle connection) and sends the request head, with the retry rules of a
    // post: a head that could not be written at all on a reused connection is sent once more on a new one.
    std::error_code open(std::string_view head) {
        return d_.connection.round_trip(
            head, {}, false, [](detail::signal_safe_stream&, boost::beast::flat_buffer&, boost::system::error_code&) {
                return detail::answer_read{};
            });
    }

    void write(std::string_view data, std::error_code& ec) override {
        ec.clear();
        if (ended_) {
            ec = errc::invalid_state_transition;
            return;
        }
        if (data.empty()) return;
        char size[24];
        const auto [end, err] = std::to_chars(size, size + sizeof size - 2, data.size(), 16);
        (void)err;
        char* p = end;
        *p++ = '\r';
        *p++ = '\n';
        send({net::buffer(size, static_cast<std::size_t>(p - size)), net::buffer(data.data(), data.size()),
              net::buffer("\r\n", 2)},
             ec);
    }

    void finish(std::error_code& ec) override { end("0\r\n\r\n", ec); }

    void fail(std::string_view error_type, std::string_view error_body, std::error_code& ec) override {
        std::string last = "0\r\n";
        detail::append_optional_header(last, "Lambda-Runtime-Function-Error-Type: ", error_type);
        last.append("Lambda-Runtime-Function-Error-Body: ")
            .append(detail::base64_encode(error_body))
            .append("\r\n\r\n");
        end(last, ec);
    }

private:
    void send(const std::array<net::const_buffer, 3>& buffers, std::error_code& ec) {
        boost::system::error_code bec;
        detail::signal_safe_stream s{d_.connection.socket()};
        net::write(s, buffers, bec);
        if (bec) {
            ended_ = true;
            d_.connection.close();
            ec = errc::api_unavailable;
        }
    }

    // Sends the last chunk (and trailers), then reads the API's answer.
    void end(std::string_view last, std::error_code& ec) {
        ec.clear();
        if (ended_) {
            ec = errc::invalid_state_transition;
            return;
        }
        send({net::buffer(last.data(), last.size()), net::const_buffer(), net::const_buffer()}, ec);
        if (ec) return;
        ended_ = true;
        boost::system::error_code bec;
        detail::signal_safe_stream s{d_.connection.socket()};
        auto& buffer = d_.connection.buffer();
        int status = 0;
        bool keep_alive = true;
        for (int interim = 0;; ++interim) {  // interim (1xx) answers first: see runtime_client::impl::exchange
            d_.answer_body.clear();
            detail::answer_parser parser(nullptr, d_.answer_body, detail::answer_body_limit);
            http::read(s, buffer, parser, bec);
            if (bec) break;
            status = parser.status();
            keep_alive = parser.keep_alive();
            if (!detail::is_interim_status(status)) break;
            if (interim == detail::max_interim_answers) {
                bec = http::error::bad_status;
                break;
            }
        }
        if (bec) {
            d_.connection.close();
            ec = detail::is_connection_lost(bec) ? errc::api_unavailable : errc::protocol_error;
            return;
        }
        if (!keep_alive || buffer.size() != 0) d_.connection.close();
        if (status / 100 != 2) ec = d_.status_error(status, d_.answer_body);
    }

    impl& d_;
    bool ended_ = false;
};

std::unique_ptr<response_stream> runtime_client::begin_stream(std::string_view request_id,
                                                              std::string_view content_type, std::error_code& ec) {
    auto& d = *impl_;
    d.last_error_type.clear();
    d.last_status = 0;
    ec.clear();
    if (!is_valid_request_id(request_id)) {
        ec = errc::bad_request_id;
        return nullptr;
    }
    const std::string& head = d.heads.streamed_response(request_id, content_type);
    auto s = std::make_unique<stream>(d);
    ec = s->open(head);
    if (ec) return nullptr;
    return s;
}

}  // namespace lambda_py27
