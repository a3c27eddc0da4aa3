// The function's own json calls on the runtime's converters (LAMBDA_PY27_FAST_JSON=1).
//
// Why the result is json's: a call takes the fast path only when json itself would serve it with its
// cached default encoder or decoder (json.dumps: `_default_encoder.encode(obj)`; json.dump:
// `_default_encoder.iterencode(obj)` written chunk by chunk; json.loads: `_default_decoder.decode(s)`),
// which is what the converters reproduce, and only while the module-level names those paths read are
// json's own. The converters then take only values they reproduce without running any code of the
// function's (json_builtin.hpp); whatever they refuse goes to json's own function with the caller's
// arguments, untouched, so its result, its exception and its side effects are Python's.
#include "fast_json.hpp"

#include "json_builtin.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>

namespace lambda_py27::python::detail {
namespace {

/// What json's condition for its default path requires of a keyword argument.
enum class rule { none, falsy, truthy, utf8 };

struct parameter {
    const char* name;
    rule required;
};

// json.dumps/json.dump: `not skipkeys and ensure_ascii and check_circular and allow_nan and cls is None
// and indent is None and separators is None and encoding == 'utf-8' and default is None and not
// sort_keys and not kw`.
constexpr parameter kDumpsParameters[] = {{"skipkeys", rule::falsy},
                                          {"ensure_ascii", rule::truthy},
                                          {"check_circular", rule::truthy},
                                          {"allow_nan", rule::truthy},
                                          {"cls", rule::none},
                                          {"indent", rule::none},
                                          {"separators", rule::none},
                                          {"encoding", rule::utf8},
                                          {"default", rule::none},
                                          {"sort_keys", rule::falsy}};
// json.loads/json.load: `cls is None and encoding is None and object_hook is None and parse_int is None
// and parse_float is None and parse_constant is None and object_pairs_hook is None and not kw`.
constexpr parameter kLoadsParameters[] = {{"encoding", rule::none},         {"cls", rule::none},
                                          {"object_hook", rule::none},      {"parse_float", rule::none},
                                          {"parse_int", rule::none},        {"parse_constant", rule::none},
                                          {"object_pairs_hook", rule::none}};

/// The truth of a value whose truth runs no code (bool, int, long, None): 1 or 0; -1 for any other.
int plain_truth(PyObject* v) {
    if (v == Py_True) return 1;
    if (v == Py_False || v == Py_None) return 0;
    if (PyInt_CheckExact(v)) return PyInt_AS_LONG(v) != 0;
    if (PyLong_CheckExact(v)) return Py_SIZE(v) != 0;
    return -1;
}

/// `v == 'utf-8'`, for the str and unicode that compare without running code; false for anything else.
bool is_utf8_name(PyObject* v) {
    if (PyString_CheckExact(v)) {
        return std::string_view(PyString_AS_STRING(v), static_cast<std::size_t>(PyString_GET_SIZE(v))) == "utf-8";
    }
    if (PyUnicode_CheckExact(v) && PyUnicode_GET_SIZE(v) == 5) {
        const Py_UNICODE* u = PyUnicode_AS_UNICODE(v);
        for (std::size_t i = 0; i < 5; ++i) {
            if (u[i] != static_cast<Py_UNICODE>("utf-8"[i])) return false;
        }
        return true;
    }
    return false;
}

bool satisfies(PyObject* v, rule r) {
    switch (r) {
        case rule::none: return v == Py_None;
        case rule::falsy: return plain_truth(v) == 0;
        case rule::truthy: return plain_truth(v) == 1;
        case rule::utf8: return is_utf8_name(v);
    }
    return false;
}

/// True when every keyword argument is one of `parameters` and lets json take its default path.
template <std::size_t N>
bool default_path(PyObject* kwargs, const parameter (&parameters)[N]) {
    if (kwargs == nullptr) return true;
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(kwargs, &pos, &key, &value)) {
        if (!PyString_CheckExact(key)) return false;
        const std::string_view name(PyString_AS_STRING(key), static_cast<std::size_t>(PyString_GET_SIZE(key)));
        const parameter* match = nullptr;
        for (const parameter& p : parameters) {
            if (name == p.name) match = &p;
        }
        if (match == nullptr || !satisfies(value, match->required)) return false;
    }
    return true;
}

/// A module-level name of json's and the object it held when the routing was installed.
struct watched {
    PyObject* dict = nullptr;  // the module's __dict__
    PyObject* name = nullptr;  // interned
    PyObject* value = nullptr;

