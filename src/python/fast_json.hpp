// The function's own json.loads / json.dumps / json.load / json.dump on the runtime's converters, opt-in
// (LAMBDA_PY27_FAST_JSON=1: support.py installs it when the function first imports json; README
// "Fast json"). Private to lambda_py27::python.
#pragma once

#include <Python.h>

#include <string>

namespace lambda_py27::python::detail {

/// Replaces `loads`, `dumps`, `load` and `dump` of the json module `json` with built-in functions that
/// take the runtime's converters for a call json would serve with its own default encoder or decoder
/// (no argument but the value/text/file, or only arguments with their default effect) on a value they
/// reproduce exactly (json_builtin.hpp), and call json's own function with the same arguments for
/// everything else. Returns "" once installed (again: nothing to do), else why not, with `json` left as
/// it was and no exception set. The GIL must be held.
std::string install_fast_json(PyObject* json);

/// json.loads as the json module defined it, once install_fast_json replaced it (borrowed); else nullptr.
PyObject* original_json_loads();

/// How many calls of the installed functions took the fast path, and how many went to json's own.
struct fast_json_counts {
    unsigned long long fast = 0;
    unsigned long long fallen_back = 0;
};
fast_json_counts fast_json_calls();

}  // namespace lambda_py27::python::detail
