// Small text helpers of the emulator: error bodies, ids (and the runtime's base64). Internal; may change without notice.
#pragma once

#include "runtime/base64.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace lambda_py27::testing::detail {

/// Standard base64, the runtime's (runtime/base64.hpp).
using lambda_py27::detail::base64_decode;
using lambda_py27::detail::base64_encode;

/// `{"errorType": type, "errorMessage": message}`, as every error answer of the emulator.
std::string error_json(std::string_view type, std::string_view message);

/// `d` in seconds with two decimals, as Lambda prints timeouts: 1500 ms -> "1.50".
std::string seconds_with_two_decimals(std::chrono::milliseconds d);

/// ASCII case-insensitive equality and prefix test (HTTP field names and tokens).
bool iequals(std::string_view a, std::string_view b) noexcept;
bool istarts_with(std::string_view s, std::string_view prefix) noexcept;

/// A random UUID (version 4) in its 8-4-4-4-12 lowercase form, from two random 64-bit words.
std::string format_uuid(std::uint64_t hi, std::uint64_t lo);

/// An X-Ray trace header `Root=1-<epoch hex>-<24 hex>;Parent=<16 hex>;Sampled=0`.
std::string format_trace_id(std::uint64_t epoch_seconds, std::uint64_t r1, std::uint64_t r2, std::uint64_t r3);

/// Replaces control characters (CR, LF, NUL, ...) by spaces, so the text can be a header value.
/// In JSON text such characters are only ever insignificant whitespace.
std::string header_safe(std::string_view text);

}  // namespace lambda_py27::testing::detail