    bool intact() const { return PyDict_GetItem(dict, name) == value; }
};

struct routing {
    // json's own functions, and the built-in ones that replaced them.
    PyObject* loads = nullptr;
    PyObject* dumps = nullptr;
    PyObject* load = nullptr;
    PyObject* dump = nullptr;
    // What json's default paths read at each call: json._default_encoder / _default_decoder, json.loads
    // (json.load calls it), json.encoder's c_make_encoder, encode_basestring_ascii (dumps and dump),
    // FLOAT_REPR, INFINITY and _make_iterencode (dump's pure-Python encoder).
    watched default_encoder, default_decoder, module_loads, c_make_encoder, encode_ascii, float_repr, infinity,
        make_iterencode;
    fast_json_counts counts;

    bool dumps_intact() const { return default_encoder.intact() && c_make_encoder.intact() && encode_ascii.intact(); }
    bool dump_intact() const {
        return default_encoder.intact() && encode_ascii.intact() && float_repr.intact() && infinity.intact() &&
               make_iterencode.intact();
    }
    bool loads_intact() const { return default_decoder.intact(); }
    bool load_intact() const { return default_decoder.intact() && module_loads.intact(); }

    PyObject* fall_back(PyObject* original, PyObject* args, PyObject* kwargs) {
        ++counts.fallen_back;
        return PyObject_Call(original, args, kwargs);
    }
};

routing* installed = nullptr;  // never freed: the interpreter is never finalised

/// A string buffer kept from call to call; a nested call (a finaliser run by an allocation calling json)
/// gets one of its own.
class scratch {
public:
    scratch() : s_(busy_ ? own_ : shared_), owner_(!busy_) {
        busy_ = true;
        s_.clear();
    }
    ~scratch() {
        if (owner_) {
            busy_ = false;
            if (shared_.capacity() > (std::size_t(1) << 20)) std::string().swap(shared_);
        }
    }
    scratch(const scratch&) = delete;
    scratch& operator=(const scratch&) = delete;
    std::string& get() { return s_; }

private:
    static inline std::string shared_;
    static inline bool busy_ = false;
    std::string own_;
    std::string& s_;
    bool owner_;
};

/// The UTF-8 of a unicode object, unless it holds a surrogate code point: Python's UTF-8 encoder joins a
/// pair of them, where json.loads of the unicode keeps both, so such a text is json's to decode.
bool utf8_without_surrogates(PyObject* u, std::string& out) {
    const Py_UNICODE* s = PyUnicode_AS_UNICODE(u);
    const auto n = static_cast<std::size_t>(PyUnicode_GET_SIZE(u));
    out.resize(4 * n);
    auto* p = reinterpret_cast<unsigned char*>(out.data());
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {  // ASCII (most of a JSON text) eight at a time, without a branch each
        std::uint32_t any = 0;
        for (std::size_t k = 0; k < 8; ++k) {
            const auto c = static_cast<std::uint32_t>(s[i + k]);
            any |= c;
            p[k] = static_cast<unsigned char>(c);
        }
        if (any >= 0x80) break;  // the word again, one at a time, below
        p += 8;
    }
    for (; i < n; ++i) {
        const auto c = static_cast<std::uint32_t>(s[i]);
        if (c < 0x80) {
            *p++ = static_cast<unsigned char>(c);
        } else if (c < 0x800) {
            *p++ = static_cast<unsigned char>(0xC0 | (c >> 6));
            *p++ = static_cast<unsigned char>(0x80 | (c & 0x3F));
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            return false;
        } else if (c < 0x10000) {
            *p++ = static_cast<unsigned char>(0xE0 | (c >> 12));
            *p++ = static_cast<unsigned char>(0x80 | ((c >> 6) & 0x3F));
            *p++ = static_cast<unsigned char>(0x80 | (c & 0x3F));
        } else {
            *p++ = static_cast<unsigned char>(0xF0 | (c >> 18));
            *p++ = static_cast<unsigned char>(0x80 | ((c >> 12) & 0x3F));
            *p++ = static_cast<unsigned char>(0x80 | ((c >> 6) & 0x3F));
            *p++ = static_cast<unsigned char>(0x80 | (c & 0x3F));
        }
    }
    out.resize(static_cast<std::size_t>(p - reinterpret_cast<unsigned char*>(out.data())));
    return true;
}

/// json.loads(text)'s value when the fast decoder takes `text` (an exact str or unicode); else nullptr
/// with no exception set.
PyObject* decode(PyObject* text) {
    if (PyString_CheckExact(text)) {
        return json_loads_taken(
            std::string_view(PyString_AS_STRING(text), static_cast<std::size_t>(PyString_GET_SIZE(text))));
    }
    if (PyUnicode_CheckExact(text)) {
        scratch utf8;
        if (utf8_without_surrogates(text, utf8.get())) return json_loads_taken(utf8.get());
    }
    return nullptr;
}

PyObject* as_str(const std::string& s) {
    return PyString_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
}

PyObject* fast_loads(PyObject*, PyObject* args, PyObject* kwargs) {
    routing& r = *installed;
    if (PyTuple_GET_SIZE(args) == 1 && default_path(kwargs, kLoadsParameters) && r.loads_intact()) {
        if (PyObject* v = decode(PyTuple_GET_ITEM(args, 0))) {
            ++r.counts.fast;
            return v;
        }
    }
    return r.fall_back(r.loads, args, kwargs);
}

PyObject* fast_load(PyObject*, PyObject* args, PyObject* kwargs) {
    routing& r = *installed;
    if (PyTuple_GET_SIZE(args) != 1 || !default_path(kwargs, kLoadsParameters) || !r.load_intact()) {
        return r.fall_back(r.load, args, kwargs);
    }
    // json.load: loads(fp.read(), <its keyword arguments>), which here are all json's defaults.
    PyObject* text = PyObject_CallMethod(PyTuple_GET_ITEM(args, 0), const_cast<char*>("read"), nullptr);
    if (text == nullptr) return nullptr;
    PyObject* v = decode(text);
    if (v != nullptr) {
        ++r.counts.fast;
    } else {
        ++r.counts.fallen_back;
        v = PyObject_CallFunctionObjArgs(r.loads, text, nullptr);
    }
    Py_DECREF(text);
    return v;
}

PyObject* fast_dumps(PyObject*, PyObject* args, PyObject* kwargs) {
    routing& r = *installed;
    if (PyTuple_GET_SIZE(args) == 1 && default_path(kwargs, kDumpsParameters) && r.dumps_intact()) {
        scratch out;
        if (json_dumps_builtin(PyTuple_GET_ITEM(args, 0), out.get(), json_bool_keys::c_encoder)) {
            ++r.counts.fast;
            return as_str(out.get());
        }
    }
    return r.fall_back(r.dumps, args, kwargs);
}

PyObject* fast_dump(PyObject*, PyObject* args, PyObject* kwargs) {
    routing& r = *installed;
    if (PyTuple_GET_SIZE(args) == 2 && default_path(kwargs, kDumpsParameters) && r.dump_intact()) {
        PyObject* text = nullptr;
        {
            scratch out;
            if (json_dumps_builtin(PyTuple_GET_ITEM(args, 0), out.get(), json_bool_keys::python_encoder)) {
                text = as_str(out.get());
                if (text == nullptr) return nullptr;
            }
        }
        if (text != nullptr) {
            // The whole document in one fp.write, where json.dump writes it chunk by chunk (README).
            ++r.counts.fast;
            PyObject* written = PyObject_CallMethod(PyTuple_GET_ITEM(args, 1), const_cast<char*>("write"),
                                                    const_cast<char*>("(O)"), text);
            Py_DECREF(text);
            if (written == nullptr) return nullptr;
            Py_DECREF(written);
            Py_RETURN_NONE;
        }
    }
    return r.fall_back(r.dump, args, kwargs);
}

// Docstrings of json's functions, kept for the built-in ones (help(json.dumps) stays json's).
struct method {
    const char* name;
    PyCFunctionWithKeywords function;
    std::string doc;
    PyMethodDef def{};
};
method g_methods[] = {
    {"loads", fast_loads, {}}, {"dumps", fast_dumps, {}}, {"load", fast_load, {}}, {"dump", fast_dump, {}}};

/// Borrowed attribute of a module dict, or nullptr (no exception).
PyObject* entry(PyObject* dict, const char* name) { return PyDict_GetItemString(dict, name); }

std::string watch(watched& w, PyObject* dict, const char* name) {
    w.dict = dict;
    w.name = PyString_InternFromString(name);
    w.value = entry(dict, name);
    if (w.name == nullptr || w.value == nullptr) {
        PyErr_Clear();
        return std::string("json has no ") + name;
    }
    Py_INCREF(w.dict);
    Py_INCREF(w.value);
    return "";
}

}  // namespace

