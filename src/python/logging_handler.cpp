#include "python/logging_handler.hpp"
#include "python/logging_record.hpp"

#include <lambda_py27/python/log.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <initializer_list>
#include <string>

namespace lambda_py27::python::detail {
namespace {

// The layout the native format writes: support.py's LOG_FORMAT and DATE_FORMAT, checked at installation.
constexpr const char* legacy_format = "[%(levelname)s]\t%(asctime)s.%(msecs)dZ\t%(aws_request_id)s\t%(message)s\n";
constexpr const char* legacy_date_format = "%Y-%m-%dT%H:%M:%S";

// What `logging` and support.py defined, taken at installation (strong references, kept for the
// process's life): a class attribute or a formatter's attribute that is no longer these is a change the
// native path does not reproduce.
struct originals {
    PyObject* filterer_filter = nullptr;
    PyObject* handler_acquire = nullptr;
    PyObject* handler_release = nullptr;
    PyObject* handler_format = nullptr;
    PyObject* handler_handle = nullptr;
    PyObject* formatter_type = nullptr;
    PyObject* formatter_format = nullptr;
    PyObject* formatter_format_time = nullptr;
    PyObject* formatter_uses_time = nullptr;
    PyObject* record_type = nullptr;
    PyObject* record_get_message = nullptr;
    PyObject* python_emit = nullptr;  // support.py's emit
    PyObject* fmt = nullptr;          // the formatter's _fmt, datefmt and converter
    PyObject* datefmt = nullptr;
    PyObject* converter = nullptr;
};

originals o;
native_logging_counts counts;

struct names {
    PyObject *filter, *acquire, *release, *emit, *format, *handle, *filters, *lock, *formatter, *msg, *args, *levelname,
        *created, *msecs, *exc_info, *exc_text, *aws_request_id, *message, *asctime, *fmt, *datefmt, *converter,
        *get_message, *format_time, *uses_time;
};

const names& n() {
    static const names interned = [] {
        const auto s = [](const char* text) { return PyString_InternFromString(text); };
        return names{s("filter"),   s("acquire"),        s("release"),    s("emit"),       s("format"),
                     s("handle"),   s("filters"),        s("lock"),       s("formatter"),  s("msg"),
                     s("args"),     s("levelname"),      s("created"),    s("msecs"),      s("exc_info"),
                     s("exc_text"), s("aws_request_id"), s("message"),    s("asctime"),    s("_fmt"),
                     s("datefmt"),  s("converter"),      s("getMessage"), s("formatTime"), s("usesTime")};
    }();
    return interned;
}

PyObject* handle_method(PyObject* self, PyObject* record);
PyObject* emit_method(PyObject* self, PyObject* record);
PyObject* filter_method(PyObject* self, PyObject* record);

PyMethodDef handle_def = {"handle", handle_method, METH_O,
                          "Filters the record and emits it under the handler's lock (logging.Handler.handle)."};
PyMethodDef emit_def = {"emit", emit_method, METH_O, "Writes the record to the function's log, formatted."};
PyMethodDef filter_def = {"filter", filter_method, METH_O, "Sets the record's aws_request_id; passes every record."};

// The type of the built-in method descriptors (not exported by Python 2.7's headers): set by set_method.
PyTypeObject* method_descriptor_type = nullptr;

bool is_method(PyObject* entry, const PyMethodDef* def) {
    return entry != nullptr && Py_TYPE(entry) == method_descriptor_type &&
           reinterpret_cast<PyMethodDescrObject*>(entry)->d_method == def;
}

PyObject* instance_dict(PyObject* obj) {
    PyObject** slot = _PyObject_GetDictPtr(obj);
    return slot != nullptr ? *slot : nullptr;
}

// Whether the instance's own attributes hide one of these methods of its class.
bool overrides(PyObject* obj, std::initializer_list<PyObject*> methods) {
    PyObject* dict = instance_dict(obj);
    if (dict == nullptr) return false;
    for (PyObject* name : methods)
        if (PyDict_GetItem(dict, name) != nullptr) return true;
    return false;
}

bool same_text(PyObject* value, PyObject* original) {
    return value == original || (value != nullptr && PyString_CheckExact(value) && _PyString_Eq(value, original));
}

// handle's Python steps resolve to logging.Handler's (and this module's emit): filter, acquire, release.
bool plain_handler(PyObject* self) {
    const names& k = n();
    PyTypeObject* type = Py_TYPE(self);
    return is_method(_PyType_Lookup(type, k.emit), &emit_def) && _PyType_Lookup(type, k.filter) == o.filterer_filter &&
           _PyType_Lookup(type, k.acquire) == o.handler_acquire &&
           _PyType_Lookup(type, k.release) == o.handler_release &&
           !overrides(self, {k.filter, k.acquire, k.release, k.emit});
}

bool plain_filter(PyObject* f) {
    return is_method(_PyType_Lookup(Py_TYPE(f), n().filter), &filter_def) && !overrides(f, {n().filter});
}

// Exactly a logging.Formatter with support.py's format, date format and converter, nothing else set.
bool plain_formatter(PyObject* f) {
    const names& k = n();
    PyTypeObject* type = Py_TYPE(f);
    if (type != reinterpret_cast<PyTypeObject*>(o.formatter_type) ||
        _PyType_Lookup(type, k.format) != o.formatter_format ||
        _PyType_Lookup(type, k.format_time) != o.formatter_format_time ||
        _PyType_Lookup(type, k.uses_time) != o.formatter_uses_time)
        return false;
    PyObject* dict = instance_dict(f);
    return dict != nullptr && PyDict_Size(dict) == 3 && same_text(PyDict_GetItem(dict, k.fmt), o.fmt) &&
           same_text(PyDict_GetItem(dict, k.datefmt), o.datefmt) && PyDict_GetItem(dict, k.converter) == o.converter;
}

bool is_text(PyObject* v) { return v != nullptr && (PyString_CheckExact(v) || PyUnicode_CheckExact(v)); }

// A value whose `%` formatting (%s, %r, %d, %f, ...) runs no Python code, so that a failure can be left
// to the Python path to meet again.
bool builtin_scalar(PyObject* v) {
    return is_text(v) || PyInt_CheckExact(v) || PyLong_CheckExact(v) || PyFloat_CheckExact(v) || PyBool_Check(v) ||
           v == Py_None;
}

bool builtin_arguments(PyObject* args) {
    if (PyTuple_CheckExact(args)) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(args); ++i)
            if (!builtin_scalar(PyTuple_GET_ITEM(args, i))) return false;
        return true;
    }
    if (!PyDict_CheckExact(args)) return false;
    Py_ssize_t pos = 0;
    PyObject *key = nullptr, *value = nullptr;
    while (PyDict_Next(args, &pos, &key, &value))
        if (!is_text(key) || !builtin_scalar(value)) return false;
    return true;
}

