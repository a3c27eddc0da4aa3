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
/// The source of src/python/support_optin.py, and its code object marshalled at build time: loaded by
/// support.py only when a feature opted in.
extern const char* const support_optin_source;
extern const unsigned char support_optin_code[];
extern const std::size_t support_optin_code_size;

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
