// JSON text for the few documents the runtime layer writes itself (error bodies), with no JSON library.
#pragma once

#include <string>
#include <string_view>

namespace lambda_py27::detail {

/// `s` as the inside of a JSON string. Bytes that are not UTF-8 (an exception message in Latin-1, say)
/// become U+FFFD, so the document stays valid JSON.
std::string json_escape(std::string_view s);

/// True when `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates).
bool is_utf8(std::string_view s) noexcept;

/// `s` as a quoted JSON string.
std::string json_string(std::string_view s);

}  // namespace lambda_py27::detail
