// The runtime's Python-side support module (src/python/support.py, compiled into the library).
#pragma once

#include <boost/python/object.hpp>

#include <cstddef>
#include <string>

namespace lambda_py27::python::detail {

/// The source of src/python/support.py (generated translation unit).
extern const char* const support_source;
/// Its code object, marshalled at build time (generated translation unit).
extern const unsigned char support_code[];
extern const std::size_t support_code_size;
/// A unit of the support code that support.py loads on first need (its `_unit`): `name` is 'optin'
/// (src/python/support_optin.py, the opt-in behaviour), 'errors' (src/python/support_errors.py, what
/// only a fault needs) or 'logging' (src/python/support_logging.py, the legacy logging handler, at the
/// function's first `import logging`); its source, and its code object marshalled at build time.
struct support_unit {
    const char* name;
    const char* source;
    const unsigned char* code;
    const std::size_t* code_size;
};
extern const support_unit support_units[3];

/// Module `_lambda_py27_support`, made from `support_code` on first use (GIL held); from
/// `support_source` should the marshalled code not load.
boost::python::object support_module();

/// The current Python exception as text (GIL held; defined in exception_text.cpp): fetches and clears the
/// pending exception, returning str() of it ("unknown Python error" when there is none).
std::string pending_exception_text();

/// The same for a start-up failure (GIL held): fetches and clears the pending exception, writes its
/// traceback to stderr as Python would, and returns its last line ("ImportError: No module named x").
std::string print_pending_exception();

}  // namespace lambda_py27::python::detail
