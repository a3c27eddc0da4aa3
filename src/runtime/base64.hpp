// Standard base64 (RFC 4648 alphabet): the streamed error body's trailer, and the emulator's client
// contexts and log tails. Internal.
#pragma once

#include <string>
#include <string_view>

namespace lambda_py27::detail {

/// Standard base64 of `data`, with padding.
std::string base64_encode(std::string_view data);

/// Decodes standard base64; padding is optional, nothing else (no whitespace) is accepted.
/// Returns false, leaving `out` unspecified, on malformed input.
bool base64_decode(std::string_view text, std::string& out);

}  // namespace lambda_py27::detail
