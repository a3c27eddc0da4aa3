// What json_loads leaves to Python (private to lambda_py27::python): json.loads itself, and the pause of
// the cyclic collector while a large document is built.
#pragma once

#include <Python.h>

#include <string_view>

namespace lambda_py27::python::detail {

/// Python's own json.loads on the bytes (the reference behaviour, messages included): a new reference,
/// or nullptr with Python's exception.
PyObject* python_json_loads(std::string_view text);

/// Suspends Python's cyclic garbage collector while a large document is built, and has the collector
/// not count the containers built. Each of them would otherwise count as an allocation: every 700 start
/// a collection walking all young objects, and the count left behind starts one more at the handler's
/// first allocation, which walks the whole event again (then promotes it, to be walked by the older
/// generations' collections), a quarter of the time of a 1 MB echo. The event is a tree of new objects:
/// nothing in it can be garbage while it is built and no Python code runs meanwhile. Its containers stay
/// tracked, so the collector walks them when a collection comes due for other reasons (and finds any
/// cycle the handler makes out of them); an event the handler drops costs the collector nothing.
class gc_pause {
public:
    gc_pause();
    ~gc_pause();
    gc_pause(const gc_pause&) = delete;
    gc_pause& operator=(const gc_pause&) = delete;

private:
    static bool call(PyObject* fn);
    static bool functions_ready();

    static inline PyObject* isenabled_ = nullptr;  // gc.isenabled, gc.enable, gc.disable (kept for good)
    static inline PyObject* enable_ = nullptr;
    static inline PyObject* disable_ = nullptr;
    bool paused_ = false;
    int* counter_ = nullptr;
    int saved_count_ = 0;
};

}  // namespace lambda_py27::python::detail
