// float.__repr__ for json_dumps (private to lambda_py27::python).
#pragma once

#include "json_sink.hpp"

namespace lambda_py27::python::detail {

/// Appends float.__repr__ of `v` (Python 2.7's), or for a non-finite value the names json.dumps writes
/// with allow_nan (NaN, Infinity, -Infinity). Always true (the encoder's calls read as the others).
bool append_float(json_sink& out, double v);

}  // namespace lambda_py27::python::detail