std::string install_fast_json(PyObject* json) {
    if (installed != nullptr) return "";
    PyObject* dict = PyModule_Check(json) ? PyModule_GetDict(json) : nullptr;
    PyObject* encoder = dict != nullptr ? entry(dict, "encoder") : nullptr;
    PyObject* encoder_dict = encoder != nullptr && PyModule_Check(encoder) ? PyModule_GetDict(encoder) : nullptr;
    if (encoder_dict == nullptr) return "json is not the standard library's (no json.encoder module)";
    auto r = std::make_unique<routing>();
    std::string why;
    for (auto [w, d, name] :
         {std::tuple{&r->default_encoder, dict, "_default_encoder"},
          std::tuple{&r->default_decoder, dict, "_default_decoder"},
          std::tuple{&r->c_make_encoder, encoder_dict, "c_make_encoder"},
          std::tuple{&r->encode_ascii, encoder_dict, "encode_basestring_ascii"},
          std::tuple{&r->float_repr, encoder_dict, "FLOAT_REPR"}, std::tuple{&r->infinity, encoder_dict, "INFINITY"},
          std::tuple{&r->make_iterencode, encoder_dict, "_make_iterencode"}}) {
        if (why.empty()) why = watch(*w, d, name);
    }
    PyObject** originals[] = {&r->loads, &r->dumps, &r->load, &r->dump};
    for (std::size_t i = 0; i < 4 && why.empty(); ++i) {
        *originals[i] = entry(dict, g_methods[i].name);
        if (*originals[i] == nullptr || !PyCallable_Check(*originals[i]))
            why = std::string("json has no ") + g_methods[i].name;
    }
    if (!why.empty()) return why;  // (the few references taken stay: this happens once, if ever)
    PyObject* module_name = PyString_FromString("json");
    PyObject* functions[4] = {};
    for (std::size_t i = 0; i < 4; ++i) {
        Py_INCREF(*originals[i]);
        method& m = g_methods[i];
        if (PyObject* doc = PyObject_GetAttrString(*originals[i], "__doc__"); doc != nullptr && PyString_Check(doc)) {
            m.doc = PyString_AS_STRING(doc);
            Py_DECREF(doc);
        } else {
            Py_XDECREF(doc);
        }
        PyErr_Clear();
        m.def = PyMethodDef{m.name, reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(m.function)),
                            METH_VARARGS | METH_KEYWORDS, m.doc.empty() ? nullptr : m.doc.c_str()};
        functions[i] = module_name != nullptr ? PyCFunction_NewEx(&m.def, nullptr, module_name) : nullptr;
    }
    Py_XDECREF(module_name);
    bool made = true;
    for (PyObject* f : functions) made = made && f != nullptr;
    if (made) {
        installed = r.release();
        for (std::size_t i = 0; i < 4; ++i)
            made = made && PyDict_SetItemString(dict, g_methods[i].name, functions[i]) == 0;
        // json.load calls the module's loads: now the fast one, which json.load's fast path expects.
        why = made ? watch(installed->module_loads, dict, "loads") : "cannot set json's functions";
    } else {
        why = "out of memory";
    }
    for (PyObject* f : functions) Py_XDECREF(f);
    PyErr_Clear();
    return why;
}

PyObject* original_json_loads() { return installed != nullptr ? installed->loads : nullptr; }

fast_json_counts fast_json_calls() { return installed != nullptr ? installed->counts : fast_json_counts{}; }

}  // namespace lambda_py27::python::detail
