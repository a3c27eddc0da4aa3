// Our static types readied as our Python readies its built-in ones: the dictionary filled at its first
// read. Internal.
#pragma once

#include <Python.h>

// Our Python's (scripts/python-patches/lazy-type-dicts.diff): while open, PyType_Ready of a static type
// records the type and leaves its dictionary to the first read through it (every way of reading one
// fills it first; loading a foreign extension module fills them all). Absent from other Pythons.
extern "C" void _PyType_LazyDicts(int open) __attribute__((weak));

namespace lambda_py27::python::detail {

/// PyType_Ready(&type), its dictionary of slot wrappers, methods, members and getsets (about 1,000
/// instructions an entry) filled at the first read instead of now where this Python can (ours, unless
/// LAMBDA_PY27_EAGER_TYPES=1); now elsewhere. Only for a type whose dictionary our code never writes or
/// reads directly (tp_dict). GIL held.
inline int ready_type_lazily(PyTypeObject& type) {
    if (_PyType_LazyDicts == nullptr) return PyType_Ready(&type);
    _PyType_LazyDicts(1);
    const int result = PyType_Ready(&type);
    _PyType_LazyDicts(0);
    return result;
}

}  // namespace lambda_py27::python::detail