bool ascii_bytes(PyObject* v) {
    const auto* p = reinterpret_cast<const unsigned char*>(PyString_AS_STRING(v));
    for (Py_ssize_t i = 0; i < PyString_GET_SIZE(v); ++i)
        if (p[i] >= 0x80) return false;
    return true;
}

// Appends a part of the record's text as _native.log writes it: a str as its bytes, unicode as UTF-8. In a
// text that is unicode (`mixed`), a str part is first decoded as `%` does, with the default encoding (an
// ASCII-compatible one: the caller checked), so its bytes stay unless they are not ASCII; a part that
// does not decode returns false (no exception set): the Python path's UnicodeDecodeError.
bool append_part(std::string& out, PyObject* v, bool mixed) {
    if (PyString_CheckExact(v) && (!mixed || ascii_bytes(v))) {
        out.append(PyString_AS_STRING(v), static_cast<std::size_t>(PyString_GET_SIZE(v)));
        return true;
    }
    PyObject* decoded = nullptr;
    if (PyString_CheckExact(v)) {
        decoded = PyUnicode_FromEncodedObject(v, nullptr, "strict");
        if (decoded == nullptr) {
            PyErr_Clear();
            return false;
        }
        v = decoded;
    }
    PyObject* bytes = PyUnicode_AsUTF8String(v);
    Py_XDECREF(decoded);
    if (bytes == nullptr) {
        PyErr_Clear();
        return false;
    }
    out.append(PyString_AS_STRING(bytes), static_cast<std::size_t>(PyString_GET_SIZE(bytes)));
    Py_DECREF(bytes);
    return true;
}

// Whether the default encoding leaves ASCII as it is (the literal parts of a unicode text).
bool ascii_compatible_default_encoding() {
    const char* e = PyUnicode_GetDefaultEncoding();
    return std::strcmp(e, "ascii") == 0 || std::strcmp(e, "utf-8") == 0 || std::strcmp(e, "utf8") == 0;
}

