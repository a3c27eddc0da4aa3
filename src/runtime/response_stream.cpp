#include <lambda_py27/runtime/response_stream.hpp>

#include <lambda_py27/runtime/runtime_client.hpp>
#include "runtime/json_text.hpp"

namespace lambda_py27 {

namespace detail {

std::string http_integration_prelude(std::string_view prelude_json) {
    std::string out(prelude_json);
    out.append(8, '\0');
    return out;
}

}  // namespace detail

namespace {

// The stream of a client that cannot stream: chunks are collected and posted as one answer.
class buffered_stream final : public response_stream {
public:
    buffered_stream(api_client& client, std::string_view request_id, std::string_view content_type)
        : client_(client), request_id_(request_id), content_type_(content_type) {}

    void write(std::string_view data, std::error_code& ec) override {
        ec.clear();
        body_.append(data);
    }
    void finish(std::error_code& ec) override { client_.post_response(request_id_, body_, content_type_, ec); }
    void fail(std::string_view error_type, std::string_view error_body, std::error_code& ec) override {
        client_.post_error(request_id_, error_body, error_type, {}, ec);
    }

private:
    api_client& client_;
    std::string request_id_;
    std::string content_type_;
    std::string body_;
};

thread_local response_writer* current_writer = nullptr;

}  // namespace

std::unique_ptr<response_stream> api_client::begin_stream(std::string_view request_id, std::string_view content_type,
                                                          std::error_code& ec) {
    ec.clear();
    return std::make_unique<buffered_stream>(*this, request_id, content_type);
}

response_writer::response_writer(api_client& client, std::string request_id)
    : client_(client), request_id_(std::move(request_id)) {}

response_writer::~response_writer() = default;

void response_writer::reset(std::string_view request_id) {
    stream_.reset();
    request_id_.assign(request_id);
    started_ = ended_ = false;
    written_ = 0;
    error_.clear();
}

response_writer* response_writer::current() noexcept { return current_writer; }

response_writer::scope::scope(response_writer& w) noexcept : previous_(current_writer) { current_writer = &w; }
response_writer::scope::~scope() { current_writer = previous_; }

void response_writer::begin(std::string_view content_type, std::error_code& ec) {
    ec.clear();
    if (started_) {
        if (ended_) ec = error_ ? error_ : make_error_code(errc::invalid_state_transition);
        return;
    }
    started_ = true;
    stream_ = client_.begin_stream(request_id_, content_type, ec);
    if (ec) {
        ended_ = true;
        error_ = ec;
        stream_.reset();
    }
}

void response_writer::begin(std::string_view content_type) {
    std::error_code ec;
    begin(content_type, ec);
    if (ec) throw std::system_error(ec, "response stream: begin");
}

void response_writer::write(std::string_view data, std::error_code& ec) {
    if (!started_) begin("application/octet-stream", ec);
    if (ec) return;
    if (ended_) {
        ec = error_ ? error_ : make_error_code(errc::invalid_state_transition);
        return;
    }
    if (data.size() > max_streamed_response_bytes - written_) {
        // Cut: the caller learns it here, the API (and the invoker) from the trailers.
        const std::string message = "Response payload size exceeded maximum allowed payload size (" +
                                    std::to_string(max_streamed_response_bytes) + " bytes).";
        std::error_code ignored;
        fail("Function.ResponseSizeTooLarge",
             R"({"errorMessage": ")" + message + R"(", "errorType": "Function.ResponseSizeTooLarge"})", ignored);
        error_ = ec = make_error_code(errc::payload_too_large);
        return;
    }
    stream_->write(data, ec);
    if (ec) {
        ended_ = true;
        error_ = ec;
        stream_.reset();
        return;
    }
    written_ += data.size();
}

void response_writer::write(std::string_view data) {
    std::error_code ec;
    write(data, ec);
    if (ec) throw std::system_error(ec, "response stream: write");
}

void response_writer::finish(std::error_code& ec) {
    ec.clear();
    if (!started_ || ended_) return;
    ended_ = true;
    stream_->finish(ec);
    stream_.reset();
}

void response_writer::fail(std::string_view error_type, std::string_view error_body, std::error_code& ec) {
    ec.clear();
    if (!started_ || ended_) return;
    ended_ = true;
    stream_->fail(error_type.empty() ? std::string_view("Unhandled") : error_type, error_body, ec);
    stream_.reset();
}

}  // namespace lambda_py27
