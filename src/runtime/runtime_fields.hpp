// The Runtime API's own headers of a `/next` answer (`Lambda-Runtime-*`), stored into an invocation. Both
// answer readers (http_answer_reader.hpp, answer_parser.hpp) go through here, so they store alike.
#pragma once

#include "header_text.hpp"

#include <lambda_py27/runtime/invocation.hpp>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace lambda_py27::detail {
// Internal linkage, as when these were file-local: the compiler then inlines them where it did then (a
// function with external linkage is not given the "called once" inlining, and a no-op invocation pays
// for it; see runtime_bench under callgrind).
namespace {

/// `Lambda-Runtime-Deadline-Ms` as a number; 0 when it is not a positive decimal number.
inline std::int64_t parse_deadline(std::string_view v) noexcept {
    std::int64_t ms = 0;
    const auto [ptr, err] = std::from_chars(v.data(), v.data() + v.size(), ms);
    return (err == std::errc{} && ptr == v.data() + v.size() && ms > 0) ? ms : 0;
}

/// What store_runtime_field found.
enum class runtime_field {
    other,   ///< not a header of the Runtime API's: ignored
    stored,  ///< one of them (then made of token characters: see name_is), stored
    /// `Lambda-Runtime-Aws-Request-Id`, stored. The reader refuses the answer when it comes twice, even
    /// with one value: RFC 9110 §5.3 reads two lines as one value "a, a", which is no request id.
    request_id,
};

/// Stores a `Lambda-Runtime-*` header of `/next` into `inv` (when not null).
inline runtime_field store_runtime_field(invocation* inv, std::string_view name, std::string_view v) {
    // The headers of interest all start with "Lambda-Runtime-" and differ in length but for two:
    // the length picks the candidate, one comparison confirms it.
    std::string invocation::*target = nullptr;
    std::string_view expected;
    switch (name.size()) {
        case 29:
            if ((name[15] | 0x20) == 'a') {
                target = &invocation::request_id;
                expected = "Lambda-Runtime-Aws-Request-Id";
            } else {
                target = &invocation::client_context;
                expected = "Lambda-Runtime-Client-Context";
            }
            break;
        case 26:
            if (!name_is(name, "Lambda-Runtime-Deadline-Ms")) return runtime_field::other;
            if (inv != nullptr) inv->deadline_ms = parse_deadline(v);
            return runtime_field::stored;
        case 35:
            target = &invocation::function_arn;
            expected = "Lambda-Runtime-Invoked-Function-Arn";
            break;
        case 23:
            target = &invocation::trace_id;
            expected = "Lambda-Runtime-Trace-Id";
            break;
        case 31:
            target = &invocation::cognito_identity;
            expected = "Lambda-Runtime-Cognito-Identity";
            break;
        case 28:
            target = &invocation::tenant_id;
            expected = "Lambda-Runtime-Aws-Tenant-Id";
            break;
        default: return runtime_field::other;
    }
    if (!name_is(name, expected)) return runtime_field::other;
    if (inv != nullptr) (inv->*target).assign(v);
    return target == &invocation::request_id ? runtime_field::request_id : runtime_field::stored;
}

}  // namespace
}  // namespace lambda_py27::detail
