// Where the Python layer's log records go.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace lambda_py27::python {

/// Receives one complete log record (newlines included as the record has them).
using log_sink = std::function<void(std::string_view)>;

/// Replaces the sink of the runtime's own records: `logging` records, `context.log`, handler faults and
/// exception reports. The default writes each record to file descriptor 1 at once (no buffering).
/// Passing an empty function restores the default. Not thread-safe against concurrent logging.
void set_log_sink(log_sink sink);

/// Writes one record to the current sink.
void write_log(std::string_view record);

/// The request id of the invocation in progress (empty before the first one); `logging` records carry it.
const std::string& current_request_id() noexcept;
/// Sets the request id that log records carry.
void set_current_request_id(std::string_view id);

}  // namespace lambda_py27::python