// LogRecord.getMessage for a record whose message and arguments are built-in: a new reference, or nullptr
// (no exception set) for what the Python path must do.
PyObject* builtin_message(PyObject* msg, PyObject* args) {
    const int has_args = args == Py_None ? 0 : (PyTuple_CheckExact(args) || PyDict_CheckExact(args)) ? 1 : -1;
    if (has_args < 0 || (has_args && !builtin_arguments(args))) return nullptr;
    if (!has_args || !PyObject_IsTrue(args)) {
        Py_INCREF(msg);
        return msg;
    }
    // As the interpreter's `%`: str's own formatting for a str, the number protocol for unicode.
    PyObject* message = PyString_CheckExact(msg) ? PyString_Format(msg, args) : PyNumber_Remainder(msg, args);
    if (message == nullptr) PyErr_Clear();  // a bad `%`: the Python path reports it through handleError
    return message;
}

// Formatter.format(record) for support.py's formatter: sets record.message and record.asctime as it does
// and gives the text, or returns false (nothing changed that the Python path would not set the same) for
// what it does not reproduce.
bool format_natively(PyObject* record, std::string& text) {
    const names& k = n();
    PyTypeObject* type = Py_TYPE(record);
    if (type != reinterpret_cast<PyTypeObject*>(o.record_type) ||
        _PyType_Lookup(type, k.get_message) != o.record_get_message)
        return false;
    PyObject* dict = instance_dict(record);
    if (dict == nullptr || PyDict_GetItem(dict, k.exc_info) != Py_None || PyDict_GetItem(dict, k.exc_text) != Py_None)
        return false;
    PyObject* msg = PyDict_GetItem(dict, k.msg);
    PyObject* args = PyDict_GetItem(dict, k.args);
    PyObject* levelname = PyDict_GetItem(dict, k.levelname);
    PyObject* request_id = PyDict_GetItem(dict, k.aws_request_id);
    PyObject* created = PyDict_GetItem(dict, k.created);
    PyObject* msecs = PyDict_GetItem(dict, k.msecs);
    if (!is_text(msg) || args == nullptr || !is_text(levelname) || !is_text(request_id) || created == nullptr ||
        !PyFloat_CheckExact(created) || msecs == nullptr || !PyFloat_CheckExact(msecs))
        return false;
    // time.strftime(DATE_FORMAT, time.gmtime(created)), and '%d' % msecs
    const double when = PyFloat_AS_DOUBLE(created);
    const double millis = PyFloat_AS_DOUBLE(msecs);
    if (!std::isfinite(when) || std::fabs(when) >= 1e15 || !std::isfinite(millis) || std::fabs(millis) >= 1e15)
        return false;
    const auto seconds = static_cast<std::time_t>(when);  // as time.gmtime: truncated toward zero
    std::tm utc{};
    if (::gmtime_r(&seconds, &utc) == nullptr || utc.tm_year + 1900 < 1900 || utc.tm_year + 1900 > 9999) return false;
    char asctime[40];
    std::snprintf(asctime, sizeof asctime, "%04d-%02d-%02dT%02d:%02d:%02d", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);

    PyObject* message = builtin_message(msg, args);
    if (message == nullptr) return false;
    // One unicode part makes the whole text unicode, as `_fmt % record.__dict__` does.
    const bool mixed =
        PyUnicode_CheckExact(levelname) || PyUnicode_CheckExact(request_id) || PyUnicode_CheckExact(message);
    PyObject* asctime_text = PyString_FromString(asctime);
    const bool set = is_text(message) && (!mixed || ascii_compatible_default_encoding()) && asctime_text != nullptr &&
                     PyObject_SetAttr(record, k.message, message) == 0 &&
                     PyObject_SetAttr(record, k.asctime, asctime_text) == 0 &&
                     PyDict_GetItem(dict, k.message) == message && PyDict_GetItem(dict, k.asctime) == asctime_text;
    Py_XDECREF(asctime_text);
    text.clear();
    text += '[';
    bool ok = set && append_part(text, levelname, mixed);
    text += "]\t";
    text += asctime;
    text += '.';
    text += std::to_string(static_cast<long long>(millis));  // '%d' % float: int(), toward zero
    text += "Z\t";
    ok = ok && append_part(text, request_id, mixed);
    text += '\t';
    ok = ok && append_part(text, message, mixed);
    text += '\n';
    Py_DECREF(message);
    if (!set) PyErr_Clear();
    return ok;
}

PyObject* request_id_text() {
    static PyObject* cached = nullptr;
    static std::string cached_id;
    const std::string& id = current_request_id();
    if (cached == nullptr || id != cached_id) {
        PyObject* fresh = PyString_FromStringAndSize(id.data(), static_cast<Py_ssize_t>(id.size()));
        if (fresh == nullptr) return nullptr;
        Py_XDECREF(cached);
        cached = fresh;
        cached_id = id;
    }
    Py_INCREF(cached);
    return cached;
}

