#include "python/site.hpp"

#include "python/lazy_type.hpp"
#include "python/support.hpp"

#include <Python.h>
#include <structmember.h>
#include <structseq.h>

#include <unistd.h>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>

// The objects are site.py's (2.7.18) written as C types: making three types costs a few thousand
// instructions where importing `site` costs millions. Their names, texts and behaviour are site.py's.
namespace lambda_py27::python::detail {
namespace {

std::string g_stdlib_dir;  // where site.py and LICENSE.txt are
bool g_site_loading = false;

// Static types are set up field by field (C++17 has no designated initialisers); zero-initialised storage.
void start_type(PyTypeObject& t, const char* name, Py_ssize_t size) {
    t.ob_refcnt = 1;
    t.tp_name = name;
    t.tp_basicsize = size;
    t.tp_flags = Py_TPFLAGS_DEFAULT;
}

// ---- exit, quit: site.Quitter ---------------------------------------------------------------------

struct quitter {
    PyObject_HEAD
    PyObject* name;
};

PyTypeObject quitter_type;
PyMemberDef quitter_members[] = {{const_cast<char*>("name"), T_OBJECT, offsetof(quitter, name), 0, nullptr},
                                 {nullptr, 0, 0, 0, nullptr}};

PyObject* quitter_new(PyTypeObject* type, PyObject* args, PyObject* kwds) {
    static char* names[] = {const_cast<char*>("name"), nullptr};
    PyObject* name = nullptr;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:Quitter", names, &name)) return nullptr;
    auto* self = reinterpret_cast<quitter*>(type->tp_alloc(type, 0));
    if (self == nullptr) return nullptr;
    Py_INCREF(name);
    self->name = name;
    return reinterpret_cast<PyObject*>(self);
}

void quitter_dealloc(PyObject* o) {
    Py_CLEAR(reinterpret_cast<quitter*>(o)->name);
    Py_TYPE(o)->tp_free(o);
}

PyObject* quitter_repr(PyObject* o) {
    PyObject* name = reinterpret_cast<quitter*>(o)->name;
    PyObject* text = PyObject_Str(name != nullptr ? name : Py_None);
    if (text == nullptr) return nullptr;
    PyObject* r = PyString_FromFormat("Use %s() or Ctrl-D (i.e. EOF) to exit", PyString_AS_STRING(text));
    Py_DECREF(text);
    return r;
}

PyObject* quitter_call(PyObject*, PyObject* args, PyObject* kwds) {
    static char* names[] = {const_cast<char*>("code"), nullptr};
    PyObject* code = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:__call__", names, &code)) return nullptr;
    // As site's: shells that catch the SystemExit notice their closed stdin; every error is ignored.
    if (PyObject* in = PySys_GetObject(const_cast<char*>("stdin"))) {
        PyObject* r = PyObject_CallMethod(in, const_cast<char*>("close"), nullptr);
        Py_XDECREF(r);
    }
    PyErr_Clear();
    PyObject* exc = PyObject_CallFunctionObjArgs(PyExc_SystemExit, code, nullptr);
    if (exc == nullptr) return nullptr;
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc)), exc);
    Py_DECREF(exc);
    return nullptr;
}

// ---- copyright, credits, license: site._Printer ---------------------------------------------------

constexpr Py_ssize_t printer_max_lines = 23;

struct printer {
    PyObject_HEAD
    PyObject* name;
    PyObject* data;
    PyObject* files;
    PyObject* dirs;
    PyObject* lines;  // data split in lines, made when first shown
};

PyTypeObject printer_type;

