// The converters on the function's own json calls (LAMBDA_PY27_FAST_JSON, fast_json.cpp; private to
// lambda_py27::python): they take only what they reproduce without running any code of the function's,
// and leave the rest to Python's json without a trace, so that running Python's json after a refusal is
// exactly Python's json.
#pragma once

#include <Python.h>

#include <string>
#include <string_view>

namespace lambda_py27::python::detail {

/// How a dict key that is True or False is written: "True" by json.dumps (its C encoder), "true" by
/// json.dump (its pure-Python encoder).
enum class json_bool_keys { c_encoder, python_encoder };

/// Appends json.dumps(obj)'s bytes (json.dump's with `python_encoder`) when `obj` is made of exact
/// str, unicode, int, long, float, bool, None, list, tuple and dict only (no subclass, no Decimal),
/// holds no circular reference, every str is UTF-8 and the nesting stays well inside the recursion
/// limit. Otherwise returns false with no exception set and `out` unspecified: no Python code ran, no
/// object changed. The GIL must be held.
bool json_dumps_builtin(PyObject* obj, std::string& out, json_bool_keys keys);

/// json.loads(text)'s value (a new reference) for a byte str `text` the fast decoder takes (json_loads's
/// fast path); nullptr with no exception set for anything else (malformed, NaN, lone surrogates, deep
/// nesting, ...), which Python's json.loads then decides. The GIL must be held.
PyObject* json_loads_taken(std::string_view text);

}  // namespace lambda_py27::python::detail
