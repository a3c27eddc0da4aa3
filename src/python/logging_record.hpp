// logging.LogRecord.__init__ as a built-in method, for the legacy runtime's logging (support.py installs it
// at the function's first `import logging`). Private to lambda_py27::python.
#pragma once

#include <Python.h>

namespace lambda_py27::python::detail {

/// With `on`, replaces `logging.LogRecord.__init__` (the standard library's, checked) with a built-in
/// method that gives a new record the `__dict__` the Python one gives, in the same order, for a record of
/// exactly LogRecord made with positional arguments while the class and the functions of `logging`, `os`
/// and `threading` that it reproduces are as the standard library made them; anything else (a subclass, a
/// keyword argument, a level that is not an int, a patched function) runs the Python `__init__`. Without
/// `on`, puts the Python `__init__` back. Returns false with a Python exception set when LogRecord is not
/// the standard library's. The GIL must be held.
bool install_native_log_record(PyObject* logging, bool on);

/// The entry `name` of a class's or a module's own dictionary (a borrowed reference), or nullptr with an
/// AttributeError set: how the native logging takes what `logging` defined, at installation.
PyObject* dict_entry(PyObject* owner, const char* name);

/// How many records the built-in `__init__` made itself, and how many it gave to the Python one.
struct native_record_counts {
    unsigned long long native = 0;
    unsigned long long python = 0;
};
native_record_counts native_record_calls();

}  // namespace lambda_py27::python::detail