PyObject* printer_new(PyTypeObject* type, PyObject* args, PyObject* kwds) {
    static char* names[] = {const_cast<char*>("name"), const_cast<char*>("data"), const_cast<char*>("files"),
                            const_cast<char*>("dirs"), nullptr};
    PyObject *name = nullptr, *data = nullptr, *files = nullptr, *dirs = nullptr;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|OO:_Printer", names, &name, &data, &files, &dirs)) return nullptr;
    auto* self = reinterpret_cast<printer*>(type->tp_alloc(type, 0));
    if (self == nullptr) return nullptr;
    PyObject* empty = PyTuple_New(0);
    if (empty == nullptr) {
        Py_DECREF(self);
        return nullptr;
    }
    for (auto [field, value] : {std::pair{&self->name, name}, std::pair{&self->data, data},
                                std::pair{&self->files, files != nullptr ? files : empty},
                                std::pair{&self->dirs, dirs != nullptr ? dirs : empty}}) {
        Py_INCREF(value);
        *field = value;
    }
    Py_DECREF(empty);
    return reinterpret_cast<PyObject*>(self);
}

void printer_dealloc(PyObject* o) {
    auto* self = reinterpret_cast<printer*>(o);
    for (PyObject** field : {&self->name, &self->data, &self->files, &self->dirs, &self->lines}) Py_CLEAR(*field);
    Py_TYPE(o)->tp_free(o);
}

// os.path.join(dir, file) on POSIX, for two parts.
PyObject* join_path(PyObject* dir, PyObject* file) {
    if (!PyString_Check(dir) || !PyString_Check(file)) {
        PyObject* posixpath = PyImport_ImportModule("posixpath");
        if (posixpath == nullptr) return nullptr;
        PyObject* r = PyObject_CallMethod(posixpath, const_cast<char*>("join"), const_cast<char*>("OO"), dir, file);
        Py_DECREF(posixpath);
        return r;
    }
    const std::string d = PyString_AS_STRING(dir), f = PyString_AS_STRING(file);
    std::string path = (!f.empty() && f[0] == '/') || d.empty() ? f : (d.back() == '/' ? d + f : d + "/" + f);
    return PyString_FromStringAndSize(path.data(), static_cast<Py_ssize_t>(path.size()));
}

// site._Printer.__setup: the first of `files` readable in `dirs`, else the data given.
int printer_setup(printer* self) {
    if (self->lines != nullptr && PyObject_IsTrue(self->lines) == 1) return 0;
    PyObject* data = nullptr;
    PyObject* dirs = PySequence_Fast(self->dirs, "dirs must be a sequence");
    PyObject* files = dirs != nullptr ? PySequence_Fast(self->files, "files must be a sequence") : nullptr;
    if (files == nullptr) {
        Py_XDECREF(dirs);
        return -1;
    }
    for (Py_ssize_t d = 0; d < PySequence_Fast_GET_SIZE(dirs) && data == nullptr; ++d) {
        for (Py_ssize_t f = 0; f < PySequence_Fast_GET_SIZE(files); ++f) {
            PyObject* path = join_path(PySequence_Fast_GET_ITEM(dirs, d), PySequence_Fast_GET_ITEM(files, f));
            PyObject* fp = path != nullptr ? PyObject_CallFunction(reinterpret_cast<PyObject*>(&PyFile_Type),
                                                                   const_cast<char*>("Os"), path, "rU")
                                           : nullptr;
            Py_XDECREF(path);
            PyObject* text = fp != nullptr ? PyObject_CallMethod(fp, const_cast<char*>("read"), nullptr) : nullptr;
            if (text != nullptr) {
                PyObject* r = PyObject_CallMethod(fp, const_cast<char*>("close"), nullptr);
                Py_XDECREF(r);
            }
            Py_XDECREF(fp);
            if (text == nullptr) {
                if (!PyErr_ExceptionMatches(PyExc_IOError)) {
                    Py_DECREF(dirs);
                    Py_DECREF(files);
                    return -1;
                }
                PyErr_Clear();
                continue;
            }
            data = text;
            break;
        }
        if (data != nullptr && PyObject_IsTrue(data) != 1) Py_CLEAR(data);  // empty: look further
    }
    Py_DECREF(dirs);
    Py_DECREF(files);
    if (data == nullptr) {
        data = self->data;
        Py_INCREF(data);
    }
    PyObject* lines = PyObject_CallMethod(data, const_cast<char*>("split"), const_cast<char*>("s"), "\n");
    Py_DECREF(data);
    if (lines == nullptr) return -1;
    Py_XDECREF(self->lines);
    self->lines = lines;
    return 0;
}

