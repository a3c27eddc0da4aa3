// Python 2.7's cyclic garbage collector, as far as the runtime steers it: its generations (reached through
// the exported `_PyGC_generation0`, layout verified before use) and a pause for start-up. Internal.
#pragma once

#include <Python.h>

namespace lambda_py27::python::detail {

/// One of gcmodule.c's `generations[3]`: the list head of the generation's tracked objects, the threshold
/// that starts its collection and its count (allocations for generation 0, collections of the younger
/// generation for the others). 2.7.18's layout; 2.7 gets no more releases and it is verified anyway.
struct gc_generation {
    PyGC_Head head;
    int threshold;
    int count;
};

/// The three generations, or nullptr when their layout cannot be verified (then nothing touches them).
/// Before Py_Initialize they are checked as gcmodule.c initialises them (three empty lists, thresholds
/// 700/10/10, counts 0); once Python runs, against the gc module (the threshold moves with
/// gc.set_threshold(), the count agrees with gc.get_count()). The first verdict is kept. GIL held (or no
/// interpreter yet).
gc_generation* gc_generations();

/// Start-up's objects (modules, classes, functions, the handler's globals) are long-lived: collecting
/// them as they are made walks them again and again for nothing (7% of a cold start's instructions).
/// While a pause lives, no automatic collection starts (generation 0's threshold is 0; gc.collect()
/// still works); when it ends, the threshold comes back (unless the code that ran meanwhile set its own)
/// and every object made since the last collection moves to the oldest generation at once, as CPython
/// 3.7's gc.freeze() does for start-up, so no young collection walks them later either. Cycles among
/// them are still found by full collections. A no-op when the generations cannot be verified or when
/// nested in another pause. GIL held (or no interpreter yet).
class startup_collection_pause {
public:
    startup_collection_pause() noexcept;
    ~startup_collection_pause();
    startup_collection_pause(const startup_collection_pause&) = delete;
    startup_collection_pause& operator=(const startup_collection_pause&) = delete;

private:
    gc_generation* generations_ = nullptr;
    int saved_threshold_ = 0;
};

}  // namespace lambda_py27::python::detail
