#include "python/logging_record.hpp"

#include <pythread.h>

#include <cmath>
#include <cstring>
#include <initializer_list>

#include <pthread.h>
#include <unistd.h>

namespace lambda_py27::python::detail {
namespace {

// What LogRecord.__init__ reaches, as the standard library made it, taken at installation.
struct originals {
    PyTypeObject* type = nullptr;  // LogRecord
    PyObject* init = nullptr;      // the Python __init__
    PyObject* globals = nullptr;   // logging's module dictionary: __init__'s globals, read at each call
    PyObject* get_level_name = nullptr;
    PyObject* os = nullptr;
    PyObject* posixpath_dict = nullptr;
    PyObject* basename = nullptr;
    PyObject* splitext = nullptr;
    PyObject* getpid = nullptr;
    PyObject* get_ident = nullptr;  // thread.get_ident
    PyObject* current_thread = nullptr;
    PyObject* thread_name = nullptr;  // the property threading.Thread.name
    bool checked = false;             // version: LogRecord's type version tag when plain_class last checked it
    unsigned int version = 0;
};

originals o;
native_record_counts counts;

struct names {
    PyObject *name, *msg, *args, *levelname, *levelno, *pathname, *filename, *module, *exc_info, *exc_text, *lineno,
        *func_name, *created, *msecs, *relative_created, *thread, *thread_name, *process_name, *process, *time,
        *get_level_name, *level_names, *os, *path, *basename, *splitext, *collections, *mapping, *log_threads,
        *threading, *log_multiprocessing, *sys, *modules, *log_processes, *getpid, *start_time, *get_ident,
        *current_thread, *active, *private_get_ident, *private_name, *private_initialized, *current_process,
        *multiprocessing;
};

const names& n() {
    static const names interned = [] {
        const auto s = [](const char* text) { return PyString_InternFromString(text); };
        return names{s("name"),
                     s("msg"),
                     s("args"),
                     s("levelname"),
                     s("levelno"),
                     s("pathname"),
                     s("filename"),
                     s("module"),
                     s("exc_info"),
                     s("exc_text"),
                     s("lineno"),
                     s("funcName"),
                     s("created"),
                     s("msecs"),
                     s("relativeCreated"),
                     s("thread"),
                     s("threadName"),
                     s("processName"),
                     s("process"),
                     s("time"),
                     s("getLevelName"),
                     s("_levelNames"),
                     s("os"),
                     s("path"),
                     s("basename"),
                     s("splitext"),
                     s("collections"),
                     s("Mapping"),
                     s("logThreads"),
                     s("threading"),
                     s("logMultiprocessing"),
                     s("sys"),
                     s("modules"),
                     s("logProcesses"),
                     s("getpid"),
                     s("_startTime"),
                     s("get_ident"),
                     s("current_thread"),
                     s("_active"),
                     s("_get_ident"),
                     s("_Thread__name"),
                     s("_Thread__initialized"),
                     s("current_process"),
                     s("multiprocessing")};
    }();
    return interned;
}

PyObject* init_method(PyObject* self, PyObject* args, PyObject* kwargs);

PyMethodDef init_def = {"__init__", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(init_method)),
                        METH_VARARGS | METH_KEYWORDS, "Initialize a logging record with interesting information."};

PyObject* module_entry(PyObject* module, PyObject* name) {
    return PyModule_Check(module) ? PyDict_GetItem(PyModule_GetDict(module), name) : nullptr;
}

// The Python __init__, with the same arguments.
PyObject* python_init(PyObject* self, PyObject* args, PyObject* kwargs) {
    ++counts.python;
    const Py_ssize_t size = PyTuple_GET_SIZE(args);
    PyObject* call_args = PyTuple_New(size + 1);
    if (call_args == nullptr) return nullptr;
    Py_INCREF(self);
    PyTuple_SET_ITEM(call_args, 0, self);
    for (Py_ssize_t i = 0; i < size; ++i) {
        Py_INCREF(PyTuple_GET_ITEM(args, i));
        PyTuple_SET_ITEM(call_args, i + 1, PyTuple_GET_ITEM(args, i));
    }
    PyObject* result = PyObject_Call(o.init, call_args, kwargs);
    Py_DECREF(call_args);
    return result;
}

// Whether setting the record's attributes in its dictionary is what setattr does: no attribute of the class
// (a property, say) by those names. Checked again only after the class changed (its version tag).
bool plain_class(PyTypeObject* type) {
    if (o.checked && PyType_HasFeature(type, Py_TPFLAGS_VALID_VERSION_TAG) && type->tp_version_tag == o.version)
        return true;
    const names& k = n();
    for (PyObject* name : {k.name, k.msg, k.args, k.levelname, k.levelno, k.pathname, k.filename, k.module, k.exc_info,
                           k.exc_text, k.lineno, k.func_name, k.created, k.msecs, k.relative_created, k.thread,
                           k.thread_name, k.process_name, k.process})
        if (_PyType_Lookup(type, name) != nullptr) return false;  // (gives the class a valid version tag)
    if (!PyType_HasFeature(type, Py_TPFLAGS_VALID_VERSION_TAG)) return false;
    o.version = type->tp_version_tag;
    o.checked = true;
    return true;
}

// Whether the call is one the built-in __init__ reproduces: checked before anything is done.
bool reproduced(PyObject* self, PyObject* args, PyObject* kwargs) {
    const names& k = n();
    PyTypeObject* type = Py_TYPE(self);
    PyObject** dict = _PyObject_GetDictPtr(self);
    const Py_ssize_t size = PyTuple_GET_SIZE(args);
    // (Setting a record's attributes is the generic setattr: no __setattr__ patched into the class.)
    if (type != o.type || type->tp_setattro != PyObject_GenericSetAttr || dict == nullptr ||
        (*dict != nullptr && PyDict_Size(*dict) != 0) || (kwargs != nullptr && PyDict_Size(kwargs) != 0) ||
        (size != 7 && size != 8) || !plain_class(type))
        return false;
    if (!PyInt_CheckExact(PyTuple_GET_ITEM(args, 1)) || !PyString_CheckExact(PyTuple_GET_ITEM(args, 2)) ||
        !PyTuple_CheckExact(PyTuple_GET_ITEM(args, 5)))
        return false;
    PyObject* g = o.globals;
    PyObject* os = PyDict_GetItem(g, k.os);
    PyObject* level_names = PyDict_GetItem(g, k.level_names);
    if (PyDict_GetItem(g, k.get_level_name) != o.get_level_name || level_names == nullptr ||
        !PyDict_CheckExact(level_names) || os != o.os || PyDict_GetItem(g, k.time) == nullptr)
        return false;
    PyObject* path = module_entry(os, k.path);
    if (path == nullptr || !PyModule_Check(path) || PyModule_GetDict(path) != o.posixpath_dict ||
        PyDict_GetItem(o.posixpath_dict, k.basename) != o.basename ||
        PyDict_GetItem(o.posixpath_dict, k.splitext) != o.splitext)
        return false;
    for (PyObject* name : {k.collections, k.log_threads, k.thread, k.threading, k.log_multiprocessing, k.sys,
                           k.log_processes, k.start_time})
        if (PyDict_GetItem(g, name) == nullptr) return false;
    return true;
}

// os.path.basename, then os.path.splitext(...)[0], as posixpath does them on a str.
bool file_and_module(PyObject* pathname, PyObject*& filename, PyObject*& module) {
    const char* p = PyString_AS_STRING(pathname);
    const Py_ssize_t size = PyString_GET_SIZE(pathname);
    const auto* slash = static_cast<const char*>(::memrchr(p, '/', static_cast<std::size_t>(size)));
    const Py_ssize_t start = slash != nullptr ? slash - p + 1 : 0;
    filename = PySequence_GetSlice(pathname, start, size);  // p[i:]
    if (filename == nullptr) return false;
    const char* f = PyString_AS_STRING(filename);
    const Py_ssize_t length = PyString_GET_SIZE(filename);
    const auto* dot = static_cast<const char*>(::memrchr(f, '.', static_cast<std::size_t>(length)));
    Py_ssize_t cut = length;
    if (dot != nullptr)  // genericpath._splitext: a dot after the last '/' (none here), not leading dots only
        for (const char* c = f; c < dot; ++c)
            if (*c != '.') {
                cut = dot - f;
                break;
            }
    module = PySequence_GetSlice(filename, 0, cut);
    return module != nullptr;
}

// threading.current_thread().name: read from the thread object when it is what threading made.
PyObject* current_thread_name(PyObject* ident) {
    const names& k = n();
    PyObject* threading = PyDict_GetItem(o.globals, k.threading);
    PyObject* active = module_entry(threading, k.active);
    if (module_entry(threading, k.current_thread) == o.current_thread &&
        module_entry(threading, k.private_get_ident) == o.get_ident && active != nullptr && PyDict_CheckExact(active)) {
        PyObject* t = PyDict_GetItem(active, ident);
        PyObject** dict = t != nullptr ? _PyObject_GetDictPtr(t) : nullptr;
        PyObject* name = dict != nullptr && *dict != nullptr ? PyDict_GetItem(*dict, k.private_name) : nullptr;
        if (name != nullptr && _PyType_Lookup(Py_TYPE(t), k.name) == o.thread_name &&
            PyDict_GetItem(*dict, k.private_initialized) == Py_True) {
            Py_INCREF(name);
            return name;
        }
    }
    PyObject* thread = PyObject_CallMethodObjArgs(threading, k.current_thread, nullptr);
    if (thread == nullptr) return nullptr;
    PyObject* name = PyObject_GetAttr(thread, k.name);
    Py_DECREF(thread);
    return name;
}

// 'MainProcess', or multiprocessing's name for the current process once it is imported.
PyObject* process_name() {
    const names& k = n();
    PyObject* sys = PyDict_GetItem(o.globals, k.sys);
    PyObject* modules = PyObject_GetAttr(sys, k.modules);
    if (modules == nullptr) return nullptr;
    PyObject* mp = PyObject_CallMethod(modules, const_cast<char*>("get"), const_cast<char*>("O"), k.multiprocessing);
    Py_DECREF(modules);
    if (mp == nullptr) return nullptr;
    PyObject* name = nullptr;
    if (mp != Py_None) {
        PyObject* process = PyObject_CallMethodObjArgs(mp, k.current_process, nullptr);
        name = process != nullptr ? PyObject_GetAttr(process, k.name) : nullptr;
        Py_XDECREF(process);
        if (name == nullptr) {
            if (!PyErr_ExceptionMatches(PyExc_StandardError)) {
                Py_DECREF(mp);
                return nullptr;
            }
            PyErr_Clear();
        }
    }
    Py_DECREF(mp);
    return name != nullptr ? name : PyString_FromString("MainProcess");
}

// (a - long(a)) * 1000 and (a - b) * 1000, as Python computes them.
PyObject* fraction_millis(PyObject* a) {
    if (PyFloat_CheckExact(a) && std::isfinite(PyFloat_AS_DOUBLE(a))) {
        const double v = PyFloat_AS_DOUBLE(a);
        return PyFloat_FromDouble((v - std::trunc(v)) * 1000.0);
    }
    PyObject* whole = PyNumber_Long(a);
    PyObject* fraction = whole != nullptr ? PyNumber_Subtract(a, whole) : nullptr;
    PyObject* thousand = PyInt_FromLong(1000);
    PyObject* result = fraction != nullptr && thousand != nullptr ? PyNumber_Multiply(fraction, thousand) : nullptr;
    Py_XDECREF(whole);
    Py_XDECREF(fraction);
    Py_XDECREF(thousand);
    return result;
}

PyObject* difference_millis(PyObject* a, PyObject* b) {
    if (PyFloat_CheckExact(a) && PyFloat_CheckExact(b))
        return PyFloat_FromDouble((PyFloat_AS_DOUBLE(a) - PyFloat_AS_DOUBLE(b)) * 1000.0);
    PyObject* difference = PyNumber_Subtract(a, b);
    PyObject* thousand = PyInt_FromLong(1000);
    PyObject* result = difference != nullptr && thousand != nullptr ? PyNumber_Multiply(difference, thousand) : nullptr;
    Py_XDECREF(difference);
    Py_XDECREF(thousand);
    return result;
}

// `logThreads and thread` and the like: the truth of a global of logging (present: reproduced() checked).
int global_truth(PyObject* name) { return PyObject_IsTrue(PyDict_GetItem(o.globals, name)); }

// Sets `name` in the new record's dictionary, taking the reference to `value`; false when value is null.
bool put(PyObject* dict, PyObject* name, PyObject* value) {
    if (value == nullptr) return false;
    const int failed = PyDict_SetItem(dict, name, value);
    Py_DECREF(value);
    return failed == 0;
}

bool put_borrowed(PyObject* dict, PyObject* name, PyObject* value) { return PyDict_SetItem(dict, name, value) == 0; }

PyObject* thread_ident() {
    PyObject* thread = PyDict_GetItem(o.globals, n().thread);
    if (module_entry(thread, n().get_ident) == o.get_ident)
        return PyInt_FromLong(static_cast<long>(PyThread_get_thread_ident()));
    return PyObject_CallMethodObjArgs(thread, n().get_ident, nullptr);
}

// The process's id, asked of the kernel once per process (a system call per record otherwise): a fork's
// child forgets it (pthread_atfork, registered when the native __init__ is installed; os.fork runs it).
pid_t cached_pid = 0;
bool pid_cache_on = false;

void forget_pid() { cached_pid = 0; }

PyObject* process_id() {
    PyObject* getpid = module_entry(o.os, n().getpid);
    if (getpid == nullptr) {
        Py_RETURN_NONE;
    }
    if (getpid == o.getpid) {
        if (!pid_cache_on) return PyInt_FromLong(static_cast<long>(::getpid()));
        if (cached_pid == 0) cached_pid = ::getpid();
        return PyInt_FromLong(static_cast<long>(cached_pid));
    }
    return PyObject_CallObject(getpid, nullptr);
}

// The steps of LogRecord.__init__ in its order (the dictionary's order is the Python one's).
bool initialize(PyObject* d, PyObject* args) {
    const names& k = n();
    PyObject* level = PyTuple_GET_ITEM(args, 1);
    PyObject* pathname = PyTuple_GET_ITEM(args, 2);
    PyObject* record_args = PyTuple_GET_ITEM(args, 5);
    PyObject* ct = PyObject_CallMethodObjArgs(PyDict_GetItem(o.globals, k.time), k.time, nullptr);
    if (ct == nullptr) return false;
    bool ok = put_borrowed(d, k.name, PyTuple_GET_ITEM(args, 0)) && put_borrowed(d, k.msg, PyTuple_GET_ITEM(args, 4));
    if (ok && PyTuple_GET_SIZE(record_args) == 1) {  // a single non-empty Mapping argument becomes the args
        PyObject* only = PyTuple_GET_ITEM(record_args, 0);
        int mapping = 1;
        if (!PyDict_CheckExact(only)) {
            PyObject* abc = PyObject_GetAttr(PyDict_GetItem(o.globals, k.collections), k.mapping);
            mapping = abc != nullptr ? PyObject_IsInstance(only, abc) : -1;
            Py_XDECREF(abc);
        }
        if (mapping > 0) mapping = PyObject_IsTrue(only);
        ok = mapping >= 0;
        if (mapping > 0) record_args = only;
    }
    ok = ok && put_borrowed(d, k.args, record_args);
    if (ok) {
        PyObject* level_name = PyDict_GetItem(PyDict_GetItem(o.globals, k.level_names), level);
        ok = level_name != nullptr ? put_borrowed(d, k.levelname, level_name)
                                   : put(d, k.levelname, PyString_FromFormat("Level %ld", PyInt_AS_LONG(level)));
    }
    ok = ok && put_borrowed(d, k.levelno, level) && put_borrowed(d, k.pathname, pathname);
    if (ok) {
        PyObject *filename = nullptr, *module = nullptr;
        ok = file_and_module(pathname, filename, module);
        if (!ok) {
            Py_XDECREF(filename);
        } else if (!put(d, k.filename, filename)) {
            Py_DECREF(module);
            ok = false;
        } else {
            ok = put(d, k.module, module);
        }
    }
    ok = ok && put_borrowed(d, k.exc_info, PyTuple_GET_ITEM(args, 6)) && put_borrowed(d, k.exc_text, Py_None) &&
         put_borrowed(d, k.lineno, PyTuple_GET_ITEM(args, 3)) &&
         put_borrowed(d, k.func_name, PyTuple_GET_SIZE(args) == 8 ? PyTuple_GET_ITEM(args, 7) : Py_None) &&
         put_borrowed(d, k.created, ct) && put(d, k.msecs, fraction_millis(ct)) &&
         put(d, k.relative_created, difference_millis(ct, PyDict_GetItem(o.globals, k.start_time)));
    Py_DECREF(ct);
    if (!ok) return false;

    const int log_threads = global_truth(k.log_threads);
    const int threads = log_threads > 0 ? global_truth(k.thread) : log_threads;
    if (threads < 0) return false;
    if (threads > 0) {
        PyObject* ident = thread_ident();
        if (ident == nullptr || !put_borrowed(d, k.thread, ident)) {
            Py_XDECREF(ident);
            return false;
        }
        ok = put(d, k.thread_name, current_thread_name(ident));
        Py_DECREF(ident);
        if (!ok) return false;
    } else if (!put_borrowed(d, k.thread, Py_None) || !put_borrowed(d, k.thread_name, Py_None)) {
        return false;
    }
    const int multiprocessing = global_truth(k.log_multiprocessing);
    if (multiprocessing < 0 ||
        !(multiprocessing > 0 ? put(d, k.process_name, process_name()) : put_borrowed(d, k.process_name, Py_None)))
        return false;
    const int processes = global_truth(k.log_processes);
    if (processes < 0) return false;
    return processes > 0 ? put(d, k.process, process_id()) : put_borrowed(d, k.process, Py_None);
}

PyObject* init_method(PyObject* self, PyObject* args, PyObject* kwargs) {
    if (!reproduced(self, args, kwargs)) return python_init(self, args, kwargs);
    ++counts.native;
    PyObject** slot = _PyObject_GetDictPtr(self);
    if (*slot == nullptr && (*slot = PyDict_New()) == nullptr) return nullptr;
    PyObject* dict = *slot;
    Py_INCREF(dict);  // the record's own code could replace its __dict__ meanwhile
    const bool ok = initialize(dict, args);
    Py_DECREF(dict);
    if (!ok) return nullptr;
    Py_RETURN_NONE;
}

}  // namespace