PyObject* printer_repr(PyObject* o) {
    auto* self = reinterpret_cast<printer*>(o);
    if (printer_setup(self) != 0) return nullptr;
    const Py_ssize_t n = PyObject_Size(self->lines);
    if (n < 0) return nullptr;
    if (n <= printer_max_lines) {
        PyObject* sep = PyString_FromString("\n");
        if (sep == nullptr) return nullptr;
        PyObject* r = PyObject_CallMethod(sep, const_cast<char*>("join"), const_cast<char*>("O"), self->lines);
        Py_DECREF(sep);
        return r;
    }
    PyObject* name = PyObject_Str(self->name);
    if (name == nullptr) return nullptr;
    PyObject* r =
        PyString_FromFormat("Type %s() to see the full %s text", PyString_AS_STRING(name), PyString_AS_STRING(name));
    Py_DECREF(name);
    return r;
}

// `print line`, to sys.stdout.
int print_line(PyObject* line) {
    PyObject* out = PySys_GetObject(const_cast<char*>("stdout"));
    if (out == nullptr) {
        PyErr_SetString(PyExc_RuntimeError, "lost sys.stdout");
        return -1;
    }
    if (PyFile_WriteObject(line, out, Py_PRINT_RAW) != 0) return -1;
    return PyFile_WriteString("\n", out);
}

// site._Printer.__call__: the text a screen at a time, asking with raw_input between screens.
PyObject* printer_call(PyObject* o, PyObject* args, PyObject* kwds) {
    static char* names[] = {nullptr};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, ":__call__", names)) return nullptr;
    auto* self = reinterpret_cast<printer*>(o);
    if (printer_setup(self) != 0) return nullptr;
    PyObject* raw_input = PyDict_GetItemString(PyEval_GetBuiltins(), "raw_input");  // borrowed
    for (Py_ssize_t lineno = 0;; lineno += printer_max_lines) {
        for (Py_ssize_t i = lineno; i < lineno + printer_max_lines; ++i) {
            PyObject* line = PySequence_GetItem(self->lines, i);
            if (line == nullptr) {
                if (!PyErr_ExceptionMatches(PyExc_IndexError)) return nullptr;
                PyErr_Clear();
                Py_RETURN_NONE;
            }
            const int written = print_line(line);
            Py_DECREF(line);
            if (written != 0) return nullptr;
        }
        if (raw_input == nullptr) {
            PyErr_SetString(PyExc_NameError, "global name 'raw_input' is not defined");
            return nullptr;
        }
        bool quit = false;
        for (;;) {
            PyObject* key = PyObject_CallFunction(raw_input, const_cast<char*>("s"),
                                                  "Hit Return for more, or q (and Return) to quit: ");
            if (key == nullptr) return nullptr;
            PyObject* q = PyString_FromString("q");
            PyObject* empty = PyString_FromString("");
            const int is_q = q != nullptr ? PyObject_RichCompareBool(key, q, Py_EQ) : -1;
            const int is_empty = empty != nullptr ? PyObject_RichCompareBool(key, empty, Py_EQ) : -1;
            Py_XDECREF(q);
            Py_XDECREF(empty);
            Py_DECREF(key);
            if (is_q < 0 || is_empty < 0) return nullptr;
            if (is_q == 1 || is_empty == 1) {
                quit = is_q == 1;
                break;
            }
        }
        if (quit) Py_RETURN_NONE;
    }
}

// ---- help: site._Helper ---------------------------------------------------------------------------

PyTypeObject helper_type;

