// Python 2.7's parser accelerators, computed at build time (cmake/scripts/parser_accelerators.py). Internal.
#pragma once

namespace lambda_py27::python::detail {

/// Gives the embedded interpreter's grammar the accelerators computed at build time, so that the first
/// compilation from source (the function's .py module, at every cold start) does not build them
/// (750,000 instructions). Only when the grammar is exactly the one they were computed from (label
/// types, DFAs, states, arcs, FIRST sets; compared in full) and has none yet; otherwise the parser builds
/// its own as always. Returns whether they were installed. Call before anything is compiled, GIL held.
/// The tables are the library's static data: Python must never be finalised (as Boost.Python requires
/// anyway; Py_Finalize would free them).
bool install_parser_accelerators() noexcept;

}  // namespace lambda_py27::python::detail