PyObject* dict_entry(PyObject* owner, const char* name) {
    PyObject* dict = PyType_Check(owner)     ? reinterpret_cast<PyTypeObject*>(owner)->tp_dict
                     : PyModule_Check(owner) ? PyModule_GetDict(owner)
                                             : nullptr;
    PyObject* entry = dict != nullptr ? PyDict_GetItemString(dict, name) : nullptr;
    if (entry == nullptr && !PyErr_Occurred())
        PyErr_Format(PyExc_AttributeError, "native logging: no %s where logging has it", name);
    return entry;
}

bool install_native_log_record(PyObject* logging, bool on) {
    PyObject* record = PyObject_GetAttrString(logging, "LogRecord");
    if (record == nullptr) return false;
    const bool is_type = PyType_Check(record);
    Py_DECREF(record);  // logging keeps it
    if (!is_type) {
        PyErr_SetString(PyExc_TypeError, "native LogRecord: logging.LogRecord is not a class");
        return false;
    }
    auto* type = reinterpret_cast<PyTypeObject*>(record);
    PyObject* current = dict_entry(record, "__init__");
    if (current == nullptr) return false;
    if (!on) {
        if (o.init == nullptr || PyFunction_Check(current)) return true;  // the Python one is there
        return PyObject_SetAttrString(record, "__init__", o.init) == 0;
    }
    if (!PyFunction_Check(current)) {
        if (o.init != nullptr) return true;  // ours already
        PyErr_SetString(PyExc_TypeError, "native LogRecord: LogRecord.__init__ is not the standard library's");
        return false;
    }
    auto* code = reinterpret_cast<PyCodeObject*>(PyFunction_GET_CODE(current));
    if (PyFunction_GET_GLOBALS(current) != PyModule_GetDict(logging) ||
        std::strcmp(PyString_AsString(code->co_name), "__init__") != 0 || code->co_argcount != 9) {
        PyErr_SetString(PyExc_TypeError, "native LogRecord: LogRecord.__init__ is not the standard library's");
        return false;
    }
    PyObject* os = dict_entry(logging, "os");
    PyObject* path = os != nullptr ? dict_entry(os, "path") : nullptr;
    PyObject* thread = dict_entry(logging, "thread");
    PyObject* threading = dict_entry(logging, "threading");
    PyObject* thread_class = threading != nullptr ? dict_entry(threading, "Thread") : nullptr;
    originals taken;
    taken.type = type;
    taken.init = current;
    taken.globals = PyModule_GetDict(logging);
    taken.get_level_name = dict_entry(logging, "getLevelName");
    taken.os = os;
    taken.posixpath_dict = path != nullptr && PyModule_Check(path) ? PyModule_GetDict(path) : nullptr;
    taken.basename = path != nullptr ? dict_entry(path, "basename") : nullptr;
    taken.splitext = path != nullptr ? dict_entry(path, "splitext") : nullptr;
    taken.getpid = os != nullptr ? dict_entry(os, "getpid") : nullptr;
    taken.get_ident = thread != nullptr ? dict_entry(thread, "get_ident") : nullptr;
    taken.current_thread = threading != nullptr ? dict_entry(threading, "current_thread") : nullptr;
    taken.thread_name = thread_class != nullptr ? dict_entry(thread_class, "name") : nullptr;
    for (PyObject* p : {taken.get_level_name, taken.os, taken.posixpath_dict, taken.basename, taken.splitext,
                        taken.getpid, taken.get_ident, taken.current_thread, taken.thread_name})
        if (p == nullptr) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "native LogRecord: logging is not the standard library's");
            return false;
        }
    for (PyObject* p : {taken.init, taken.globals, taken.get_level_name, taken.os, taken.posixpath_dict, taken.basename,
                        taken.splitext, taken.getpid, taken.get_ident, taken.current_thread, taken.thread_name})
        Py_INCREF(p);  // kept for the process's life (installed once; the tests switch it back and forth)
    PyObject* descr = PyDescr_NewMethod(type, &init_def);
    if (descr == nullptr || PyObject_SetAttrString(record, "__init__", descr) != 0) {
        Py_XDECREF(descr);
        return false;
    }
    Py_DECREF(descr);
    static const bool fork_forgets_pid = ::pthread_atfork(nullptr, nullptr, forget_pid) == 0;
    pid_cache_on = fork_forgets_pid;  // (else a forked child would log its parent's id: no cache)
    o = taken;                        // the version tag: checked at the first record
    return true;
}

native_record_counts native_record_calls() { return counts; }

}  // namespace lambda_py27::python::detail
