// The rare paths of json_dumps, kept out of the encoder's translation unit: what json.dumps hands to
// its `default` (Decimal, or the TypeError), and objects written through their str() (private to
// lambda_py27::python).
#pragma once

#include "json_sink.hpp"

#include <Python.h>

namespace lambda_py27::python::detail {

/// Sets the thread's recursion depth for its lifetime: user code and the C API's own recursion checks
/// then run at the depth they would inside json.dumps.
class recursion_depth_scope {
public:
    explicit recursion_depth_scope(long depth) : ts_(PyThreadState_GET()), saved_(ts_->recursion_depth) {
        ts_->recursion_depth = static_cast<int>(depth);
    }
    ~recursion_depth_scope() { ts_->recursion_depth = saved_; }
    recursion_depth_scope(const recursion_depth_scope&) = delete;
    recursion_depth_scope& operator=(const recursion_depth_scope&) = delete;

private:
    PyThreadState* ts_;
    int saved_;
};

/// Appends a byte str object (what PyObject_Str and PyObject_Repr give in Python 2) and drops it; false
/// (with Python's exception) when `s` is null.
bool append_and_drop(json_sink& out, PyObject* s);

/// Decimal as str(d); anything else is JSONEncoder.default's TypeError. Both run where json.dumps runs
/// its `default` (three recursion levels deeper than `depth`, Python's depth at this point, with the same
/// RuntimeErrors on the way when that passes `limit`).
bool append_unserializable(json_sink& out, PyObject* o, long depth, long limit);

}  // namespace lambda_py27::python::detail
