// Python 2.7's collector generations and the start-up pause (collector.hpp).
#include "python/collector.hpp"

namespace lambda_py27::python::detail {
namespace {

bool is_empty_list(const PyGC_Head* head) noexcept { return head->gc.gc_next == head && head->gc.gc_prev == head; }

/// As gcmodule.c leaves them before any object is tracked.
bool verify_pristine(gc_generation* g) noexcept {
    constexpr int thresholds[3] = {700, 10, 10};
    for (int i = 0; i < 3; ++i) {
        if (!is_empty_list(&g[i].head) || g[i].threshold != thresholds[i] || g[i].count != 0) return false;
    }
    return true;
}

/// Against the gc module of the running interpreter.
bool verify_live(gc_generation* g) {
    PyObject* gc = PyImport_ImportModule("gc");
    if (gc == nullptr) {
        PyErr_Clear();
        return false;
    }
    bool ok = false;
    int t[3] = {0, 0, 0};
    PyObject* thresholds = PyObject_CallMethod(gc, const_cast<char*>("get_threshold"), nullptr);
    if (thresholds != nullptr && PyArg_ParseTuple(thresholds, "iii", &t[0], &t[1], &t[2]) && g[0].threshold == t[0] &&
        g[1].threshold == t[1] && g[2].threshold == t[2]) {
        PyObject* r = PyObject_CallMethod(gc, const_cast<char*>("set_threshold"), const_cast<char*>("iii"), t[0] + 1,
                                          t[1] + 1, t[2] + 1);
        const bool moved =
            r != nullptr && g[0].threshold == t[0] + 1 && g[1].threshold == t[1] + 1 && g[2].threshold == t[2] + 1;
        Py_XDECREF(r);
        r = PyObject_CallMethod(gc, const_cast<char*>("set_threshold"), const_cast<char*>("iii"), t[0], t[1], t[2]);
        const bool restored = r != nullptr && g[0].threshold == t[0];
        Py_XDECREF(r);
        int c[3] = {-1, 0, 0};
        PyObject* counts = PyObject_CallMethod(gc, const_cast<char*>("get_count"), nullptr);
        // get_count reads the counters, then allocates its tuple (which may count one more).
        const int now = g[0].count;
        ok = moved && restored && counts != nullptr && PyArg_ParseTuple(counts, "iii", &c[0], &c[1], &c[2]) &&
             now >= c[0] && now <= c[0] + 1 && g[1].count == c[1] && g[2].count == c[2];
        Py_XDECREF(counts);
    }
    Py_XDECREF(thresholds);
    Py_DECREF(gc);
    if (PyErr_Occurred()) PyErr_Clear();
    return ok;
}

/// Moves every object of `from` to the end of `to` (both list heads), leaving `from` empty.
void move_all(PyGC_Head* from, PyGC_Head* to) noexcept {
    if (!is_empty_list(from)) {
        PyGC_Head* tail = to->gc.gc_prev;
        tail->gc.gc_next = from->gc.gc_next;
        tail->gc.gc_next->gc.gc_prev = tail;
        to->gc.gc_prev = from->gc.gc_prev;
        to->gc.gc_prev->gc.gc_next = to;
    }
    from->gc.gc_next = from;
    from->gc.gc_prev = from;
}

}  // namespace

gc_generation* gc_generations() {
    static gc_generation* const generations = []() -> gc_generation* {
        auto* g = reinterpret_cast<gc_generation*>(_PyGC_generation0);
        if (g == nullptr) return nullptr;
        return (Py_IsInitialized() ? verify_live(g) : verify_pristine(g)) ? g : nullptr;
    }();
    return generations;
}

startup_collection_pause::startup_collection_pause() noexcept {
    gc_generation* g = nullptr;
    try {
        g = gc_generations();
    } catch (...) {  // verification only calls Python; nothing of it is worth failing start-up for
        g = nullptr;
    }
    if (g == nullptr || g[0].threshold == 0) return;  // unknown layout, collection off already, or nested
    generations_ = g;
    saved_threshold_ = g[0].threshold;
    g[0].threshold = 0;  // _PyObject_GC_Malloc starts no collection while it is 0
}

startup_collection_pause::~startup_collection_pause() {
    if (generations_ == nullptr) return;
    gc_generation* g = generations_;
    if (g[0].threshold == 0) g[0].threshold = saved_threshold_;  // else the code that ran set its own
    move_all(&g[0].head, &g[2].head);
    move_all(&g[1].head, &g[2].head);
    g[0].count = 0;
    g[1].count = 0;
}

}  // namespace lambda_py27::python::detail