PyObject* filter_method(PyObject*, PyObject* record) {
    PyObject* id = request_id_text();
    if (id == nullptr) return nullptr;
    const int failed = PyObject_SetAttr(record, n().aws_request_id, id);
    Py_DECREF(id);
    if (failed != 0) return nullptr;
    Py_RETURN_TRUE;
}

PyObject* emit_method(PyObject* self, PyObject* record) {
    const names& k = n();
    if (_PyType_Lookup(Py_TYPE(self), k.format) == o.handler_format && !overrides(self, {k.format})) {
        PyObject* formatter = PyObject_GetAttr(self, k.formatter);
        if (formatter == nullptr) PyErr_Clear();
        std::string text;
        const bool done = formatter != nullptr && plain_formatter(formatter) && format_natively(record, text);
        Py_XDECREF(formatter);
        if (done) {
            ++counts.native;
            write_log(text);
            Py_RETURN_NONE;
        }
    }
    ++counts.python;
    return PyObject_CallFunctionObjArgs(o.python_emit, self, record, nullptr);
}

// Handler.acquire / Handler.release: `if self.lock: self.lock.<name>()`.
bool call_lock(PyObject* self, PyObject* name) {
    PyObject* lock = PyObject_GetAttr(self, n().lock);
    if (lock == nullptr) return false;
    const int held = PyObject_IsTrue(lock);
    PyObject* result = held > 0 ? PyObject_CallMethodObjArgs(lock, name, nullptr) : nullptr;
    Py_DECREF(lock);
    if (held < 0 || (held > 0 && result == nullptr)) return false;
    Py_XDECREF(result);
    return true;
}

PyObject* handle_method(PyObject* self, PyObject* record) {
    const names& k = n();
    PyObject* filters = plain_handler(self) ? PyObject_GetAttr(self, k.filters) : nullptr;
    if (filters == nullptr) PyErr_Clear();
    const bool plain = filters != nullptr && PyList_CheckExact(filters) && PyList_GET_SIZE(filters) == 1 &&
                       plain_filter(PyList_GET_ITEM(filters, 0));
    Py_XDECREF(filters);
    if (!plain) return PyObject_CallFunctionObjArgs(o.handler_handle, self, record, nullptr);

    PyObject* passed = filter_method(nullptr, record);
    if (passed == nullptr) return nullptr;
    Py_DECREF(passed);
    if (!call_lock(self, k.acquire)) return nullptr;
    PyObject* emitted = emit_method(self, record);
    PyObject *type = nullptr, *value = nullptr, *traceback = nullptr;
    if (emitted == nullptr) PyErr_Fetch(&type, &value, &traceback);
    Py_XDECREF(emitted);
    if (!call_lock(self, k.release)) {  // as `finally:`, release's exception replaces emit's
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(traceback);
        return nullptr;
    }
    if (emitted == nullptr) {
        PyErr_Restore(type, value, traceback);
        return nullptr;
    }
    return PyInt_FromLong(1);  // Filterer.filter's rv
}

// The entry `name` of the class `cls`'s own dictionary (a new reference).
PyObject* class_entry(PyObject* cls, const char* name) {
    if (!PyType_Check(cls)) {
        PyErr_Format(PyExc_TypeError, "native logging: %s of something that is not a class", name);
        return nullptr;
    }
    PyObject* entry = dict_entry(cls, name);
    Py_XINCREF(entry);
    return entry;
}

PyObject* module_class(PyObject* logging, const char* name) {
    PyObject* cls = PyObject_GetAttrString(logging, name);
    if (cls != nullptr && !PyType_Check(cls)) {
        Py_DECREF(cls);
        PyErr_Format(PyExc_TypeError, "native logging: logging.%s is not a class", name);
        return nullptr;
    }
    return cls;
}

void keep(PyObject*& slot, PyObject* value) {
    PyObject* old = slot;
    slot = value;
    Py_XDECREF(old);
}

bool set_method(PyObject* cls, PyMethodDef* def) {
    PyObject* descr = PyDescr_NewMethod(reinterpret_cast<PyTypeObject*>(cls), def);
    if (descr == nullptr) return false;
    method_descriptor_type = Py_TYPE(descr);
    const int failed = PyObject_SetAttrString(cls, def->ml_name, descr);
    Py_DECREF(descr);
    return failed == 0;
}

}  // namespace