PyObject* helper_repr(PyObject*) {
    return PyString_FromString("Type help() for interactive help, or help(object) for help about object.");
}

PyObject* helper_call(PyObject*, PyObject* args, PyObject* kwds) {
    PyObject* pydoc = PyImport_ImportModule("pydoc");
    if (pydoc == nullptr) return nullptr;
    PyObject* help = PyObject_GetAttrString(pydoc, "help");
    Py_DECREF(pydoc);
    if (help == nullptr) return nullptr;
    PyObject* r = PyObject_Call(help, args, kwds);
    Py_DECREF(help);
    return r;
}

// ---- the module `site`, run when first read ---------------------------------------------------------

PyTypeObject lazy_site_type;

// Runs site.py in the module `site` (its entry in sys.modules), then puts back what site.main() changed.
int load_real_site(PyObject* module) {
    static const char* const builtin_names[] = {"exit", "quit", "help", "copyright", "credits", "license"};
    g_site_loading = true;
    PyObject* builtins = PyModule_GetDict(PyImport_AddModule("__builtin__"));
    PyObject* saved_builtins[std::size(builtin_names)] = {};
    for (std::size_t i = 0; i < std::size(builtin_names); ++i) {
        saved_builtins[i] = PyDict_GetItemString(builtins, builtin_names[i]);
        Py_XINCREF(saved_builtins[i]);
    }
    PyObject* sys = PyImport_AddModule("sys");  // borrowed
    PyObject* path = PySys_GetObject(const_cast<char*>("path"));
    PyObject* saved_path = path != nullptr && PyList_Check(path) ? PyList_GetSlice(path, 0, PY_SSIZE_T_MAX) : nullptr;
    PyObject* set_default_encoding = PyObject_GetAttrString(sys, "setdefaultencoding");
    PyObject* modules = PyImport_GetModuleDict();
    bool placeholder[2] = {false, false};
    const char* const customizations[] = {"sitecustomize", "usercustomize"};
    for (int i = 0; i < 2; ++i) {  // imported (or looked for) at start already: None makes `import x` fail
        if (PyDict_GetItemString(modules, customizations[i]) == nullptr)
            placeholder[i] = PyDict_SetItemString(modules, customizations[i], Py_None) == 0;
    }
    PyErr_Clear();

    PyObject* loaded = nullptr;
    if (PyObject* imp = PyImport_ImportModule("imp")) {
        PyObject* found = PyObject_CallMethod(imp, const_cast<char*>("find_module"), const_cast<char*>("s[s]"), "site",
                                              g_stdlib_dir.c_str());
        if (found != nullptr && PyTuple_Check(found) && PyTuple_GET_SIZE(found) == 3) {
            PyObject* file = PyTuple_GET_ITEM(found, 0);
            loaded = PyObject_CallMethod(imp, const_cast<char*>("load_module"), const_cast<char*>("sOOO"), "site", file,
                                         PyTuple_GET_ITEM(found, 1), PyTuple_GET_ITEM(found, 2));
            if (file != Py_None) {
                PyObject *t, *v, *tb;
                PyErr_Fetch(&t, &v, &tb);
                PyObject* r = PyObject_CallMethod(file, const_cast<char*>("close"), nullptr);
                Py_XDECREF(r);
                PyErr_Clear();
                PyErr_Restore(t, v, tb);
            }
        }
        Py_XDECREF(found);
        Py_DECREF(imp);
    }

    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    for (int i = 0; i < 2; ++i)
        if (placeholder[i] && PyDict_GetItemString(modules, customizations[i]) == Py_None)
            PyDict_DelItemString(modules, customizations[i]);
    if (saved_path != nullptr) {
        if (PyObject* now = PySys_GetObject(const_cast<char*>("path")); now != nullptr && PyList_Check(now))
            PyList_SetSlice(now, 0, PY_SSIZE_T_MAX, saved_path);
        Py_DECREF(saved_path);
    }
    for (std::size_t i = 0; i < std::size(builtin_names); ++i) {
        if (saved_builtins[i] == nullptr) continue;
        PyDict_SetItemString(builtins, builtin_names[i], saved_builtins[i]);
        Py_DECREF(saved_builtins[i]);
    }
    if (set_default_encoding != nullptr) {
        PyObject_SetAttrString(sys, "setdefaultencoding", set_default_encoding);
        Py_DECREF(set_default_encoding);
    }
    PyErr_Clear();
    PyErr_Restore(type, value, tb);
    g_site_loading = false;
    if (loaded == nullptr) return -1;
    Py_DECREF(loaded);
    Py_TYPE(module) = &PyModule_Type;  // an ordinary module from now on (the same layout)
    return 0;
}

