#include <lambda_py27/python/interpreter.hpp>

#include "python/collector.hpp"
#include "python/parser_accelerators.hpp"
#include "python/site.hpp"

#include <Python.h>

#include <dirent.h>
#include <langinfo.h>
#include <sys/stat.h>
#include <unistd.h>
#include <atomic>
#include <climits>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <string>

extern "C" void init_lambda_py27();  // bindings/module.cpp (BOOST_PYTHON_MODULE(_lambda_py27))
extern char** environ;

namespace lambda_py27::python {
namespace {

std::atomic<bool> g_live{false};
// CPython 2 keeps the pointers given to Py_SetPythonHome, Py_SetProgramName and PyImport_AppendInittab.
std::string g_home;
std::string g_program;
std::deque<std::string> g_builtin_names;

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return (v != nullptr && *v != '\0') ? std::string(v) : fallback;
}

// Read into a buffer on the stack: a 4 KB string would be zeroed (and its heap pages touched) at every start.
std::string executable_path() {
    char buf[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return {};
    return std::string(buf, static_cast<std::size_t>(n));
}

std::string parent_dir(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string current_dir() {
    char buf[PATH_MAX];
    if (::getcwd(buf, sizeof buf) == nullptr) return ".";
    return buf;
}

bool is_python_home(const std::string& dir) {
    return exists(dir + "/lib/python2.7/os.py") || exists(dir + "/lib/python2.7/os.pyc");
}

// `executable` is executable_path(), read once by the caller (it is also the program name).
std::string find_home(const interpreter_options& o, const std::string& executable) {
    if (!o.python_home.empty()) return o.python_home;
    if (const char* v = std::getenv("LAMBDA_PY27_PYTHON_HOME"); v != nullptr && *v != '\0') return v;
    const std::string exe_dir = parent_dir(executable);
    for (const std::string& candidate : {exe_dir + "/python", parent_dir(exe_dir) + "/python"})
        if (is_python_home(candidate)) return candidate;
#ifdef LAMBDA_PY27_DEFAULT_PYTHON_HOME
    return LAMBDA_PY27_DEFAULT_PYTHON_HOME;
#else
    return {};
#endif
}

// The platform's internal variables are not for user code; older boto reads AWS_SECURITY_TOKEN.
void prepare_environment() {
    std::deque<std::string> internal;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        if (std::strncmp(*e, "_LAMBDA_", 8) == 0) {
            const char* eq = std::strchr(*e, '=');
            internal.emplace_back(*e, eq != nullptr ? static_cast<std::size_t>(eq - *e) : std::strlen(*e));
        }
    }
    for (const auto& name : internal) ::unsetenv(name.c_str());
    if (const char* token = std::getenv("AWS_SESSION_TOKEN"); token != nullptr)
        ::setenv("AWS_SECURITY_TOKEN", token, 1);
    // A bundle's OpenSSL looks for CA certificates where its build host keeps them (Debian: /usr/lib/ssl);
    // on Amazon Linux they are in /etc/pki/tls. Only when nothing is configured and that default is absent.
    if (std::getenv("SSL_CERT_FILE") == nullptr && std::getenv("SSL_CERT_DIR") == nullptr &&
        !exists("/usr/lib/ssl/cert.pem") && exists("/etc/pki/tls/certs/ca-bundle.crt"))
        ::setenv("SSL_CERT_FILE", "/etc/pki/tls/certs/ca-bundle.crt", 0);
}

// Py_InitializeEx imports the codec registry (the `encodings` package, `codecs`, `encodings.aliases` and the
// locale's codec: a quarter of a cold start's instructions) only to check that the locale's codeset names
// a codec, and setdefaultencoding('utf-8') checks 'utf-8' the same way. For the two codesets glibc gives
// Lambda's locales, UTF-8 (en_US.UTF-8, C.UTF-8) and ANSI_X3.4-1968 (C, POSIX, or a locale that is not
// installed), the answer is known: both name codecs of every Python 2.7. Then the registry is left to
// be imported when a codec is first looked up by name (`s.decode('utf-8')`, `codecs.lookup`, ...; the
// default encoding's own conversions take built-in shortcuts), and start-up ends in the same state:
// sys.getfilesystemencoding() is the locale's codeset, the standard streams' encoding is None, the
// default encoding 'utf-8'. With PYTHONIOENCODING set, or any other codeset, Python checks as always.
// How: the check is skipped by Py_InitializeEx itself when PYTHONIOENCODING is set and the file system
// encoding already known; the variable is set around Py_InitializeEx only, and what it sets (the
// streams' encoding) is put back to None.
class deferred_codec_registry {
public:
    deferred_codec_registry() {
        if (const char* io = std::getenv("PYTHONIOENCODING"); io != nullptr && *io != '\0') return;
        const char* current = std::setlocale(LC_CTYPE, nullptr);
        const std::string saved = current != nullptr ? current : "C";
        std::setlocale(LC_CTYPE, "");
        const char* codeset = nl_langinfo(CODESET);
        const std::string name = codeset != nullptr ? codeset : "";
        std::setlocale(LC_CTYPE, saved.c_str());
        if (name != "UTF-8" && name != "ANSI_X3.4-1968") return;
        static std::string file_system_encoding;  // Python keeps the pointer
        file_system_encoding = name;
        Py_FileSystemDefaultEncoding = file_system_encoding.data();
        ::setenv("PYTHONIOENCODING", "utf-8", 1);
        active_ = true;
    }
    /// Right after Py_InitializeEx.
    void started() {
        if (!active_) return;
        ::unsetenv("PYTHONIOENCODING");
        for (const char* name : {"stdin", "stdout", "stderr"}) {
            PyObject* f = PySys_GetObject(const_cast<char*>(name));
            if (f == nullptr || !PyFile_Check(f)) continue;
            auto* file = reinterpret_cast<PyFileObject*>(f);
            for (PyObject** field : {&file->f_encoding, &file->f_errors}) {
                PyObject* old = *field;
                Py_INCREF(Py_None);
                *field = Py_None;
                Py_XDECREF(old);
            }
        }
    }
    /// sys.setdefaultencoding('utf-8') without its check either (the buffer PyUnicode_GetDefaultEncoding
    /// returns is the one PyUnicode_SetDefaultEncoding writes; 'utf-8' names the built-in UTF-8 codec).
    void set_default_encoding_utf8() const {
        if (!active_) {
            PyUnicode_SetDefaultEncoding("utf-8");
            return;
        }
        std::strcpy(const_cast<char*>(PyUnicode_GetDefaultEncoding()), "utf-8");
    }

private:
    bool active_ = false;
};

[[noreturn]] void throw_python_error(const char* what) {
    std::string msg = what;
    if (PyErr_Occurred()) {
        PyObject *type = nullptr, *value = nullptr, *tb = nullptr;
        PyErr_Fetch(&type, &value, &tb);
        if (value != nullptr) {
            if (PyObject* s = PyObject_Str(value)) {
                msg += ": ";
                msg += PyString_AsString(s);
                Py_DECREF(s);
            }
        }
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
    }
    throw std::runtime_error(msg);
}

void append_path(PyObject* list, const std::string& entry) {
    PyObject* s = PyString_FromStringAndSize(entry.data(), static_cast<Py_ssize_t>(entry.size()));
    if (s == nullptr || PyList_Append(list, s) != 0) throw_python_error("cannot build sys.path");
    Py_DECREF(s);
}

// Whether `dir` holds a `.pth` file; read with readdir, so start-up does not import Python's os.
bool has_pth_files(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return false;
    bool found = false;
    while (const dirent* e = ::readdir(d)) {
        const std::size_t len = std::strlen(e->d_name);
        if (len > 4 && std::strcmp(e->d_name + len - 4, ".pth") == 0) {
            found = true;
            break;
        }
    }
    ::closedir(d);
    return found;
}

// sys.path, in the legacy runtime's order: task root; the layers (only when PYTHONPATH is unset) or
// PYTHONPATH's entries; the runtime folder; extra package folders; the standard library.
void set_up_sys_path(const interpreter_options& o, const std::vector<std::string>& layer_dirs) {
    PyObject* old_path = PySys_GetObject(const_cast<char*>("path"));  // borrowed
    if (old_path == nullptr || !PyList_Check(old_path)) throw_python_error("sys.path is missing");
    Py_ssize_t pythonpath_entries = 0;
    if (const char* pp = std::getenv("PYTHONPATH"); pp != nullptr && *pp != '\0') {
        pythonpath_entries = 1;
        for (const char* c = pp; *c != '\0'; ++c)
            if (*c == ':') ++pythonpath_entries;
    }
    pythonpath_entries = std::min(pythonpath_entries, PyList_GET_SIZE(old_path));

    PyObject* path = PyList_New(0);
    if (path == nullptr) throw_python_error("cannot build sys.path");
    append_path(path, o.task_root);
    for (const auto& d : layer_dirs) append_path(path, d);
    for (Py_ssize_t i = 0; i < pythonpath_entries; ++i) PyList_Append(path, PyList_GET_ITEM(old_path, i));
    append_path(path, o.runtime_dir);
    for (const auto& d : o.extra_paths) append_path(path, d);
    for (Py_ssize_t i = pythonpath_entries; i < PyList_GET_SIZE(old_path); ++i)
        PyList_Append(path, PyList_GET_ITEM(old_path, i));
    if (PySys_SetObject(const_cast<char*>("path"), path) != 0) throw_python_error("cannot set sys.path");
    Py_DECREF(path);
}

// `.pth` files are processed as site.addsitedir does; `site` is only imported when one exists.
void process_pth_files(const std::vector<std::string>& dirs) {
    PyObject* site = nullptr;
    for (const auto& dir : dirs) {
        if (!has_pth_files(dir)) continue;
        if (site == nullptr) {
            site = PyImport_ImportModule("site");
            if (site == nullptr) throw_python_error("cannot import site");
        }
        PyObject* r = PyObject_CallMethod(site, const_cast<char*>("addsitedir"), const_cast<char*>("s"), dir.c_str());
        if (r == nullptr) throw_python_error(("cannot process .pth files of " + dir).c_str());
        Py_DECREF(r);
    }
    Py_XDECREF(site);
}

}  // namespace

void register_builtin_module(const char* name, void (*init_function)()) {
    if (Py_IsInitialized()) {
        throw std::logic_error(std::string("lambda_py27: cannot register built-in module '") + name +
                               "': the interpreter is already running (register before it starts)");
    }
    g_builtin_names.emplace_back(name);
    if (PyImport_AppendInittab(const_cast<char*>(g_builtin_names.back().c_str()), init_function) != 0)
        throw std::runtime_error(std::string("lambda_py27: cannot register built-in module '") + name + "'");
}

bool interpreter::is_started() noexcept { return Py_IsInitialized() != 0; }

interpreter::interpreter(interpreter_options options) : options_(std::move(options)) {
    bool expected = false;
    if (!g_live.compare_exchange_strong(expected, true))
        throw std::logic_error("lambda_py27: an interpreter is already running in this process");

    auto& o = options_;
    if (o.task_root.empty()) o.task_root = env_or("LAMBDA_TASK_ROOT", "");
    if (o.task_root.empty()) o.task_root = current_dir();  // getcwd only when neither is set
    if (o.runtime_dir.empty()) o.runtime_dir = env_or("LAMBDA_RUNTIME_DIR", "/var/runtime");
    if (o.opt_root.empty()) o.opt_root = env_or("LAMBDA_PY27_OPT_ROOT", "/opt");
    const std::string executable = executable_path();  // read once: Python's home is found from it too
    o.python_home = find_home(o, executable);
    // A bundle's SDK packages (lambda_py27_package's EXTRA_PACKAGES) go after the runtime folder, where
    // the legacy runtime had boto3.
    if (!o.python_home.empty() && exists(o.python_home + "/sdk")) o.extra_paths.push_back(o.python_home + "/sdk");

    if (Py_IsInitialized()) {  // an earlier guard started it; Python is never finalised
        PyGILState_Ensure();
        return;
    }

    prepare_environment();
    g_home = o.python_home;
    g_program = executable;
    if (!g_home.empty()) Py_SetPythonHome(g_home.data());
    if (!g_program.empty()) Py_SetProgramName(g_program.data());
    Py_NoSiteFlag = 1;  // what `site` leaves for user code is made below (site.hpp), cheaper
    g_builtin_names.emplace_back("_lambda_py27");
    PyImport_AppendInittab(const_cast<char*>(g_builtin_names.back().c_str()), init_lambda_py27);

    // Writes to stdout/stderr reach the log at once: nothing is held across an invocation.
    std::setvbuf(stdout, nullptr, _IONBF, 0);
    std::setvbuf(stderr, nullptr, _IONBF, 0);

    // No collection while start-up builds its long-lived objects; they go to the oldest generation after.
    detail::startup_collection_pause no_collection_during_start_up;
    deferred_codec_registry codecs;
    Py_InitializeEx(1);
    codecs.started();
    detail::install_parser_accelerators();  // before anything is compiled from source
    PyEval_InitThreads();
    // The legacy runtime was `python2.7 /var/runtime/awslambda/bootstrap.py`, whose `reload(sys)` brought
    // back the sys.setdefaultencoding that `site` removes: it stays (code that calls it at import exists).
    char arg0[] = "/var/runtime/awslambda/bootstrap.py";
    char* argv[] = {arg0};
    PySys_SetArgvEx(1, argv, 0);
    codecs.set_default_encoding_utf8();
    // What `site` left for user code (builtins, sys.flags, a module `site`), without importing it.
    detail::install_site_state((std::string(Py_GetPrefix()) + "/lib/python2.7").c_str());

    std::vector<std::string> layer_dirs;
    if (const char* pp = std::getenv("PYTHONPATH"); pp == nullptr || *pp == '\0')
        layer_dirs = {o.opt_root + "/python/lib/python2.7/site-packages", o.opt_root + "/python"};
    set_up_sys_path(o, layer_dirs);
    std::vector<std::string> pth_dirs{o.task_root};
    pth_dirs.insert(pth_dirs.end(), layer_dirs.begin(), layer_dirs.end());
    process_pth_files(pth_dirs);

    if (o.change_directory && ::chdir(o.task_root.c_str()) != 0) {
        // The platform guarantees the task root; a missing one surfaces as an import fault later.
    }
    // The legacy script gave child Python processes its runtime folder; posix.environ, if made already,
    // is the environment's snapshot and gets it too.
    if (const char* pp = std::getenv("PYTHONPATH"); pp == nullptr || *pp == '\0') {
        ::setenv("PYTHONPATH", o.runtime_dir.c_str(), 1);
        if (PyObject* posix = PyDict_GetItemString(PyImport_GetModuleDict(), "posix"))
            if (PyObject* env = PyObject_GetAttrString(posix, "environ")) {
                PyObject* value = PyString_FromString(o.runtime_dir.c_str());
                if (value == nullptr || PyDict_Check(env) == 0 || PyDict_SetItemString(env, "PYTHONPATH", value) != 0)
                    PyErr_Clear();
                Py_XDECREF(value);
                Py_DECREF(env);
            }
        PyErr_Clear();
    }
    // Last, as site.main() ends: sitecustomize and usercustomize, found on the start-up sys.path. The
    // legacy script set the default encoding after `site`, so it is utf-8 whatever they chose.
    detail::import_site_customizations();
    codecs.set_default_encoding_utf8();
}

interpreter::interpreter(interpreter&& other) noexcept : options_(std::move(other.options_)), owner_(other.owner_) {
    other.owner_ = false;
}

interpreter::~interpreter() {
    if (owner_) g_live.store(false);
}

gil_release::gil_release() noexcept : state_(PyEval_SaveThread()) {}
gil_release::~gil_release() { PyEval_RestoreThread(state_); }

gil_acquire::gil_acquire() noexcept : state_(static_cast<int>(PyGILState_Ensure())) {}
gil_acquire::~gil_acquire() { PyGILState_Release(static_cast<PyGILState_STATE>(state_)); }

}  // namespace lambda_py27::python