bool install_native_logging(PyObject* logging, PyObject* handler_class, PyObject* filter_class, PyObject* formatter) {
    if (!PyType_Check(handler_class) || !PyType_Check(filter_class)) {
        PyErr_SetString(PyExc_TypeError, "native logging: the handler and filter must be classes");
        return false;
    }
    const names& k = n();
    PyObject* time = PyImport_ImportModule("time");
    PyObject* gmtime = time != nullptr ? PyObject_GetAttrString(time, "gmtime") : nullptr;
    Py_XDECREF(time);
    PyObject* dict = instance_dict(formatter);
    PyObject* fmt = dict != nullptr ? PyDict_GetItem(dict, k.fmt) : nullptr;
    PyObject* datefmt = dict != nullptr ? PyDict_GetItem(dict, k.datefmt) : nullptr;
    PyObject* converter = dict != nullptr ? PyDict_GetItem(dict, k.converter) : nullptr;
    const bool legacy = gmtime != nullptr && converter == gmtime && fmt != nullptr && PyString_CheckExact(fmt) &&
                        std::strcmp(PyString_AS_STRING(fmt), legacy_format) == 0 && datefmt != nullptr &&
                        PyString_CheckExact(datefmt) &&
                        std::strcmp(PyString_AS_STRING(datefmt), legacy_date_format) == 0;
    Py_XDECREF(gmtime);
    if (!legacy) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "native logging: the formatter is not the legacy runtime's");
        return false;
    }
    originals taken;
    PyObject* filterer = module_class(logging, "Filterer");
    PyObject* handler = module_class(logging, "Handler");
    PyObject* formatter_type = module_class(logging, "Formatter");
    PyObject* record_type = module_class(logging, "LogRecord");
    const bool found = filterer != nullptr && handler != nullptr && formatter_type != nullptr &&
                       record_type != nullptr && (taken.filterer_filter = class_entry(filterer, "filter")) &&
                       (taken.handler_acquire = class_entry(handler, "acquire")) &&
                       (taken.handler_release = class_entry(handler, "release")) &&
                       (taken.handler_format = class_entry(handler, "format")) &&
                       (taken.handler_handle = class_entry(handler, "handle")) &&
                       (taken.formatter_format = class_entry(formatter_type, "format")) &&
                       (taken.formatter_format_time = class_entry(formatter_type, "formatTime")) &&
                       (taken.formatter_uses_time = class_entry(formatter_type, "usesTime")) &&
                       (taken.record_get_message = class_entry(record_type, "getMessage")) &&
                       (taken.python_emit = class_entry(handler_class, "emit"));
    Py_XDECREF(filterer);
    Py_XDECREF(handler);
    if (found && !PyFunction_Check(taken.python_emit)) {  // installed twice: emit is ours already
        PyErr_SetString(PyExc_TypeError, "native logging: the handler's emit is not a Python function");
    }
    if (!found || PyErr_Occurred()) {
        for (PyObject* p :
             {taken.filterer_filter, taken.handler_acquire, taken.handler_release, taken.handler_format,
              taken.handler_handle, taken.formatter_format, taken.formatter_format_time, taken.formatter_uses_time,
              taken.record_get_message, taken.python_emit, formatter_type, record_type})
            Py_XDECREF(p);
        return false;
    }
    taken.formatter_type = formatter_type;
    taken.record_type = record_type;
    Py_INCREF(fmt);
    Py_INCREF(datefmt);
    Py_INCREF(converter);
    taken.fmt = fmt;
    taken.datefmt = datefmt;
    taken.converter = converter;
    // Replaced field by field, so that a second installation (the tests make several handlers) drops the
    // references of the first.
    keep(o.filterer_filter, taken.filterer_filter);
    keep(o.handler_acquire, taken.handler_acquire);
    keep(o.handler_release, taken.handler_release);
    keep(o.handler_format, taken.handler_format);
    keep(o.handler_handle, taken.handler_handle);
    keep(o.formatter_type, taken.formatter_type);
    keep(o.formatter_format, taken.formatter_format);
    keep(o.formatter_format_time, taken.formatter_format_time);
    keep(o.formatter_uses_time, taken.formatter_uses_time);
    keep(o.record_type, taken.record_type);
    keep(o.record_get_message, taken.record_get_message);
    keep(o.python_emit, taken.python_emit);
    keep(o.fmt, taken.fmt);
    keep(o.datefmt, taken.datefmt);
    keep(o.converter, taken.converter);
    return set_method(handler_class, &handle_def) && set_method(handler_class, &emit_def) &&
           set_method(filter_class, &filter_def);
}

native_logging_counts native_logging_calls() { return counts; }

}  // namespace lambda_py27::python::detail