PyObject* lazy_site_getattro(PyObject* self, PyObject* name) {
    PyObject* r = PyObject_GenericGetAttr(self, name);
    if (r != nullptr || g_site_loading || !PyErr_ExceptionMatches(PyExc_AttributeError)) return r;
    // A missing special name (`__loader__`, `__path__`: what walkers of sys.modules ask every module) does
    // not load site.py.
    if (PyString_Check(name)) {
        const char* s = PyString_AS_STRING(name);
        const std::size_t n = std::strlen(s);
        if (n > 4 && std::strncmp(s, "__", 2) == 0 && std::strcmp(s + n - 2, "__") == 0) return nullptr;
    }
    PyErr_Clear();
    if (load_real_site(self) != 0) return nullptr;
    return PyObject_GenericGetAttr(self, name);
}

// ---- set-up --------------------------------------------------------------------------------------

[[noreturn]] void fail(const char* what) {
    std::string msg = std::string("lambda_py27: ") + what;
    if (PyErr_Occurred()) msg += ": " + pending_exception_text();
    throw std::runtime_error(msg);
}

// `lazily`: the dictionary filled at its first read (lazy_type.hpp); not for _Printer, whose dictionary
// gets MAXLINES here, nor the module type of `site`, whose __file__ is set at once (a lookup through it).
void ready(PyTypeObject& t, bool lazily) {
    if ((lazily ? ready_type_lazily(t) : PyType_Ready(&t)) != 0) fail("cannot make site's types");
}

void make_types() {
    if (quitter_type.tp_name != nullptr) return;  // made once per process
    start_type(quitter_type, "site.Quitter", sizeof(quitter));
    quitter_type.tp_new = quitter_new;
    quitter_type.tp_dealloc = quitter_dealloc;
    quitter_type.tp_repr = quitter_repr;
    quitter_type.tp_call = quitter_call;
    quitter_type.tp_members = quitter_members;
    ready(quitter_type, true);

    start_type(printer_type, "site._Printer", sizeof(printer));
    printer_type.tp_doc =
        "interactive prompt objects for printing the license text, a list of\n"
        "    contributors and the copyright notice.";
    printer_type.tp_new = printer_new;
    printer_type.tp_dealloc = printer_dealloc;
    printer_type.tp_repr = printer_repr;
    printer_type.tp_call = printer_call;
    ready(printer_type, false);
    PyObject* max_lines = PyInt_FromSsize_t(printer_max_lines);
    if (max_lines == nullptr || PyDict_SetItemString(printer_type.tp_dict, "MAXLINES", max_lines) != 0)
        fail("cannot make site's types");
    Py_DECREF(max_lines);

    start_type(helper_type, "site._Helper", sizeof(PyObject));
    helper_type.tp_doc = "Define the builtin 'help'.\n    This is a wrapper around pydoc.help (with a twist).\n\n    ";
    helper_type.tp_new = PyType_GenericNew;
    helper_type.tp_repr = helper_repr;
    helper_type.tp_call = helper_call;
    ready(helper_type, true);

    start_type(lazy_site_type, "module", 0);  // presents itself as the module it is
    lazy_site_type.tp_base = &PyModule_Type;
    lazy_site_type.tp_getattro = lazy_site_getattro;
    ready(lazy_site_type, false);
}

