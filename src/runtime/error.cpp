#include <lambda_py27/runtime/error.hpp>

namespace lambda_py27 {
namespace {

class runtime_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "lambda_py27.runtime"; }

    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::api_unavailable: return "the Runtime API is unavailable";
            case errc::container_error: return "the Runtime API reported a container error (500 or another 5xx)";
            case errc::invalid_request_id: return "the Runtime API does not know the request id (400)";
            case errc::invalid_state_transition: return "the invocation was already answered (403)";
            case errc::payload_too_large: return "the payload exceeds the Runtime API's limit (413)";
            case errc::bad_request_id: return "the request id has characters the platform never uses";
            case errc::protocol_error: return "the Runtime API's answer could not be understood";
        }
        return "unknown lambda_py27.runtime error";
    }
};

}  // namespace

const std::error_category& runtime_category() noexcept {
    static const runtime_category_impl category;
    return category;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), runtime_category()}; }

}  // namespace lambda_py27
