// The legacy logging handler's methods as built-in methods (support.py's LambdaLoggerHandler.handle and
// .emit, LambdaLoggerFilter.filter). Private to lambda_py27::python.
#pragma once

#include <Python.h>

namespace lambda_py27::python::detail {

/// Replaces `handle` and `emit` of `handler_class` and `filter` of `filter_class` (support.py's classes,
/// just made, `emit` and `filter` still their Python functions) with built-in methods. `formatter` is the
/// handler's formatter as support.py made it: a record is formatted natively only while the handler, its
/// one filter, that formatter and the record are as `logging` (the module) and support.py made them and
/// the message's arguments are of built-in types whose `%` formatting runs no Python code; anything else
/// goes to the Python methods, exactly as without this. Returns false with a Python exception set when
/// `logging` lacks what it reproduces. The GIL must be held.
bool install_native_logging(PyObject* logging, PyObject* handler_class, PyObject* filter_class, PyObject* formatter);

/// How many records the built-in `emit` wrote itself, and how many it gave to the Python `emit`.
struct native_logging_counts {
    unsigned long long native = 0;
    unsigned long long python = 0;
};
native_logging_counts native_logging_calls();

}  // namespace lambda_py27::python::detail
