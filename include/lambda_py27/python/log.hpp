// Where the Python layer's log records go.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace lambda_py27::python {

/// Receives one complete log record (newlines included as the record has them).
using log_sink = std::function<void(std::string_view)>;

/// A record's level, as the platform's telemetry log frames carry it (the encoding of AWS's runtimes).
/// `plain`: a record with no level (text as the function wrote it: `context.log`, legacy `logging` lines).
enum class log_level : int { plain = -1, notset = 0, trace = 1, debug = 2, info = 3, warn = 4, error = 5, fatal = 6 };

/// The level of a Python `logging` level number: rounded down to tens from 0 to 50, as AWS's runtimes do.
log_level log_level_of(int python_levelno) noexcept;

/// Replaces the sink of the runtime's own records: `logging` records, `context.log`, handler faults and
/// exception reports. The default writes each record to file descriptor 1 at once (no buffering), or, once
/// `adopt_telemetry_log()` took the platform's telemetry log descriptor, as one frame there.
/// Passing an empty function restores the default. Not thread-safe against concurrent logging.
void set_log_sink(log_sink sink);

/// Writes one record to the current sink; `level` only matters to the telemetry log's frames.
void write_log(std::string_view record, log_level level = log_level::plain);

/// When the platform gives the runtime a telemetry log descriptor (`_LAMBDA_TELEMETRY_LOG_FD`, as Lambda
/// does for its managed runtimes), takes it: the variable leaves the environment, the descriptor is made
/// close-on-exec (child processes inherit neither), and the default sink writes every record there as one
/// frame, so a multi-line record stays one log event. The format bit of levelled frames follows
/// `AWS_LAMBDA_LOG_FORMAT`. Returns whether a descriptor was taken; a value that is not an open descriptor
/// is removed and ignored, with a line on stderr. `run_bootstrap` calls it before the interpreter starts.
bool adopt_telemetry_log();

/// The frame of one record on the telemetry log: big-endian 4-byte type (`0xA55A0003` for a plain record;
/// else `0xA55A0002 | level << 2 | (json ? 0 : 1)`), 4-byte length, 8-byte timestamp in microseconds
/// since the epoch, then the record's bytes.
std::string telemetry_log_frame(std::string_view record, log_level level, bool json, std::uint64_t micros);

/// The request id of the invocation in progress (empty before the first one); `logging` records carry it.
const std::string& current_request_id() noexcept;
/// Sets the request id that log records carry.
void set_current_request_id(std::string_view id);

}  // namespace lambda_py27::python
