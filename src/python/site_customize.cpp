// site.main()'s last step, `import sitecustomize` then `import usercustomize` (site.hpp), with the search
// for a module that is not there made of stat() calls only.
#include "python/site.hpp"

#include <Python.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
// Python/import.c: the file suffixes its import tries in a folder, in order (".so", "module.so", ".py",
// ".pyc"; exported, declared by no installed header).
struct filedescr {
    char* suffix;
    char* mode;
    int type;
};
extern struct filedescr* _PyImport_Filetab;
}

namespace lambda_py27::python::detail {
namespace {

bool is_named(const char* a, const char* b) { return a != nullptr && std::strcmp(a, b) == 0; }

bool exists(const std::string& path, struct stat& st) { return ::stat(path.c_str(), &st) == 0; }

// Whether a folder holds what `import name` would look at in it: `name` (a package, or a folder Python
// warns about), then `name` with each suffix import tries. Looked up relative to the folder, opened once
// (O_PATH): the kernel then walks one component per name, not the folder's whole path again.
bool folder_may_hold(int folder_fd, const char* name) {
    std::string path = name;
    struct stat st {};
    if (::fstatat(folder_fd, path.c_str(), &st, 0) == 0) return true;
    for (const filedescr* f = _PyImport_Filetab; f != nullptr && f->suffix != nullptr; ++f) {
        path.resize(std::strlen(name));
        path += f->suffix;
        if (::fstatat(folder_fd, path.c_str(), &st, 0) == 0) return true;
    }
    return false;
}

// At start-up a missed `import name` costs Python's whole search: per sys.path entry an importer made and
// cached (zipimporter's walk up the path, then a NullImporter), per folder a stat and an fopen for each
// suffix (an fopen that fails costs three stats here), and the ImportError. Both customizations are
// usually absent, so the search is first made with stat() alone, once for every name, and Python's import
// runs only for a name it could find. Every case this does not model answers "may find", and Python's
// import decides as before: a module of that name already in sys.modules, built in or frozen; a finder
// on sys.meta_path; a path hook besides zipimport's, or an importer cached for an entry other than None (a
// folder) or a NullImporter (nothing); an entry that is not a str; an entry that is a file or lies under
// one (a zip, which zipimporter opens). The one visible difference: the entries' importers are cached
// when an import first needs them, not here.
std::vector<bool> may_find_modules(const std::vector<const char*>& names) {
    const std::vector<bool> unsure(names.size(), true);
    PyObject* modules = PyImport_GetModuleDict();
    PyObject* meta_path = PySys_GetObject(const_cast<char*>("meta_path"));
    PyObject* hooks = PySys_GetObject(const_cast<char*>("path_hooks"));
    PyObject* cache = PySys_GetObject(const_cast<char*>("path_importer_cache"));
    PyObject* path = PySys_GetObject(const_cast<char*>("path"));
    if (_PyImport_Filetab == nullptr) return unsure;  // set by Py_Initialize: not started?
    if (meta_path == nullptr || !PyList_Check(meta_path) || PyList_GET_SIZE(meta_path) != 0) return unsure;
    if (cache == nullptr || !PyDict_Check(cache) || path == nullptr || !PyList_Check(path)) return unsure;
    PyObject* zipimport = PyDict_GetItemString(modules, "zipimport");
    PyObject* zipimporter = zipimport != nullptr ? PyObject_GetAttrString(zipimport, "zipimporter") : nullptr;
    PyErr_Clear();
    const bool zipimport_hook_alone = zipimporter != nullptr && hooks != nullptr && PyList_Check(hooks) &&
                                      PyList_GET_SIZE(hooks) == 1 && PyList_GET_ITEM(hooks, 0) == zipimporter;
    Py_XDECREF(zipimporter);
    if (!zipimport_hook_alone) return unsure;

    std::vector<bool> may(names.size(), false);
    for (std::size_t n = 0; n < names.size(); ++n) {
        may[n] = PyDict_GetItemString(modules, names[n]) != nullptr;
        for (const _inittab* t = PyImport_Inittab; !may[n] && t != nullptr && t->name != nullptr; ++t)
            may[n] = is_named(t->name, names[n]);
        for (const _frozen* f = PyImport_FrozenModules; !may[n] && f != nullptr && f->name != nullptr; ++f)
            may[n] = is_named(f->name, names[n]);
    }
    // A folder that cannot be opened is one Python's import would look in all the same: "may find".
    const auto look_in = [&](const std::string& folder) {
        const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        for (std::size_t n = 0; n < names.size(); ++n)
            if (!may[n] && (fd < 0 || folder_may_hold(fd, names[n]))) may[n] = true;
        if (fd >= 0) ::close(fd);
    };
    const auto settled = [&] { return std::find(may.begin(), may.end(), false) == may.end(); };
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(path) && !settled(); ++i) {
        PyObject* entry = PyList_GET_ITEM(path, i);
        if (!PyString_CheckExact(entry)) return unsure;
        const std::string folder(PyString_AS_STRING(entry), static_cast<std::size_t>(PyString_GET_SIZE(entry)));
        if (folder.find('\0') != std::string::npos) return unsure;
        if (PyObject* importer = PyDict_GetItem(cache, entry)) {
            if (importer == Py_None)
                look_in(folder);
            else if (!PyObject_TypeCheck(importer, &PyNullImporter_Type))
                return unsure;
            continue;
        }
        if (folder.empty()) {  // the current folder
            look_in(folder);
            continue;
        }
        // As zipimporter looks for its archive: the entry, then each shorter prefix, up to the first that
        // exists. A folder: Python's import looks in it. A file there may be a zip. Otherwise Python's
        // importer is a NullImporter: nothing.
        struct stat st {};
        for (std::string prefix = folder;;) {
            if (exists(prefix, st)) {
                if (S_ISREG(st.st_mode)) return unsure;
                if (prefix.size() == folder.size() && S_ISDIR(st.st_mode)) look_in(folder);
                break;
            }
            const auto slash = prefix.rfind('/');
            if (slash == std::string::npos) break;
            prefix.resize(slash);
        }
    }
    return may;
}

// site.check_enableusersite(): False with -s or PYTHONNOUSERSITE, None (off) under set-uid or set-gid.
bool user_site_enabled() {
    if (Py_NoUserSiteDirectory) return false;
    return ::geteuid() == ::getuid() && ::getegid() == ::getgid();
}

void import_customization(const char* name) {
    if (PyObject* m = PyImport_ImportModule(name)) {
        Py_DECREF(m);
        return;
    }
    if (PyErr_ExceptionMatches(PyExc_ImportError)) {
        PyErr_Clear();
        return;
    }
    if (PyErr_ExceptionMatches(PyExc_Exception)) {
        if (Py_VerboseFlag) {
            PyErr_PrintEx(0);
        } else {
            PyErr_Clear();
            PySys_WriteStderr("'import %s' failed; use -v for traceback\n", name);
        }
        return;
    }
    // SystemExit, KeyboardInterrupt: what Python does when `site` fails at start. PyErr_Print ends the
    // process on SystemExit with its status; anything else is printed and the status is 1.
    PyErr_PrintEx(0);
    std::fflush(nullptr);
    std::exit(1);
}

}  // namespace

void import_site_customizations() {
    // A name the search cannot find ends in an ImportError, which is ignored: its import is skipped. A
    // sitecustomize that runs may change sys.path: usercustomize is then looked for again.
    const bool user = user_site_enabled();
    const std::vector<bool> may = may_find_modules(user ? std::vector<const char*>{"sitecustomize", "usercustomize"}
                                                        : std::vector<const char*>{"sitecustomize"});
    if (may[0]) import_customization("sitecustomize");
    if (user && (may[0] ? may_find_modules({"usercustomize"})[0] : may[1])) import_customization("usercustomize");
}

}  // namespace lambda_py27::python::detail
