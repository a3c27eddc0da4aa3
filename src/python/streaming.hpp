// Response streaming from Python generators (LAMBDA_PY27_RESPONSE_STREAMING=1).
#pragma once

#include <lambda_py27/runtime/invocation.hpp>

#include <Python.h>

#include <functional>

namespace lambda_py27::python::detail {

/// True when `LAMBDA_PY27_RESPONSE_STREAMING` is `1` (read at every call; callers keep the answer).
bool response_streaming_enabled() noexcept;

/// Puts the public module `lambda_py27_streaming` (see `streaming.cpp`) into `sys.modules`. GIL held.
/// Throws `boost::python::error_already_set` when it cannot be made.
void register_streaming_module();

/// Serves a generator a handler returned (GIL held): chunks go to `response_writer::current()` as they are
/// produced (the GIL released while they are sent), or are collected into one answer when there is no
/// writer (in-process invocation). `answer_exception` turns the pending Python exception into the failure
/// the legacy path would post (and logs it). An exception before the first chunk is answered as a normal
/// error; after it, the failure ends the stream (the loop puts it into the trailers).
invocation_response stream_generator(PyObject* generator, const std::function<invocation_response()>& answer_exception);

}  // namespace lambda_py27::python::detail
