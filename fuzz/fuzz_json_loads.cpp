// Differential fuzzing of the event decoder: lambda_py27::python::json_loads(bytes) must give exactly what
// Python 2.7's json.loads(bytes) gives: the same value (exact types, dict order, floats bit for bit) or an
// exception of the same type with the same message. Any difference aborts with both outcomes printed.
#include <lambda_py27/python/json.hpp>

#include "python_support.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

PyObject* g_loads = nullptr;  // json.loads

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    lambda_py27_fuzz::start_python();
    g_loads = lambda_py27_fuzz::python_global("import json\nloads = json.loads\n", "loads");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using lambda_py27_fuzz::outcome;
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    outcome ours;
    outcome::capture(ours, lambda_py27::python::json_loads(text));

    outcome reference;
    PyObject* arg = PyString_FromStringAndSize(text.data(), static_cast<Py_ssize_t>(text.size()));
    outcome::capture(reference, arg == nullptr ? nullptr : PyObject_CallFunctionObjArgs(g_loads, arg, nullptr));
    Py_XDECREF(arg);

    if (!lambda_py27_fuzz::same_outcome(ours, reference))
        lambda_py27_fuzz::report_difference("json_loads", text.data(), text.size(), ours.describe(),
                                            reference.describe());
    return 0;
}