void set_builtin(PyObject* builtins, const char* name, PyObject* value) {
    if (value == nullptr || PyDict_SetItemString(builtins, name, value) != 0) fail("cannot set site's builtins");
    Py_DECREF(value);
}

// sys.flags is a struct sequence made at start from Py_NoSiteFlag; its type refuses new instances, so
// the one item is replaced in place, found by its field's name.
void clear_no_site_flag() {
    Py_NoSiteFlag = 0;
    PyObject* flags = PySys_GetObject(const_cast<char*>("flags"));
    if (flags == nullptr) return;
    for (const PyMemberDef* m = Py_TYPE(flags)->tp_members; m != nullptr && m->name != nullptr; ++m) {
        if (std::strcmp(m->name, "no_site") != 0) continue;
        const auto index = static_cast<Py_ssize_t>(
            (static_cast<std::size_t>(m->offset) - offsetof(PyStructSequence, ob_item)) / sizeof(PyObject*));
        if (index < 0 || index >= Py_SIZE(flags)) return;
        PyObject* zero = PyInt_FromLong(0);
        if (zero == nullptr) fail("cannot set sys.flags");
        PyObject*& item = reinterpret_cast<PyStructSequence*>(flags)->ob_item[index];
        Py_XDECREF(item);
        item = zero;
        return;
    }
}

}  // namespace

void install_site_state(const char* stdlib_dir) {
    g_stdlib_dir = stdlib_dir;
    const auto make = [](PyTypeObject& type) { return reinterpret_cast<PyObject*>(&type); };
    make_types();
    PyObject* builtins = PyModule_GetDict(PyImport_AddModule("__builtin__"));
    set_builtin(builtins, "quit", PyObject_CallFunction(make(quitter_type), const_cast<char*>("s"), "quit"));
    set_builtin(builtins, "exit", PyObject_CallFunction(make(quitter_type), const_cast<char*>("s"), "exit"));
    set_builtin(builtins, "copyright",
                PyObject_CallFunction(make(printer_type), const_cast<char*>("sO"), "copyright",
                                      PySys_GetObject(const_cast<char*>("copyright"))));
    set_builtin(builtins, "credits",
                PyObject_CallFunction(make(printer_type), const_cast<char*>("ss"), "credits",
                                      "    Thanks to CWI, CNRI, BeOpen.com, Zope Corporation and a cast of thousands\n"
                                      "    for supporting Python development.  See www.python.org for more "
                                      "information."));
    set_builtin(builtins, "license",
                PyObject_CallFunction(make(printer_type), const_cast<char*>("ss[ss][sss]"), "license",
                                      "See https://www.python.org/psf/license/", "LICENSE.txt", "LICENSE",
                                      (g_stdlib_dir + "/..").c_str(), g_stdlib_dir.c_str(), "."));
    set_builtin(builtins, "help", PyObject_CallObject(make(helper_type), nullptr));
    clear_no_site_flag();

    PyObject* modules = PyImport_GetModuleDict();
    if (PyDict_GetItemString(modules, "site") != nullptr) return;
    PyObject* site = PyObject_CallFunction(make(lazy_site_type), const_cast<char*>("s"), "site");
    if (site == nullptr) fail("cannot make module site");
    // Where site.py would have been imported from, as site.main() leaves it (compiled when it can be).
    std::string file = g_stdlib_dir + "/site.pyc";
    if (::access(file.c_str(), R_OK) != 0) file.pop_back();
    PyObject* file_name = PyString_FromString(file.c_str());
    if (file_name == nullptr || PyObject_SetAttrString(site, "__file__", file_name) != 0 ||
        PyDict_SetItemString(modules, "site", site) != 0)
        fail("cannot make module site");
    Py_DECREF(file_name);
    Py_DECREF(site);
}

}  // namespace lambda_py27::python::detail
