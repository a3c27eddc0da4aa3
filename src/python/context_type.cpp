// `_lambda_py27.LambdaContext`: the handler's context as a static type (context.hpp).
#include "python/context.hpp"
#include "python/lazy_type.hpp"

#include <lambda_py27/python/log.hpp>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <string_view>

namespace bp = boost::python;

namespace lambda_py27::python::detail {
namespace {

// The object fields, aws_request_id to identity_header in declaration order, for traverse and clear.
PyObject** fields(lambda_context& c) { return &c.aws_request_id; }
constexpr int field_count =
    static_cast<int>((offsetof(lambda_context, identity_header) - offsetof(lambda_context, aws_request_id)) /
                     sizeof(PyObject*)) +
    1;

int context_traverse(PyObject* self, visitproc visit, void* arg) {
    auto& c = *reinterpret_cast<lambda_context*>(self);
    Py_VISIT(c.dict);
    for (int i = 0; i < field_count; ++i) Py_VISIT(fields(c)[i]);
    return 0;
}

int context_clear(PyObject* self) {
    auto& c = *reinterpret_cast<lambda_context*>(self);
    Py_CLEAR(c.dict);
    for (int i = 0; i < field_count; ++i) Py_CLEAR(fields(c)[i]);
    return 0;
}

void context_dealloc(PyObject* self) {
    PyObject_GC_UnTrack(self);
    if (reinterpret_cast<lambda_context*>(self)->weak_references != nullptr) PyObject_ClearWeakRefs(self);
    context_clear(self);
    Py_TYPE(self)->tp_free(self);
}

// `context.identity`: made (once) at its first read; a value assigned to it replaces it.
PyObject* get_identity(PyObject* self, void*) {
    auto& c = *reinterpret_cast<lambda_context*>(self);
    if (c.identity == nullptr) {
        try {
            std::string header;
            if (c.identity_header != nullptr)
                header.assign(PyString_AS_STRING(c.identity_header),
                              static_cast<std::size_t>(PyString_GET_SIZE(c.identity_header)));
            c.identity = bp::incref(make_identity(header).ptr());
        } catch (...) {
            bp::handle_exception();
            return nullptr;
        }
        Py_CLEAR(c.identity_header);
    }
    Py_INCREF(c.identity);
    return c.identity;
}

int set_identity(PyObject* self, PyObject* value, void*) {
    if (value == nullptr) {
        PyErr_SetString(PyExc_AttributeError, "can't delete attribute");
        return -1;
    }
    auto& c = *reinterpret_cast<lambda_context*>(self);
    Py_INCREF(value);
    Py_XSETREF(c.identity, value);
    Py_CLEAR(c.identity_header);
    return 0;
}

PyObject* get_remaining_time_in_millis(PyObject* self, PyObject*) {
    const std::int64_t deadline = reinterpret_cast<lambda_context*>(self)->deadline_ms;
    if (deadline <= 0) return PyInt_FromLong(0);
    const auto now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    return PyInt_FromLong(deadline > now ? static_cast<long>(deadline - now) : 0);
}

// `context.log(msg)`: writes `str(msg)` as one record, adding no newline.
PyObject* context_log(PyObject*, PyObject* message) {
    PyObject* s = PyObject_Str(message);
    if (s == nullptr) return nullptr;
    try {
        write_log(std::string_view(PyString_AS_STRING(s), static_cast<std::size_t>(PyString_GET_SIZE(s))));
    } catch (...) {
        Py_DECREF(s);
        bp::handle_exception();
        return nullptr;
    }
    Py_DECREF(s);
    Py_RETURN_NONE;
}

// A plain attribute: its value (None until set); deleting it is refused, as a property without a deleter
// refuses it. `closure` is the field's offset.
PyObject*& field_at(PyObject* self, void* closure) {
    return *reinterpret_cast<PyObject**>(reinterpret_cast<char*>(self) + reinterpret_cast<std::size_t>(closure));
}

PyObject* get_field(PyObject* self, void* closure) {
    PyObject* value = field_at(self, closure);
    if (value == nullptr) value = Py_None;
    Py_INCREF(value);
    return value;
}

int set_field(PyObject* self, PyObject* value, void* closure) {
    if (value == nullptr) {
        PyErr_SetString(PyExc_AttributeError, "can't delete attribute");
        return -1;
    }
    Py_INCREF(value);
    Py_XSETREF(field_at(self, closure), value);
    return 0;
}

// `context.__dict__`: what a handler added.
PyObject* get_dict(PyObject* self, void*) {
    auto& c = *reinterpret_cast<lambda_context*>(self);
    if (c.dict == nullptr && (c.dict = PyDict_New()) == nullptr) return nullptr;
    Py_INCREF(c.dict);
    return c.dict;
}

int set_dict(PyObject* self, PyObject* value, void*) {
    if (value == nullptr || !PyDict_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "__dict__ must be set to a dictionary");
        return -1;
    }
    auto& c = *reinterpret_cast<lambda_context*>(self);
    Py_INCREF(value);
    Py_XSETREF(c.dict, value);
    return 0;
}

#define LAMBDA_PY27_CONTEXT_FIELD(name) \
    { const_cast<char*>(#name), get_field, set_field, nullptr, reinterpret_cast<void*>(offsetof(lambda_context, name)) }
PyGetSetDef context_getset[] = {
    LAMBDA_PY27_CONTEXT_FIELD(aws_request_id),
    LAMBDA_PY27_CONTEXT_FIELD(invoked_function_arn),
    LAMBDA_PY27_CONTEXT_FIELD(function_name),
    LAMBDA_PY27_CONTEXT_FIELD(function_version),
    LAMBDA_PY27_CONTEXT_FIELD(memory_limit_in_mb),
    LAMBDA_PY27_CONTEXT_FIELD(log_group_name),
    LAMBDA_PY27_CONTEXT_FIELD(log_stream_name),
    {const_cast<char*>("identity"), get_identity, set_identity, nullptr, nullptr},
    LAMBDA_PY27_CONTEXT_FIELD(client_context),
    LAMBDA_PY27_CONTEXT_FIELD(tenant_id),
    {const_cast<char*>("__dict__"), get_dict, set_dict, nullptr, nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};
#undef LAMBDA_PY27_CONTEXT_FIELD

// As Boost.Python's classes answer pickle and copy (this was one): not enabled.
PyObject* context_reduce(PyObject* self, PyObject*) {
    PyObject* cls = reinterpret_cast<PyObject*>(Py_TYPE(self));
    PyObject* module = PyObject_GetAttrString(cls, "__module__");
    if (module == nullptr) PyErr_Clear();
    const char* module_name = module != nullptr && PyString_Check(module) ? PyString_AS_STRING(module) : "";
    const char* type_name = Py_TYPE(self)->tp_name;
    if (const char* dot = std::strrchr(type_name, '.')) type_name = dot + 1;
    PyErr_Format(
        PyExc_RuntimeError,
        "Pickling of \"%s%s%s\" instances is not enabled (http://www.boost.org/libs/python/doc/v2/pickle.html)",
        module_name, *module_name != '\0' ? "." : "", type_name);
    Py_XDECREF(module);
    return nullptr;
}

PyMethodDef context_methods[] = {
    {"get_remaining_time_in_millis", get_remaining_time_in_millis, METH_NOARGS, nullptr},
    {"log", context_log, METH_O, nullptr},
    {"__reduce__", context_reduce, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};

// As the Boost.Python class's default __init__ (this was one): no arguments; its ArgumentError was a TypeError.
int context_init(PyObject*, PyObject* args, PyObject* kwargs) {
    if (PyTuple_GET_SIZE(args) != 0 || (kwargs != nullptr && PyDict_Size(kwargs) != 0)) {
        PyErr_SetString(PyExc_TypeError, "LambdaContext() takes no arguments");
        return -1;
    }
    return 0;
}

PyTypeObject make_type() {
    PyTypeObject t{};
    t.ob_refcnt = 1;  // static: never freed
    Py_INCREF(&PyType_Type);
    Py_TYPE(&t) = &PyType_Type;
    t.tp_name = "_lambda_py27.LambdaContext";
    t.tp_basicsize = sizeof(lambda_context);
    t.tp_dealloc = context_dealloc;
    t.tp_getattro = PyObject_GenericGetAttr;
    t.tp_setattro = PyObject_GenericSetAttr;
    t.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE;
    t.tp_traverse = context_traverse;
    t.tp_clear = context_clear;
    t.tp_methods = context_methods;
    t.tp_getset = context_getset;
    t.tp_dictoffset = offsetof(lambda_context, dict);
    t.tp_weaklistoffset = offsetof(lambda_context, weak_references);
    t.tp_alloc = PyType_GenericAlloc;
    t.tp_init = context_init;
    t.tp_new = PyType_GenericNew;
    t.tp_free = PyObject_GC_Del;
    return t;
}

}  // namespace

PyTypeObject* lambda_context_type() {
    static PyTypeObject type = make_type();  // made with the GIL held, as every caller holds it
    // Its dictionary filled at the first attribute read (lazy_type.hpp): a function that never reads its
    // context does not pay for its descriptors.
    if ((type.tp_flags & Py_TPFLAGS_READY) == 0 && ready_type_lazily(type) != 0) return nullptr;
    return &type;
}

lambda_context* new_lambda_context() {
    PyTypeObject* type = lambda_context_type();
    if (type == nullptr) return nullptr;
    return reinterpret_cast<lambda_context*>(type->tp_alloc(type, 0));
}

}  // namespace lambda_py27::python::detail
