// Response streaming from Python: a handler returns a generator, its chunks go to the response writer.
#include "python/streaming.hpp"

#include <lambda_py27/python/interpreter.hpp>
#include <lambda_py27/python/json.hpp>
#include <lambda_py27/python/log.hpp>
#include <lambda_py27/runtime/response_stream.hpp>
#include "runtime/diagnostic.hpp"

#include <boost/python.hpp>

#include <cstdlib>
#include <cstring>
#include <string>

namespace bp = boost::python;

namespace lambda_py27::python::detail {
namespace {

// The public module handlers import. Kept tiny: the prelude is the only thing Python code must build.
constexpr const char* streaming_module_source =
    R"PY('''Response streaming for lambda-py27 (enabled by LAMBDA_PY27_RESPONSE_STREAMING=1).

A handler streams its response by returning a generator: each yielded str (or bytearray) is sent as it
is, each unicode as UTF-8, as soon as it is yielded. For a Function URL, yield http_response(...) first:
it becomes the HTTP-integration prelude (status code, headers, cookies).
'''


class HttpResponse(dict):
    '''The status code, headers and cookies of a Function URL response. Yield it first.'''
    __slots__ = ()


def http_response(status_code=200, headers=None, cookies=None):
    '''The prelude of a Function URL response: yield it before any chunk of the body.'''
    status_code = int(status_code)
    if not 100 <= status_code <= 599:
        raise ValueError('status_code must be within 100..599, not %d' % status_code)
    prelude = HttpResponse(statusCode=status_code)
    if headers:
        prelude['headers'] = dict(headers)
    if cookies:
        prelude['cookies'] = list(cookies)
    return prelude
)PY";

PyObject* prelude_class = nullptr;  // lambda_py27_streaming.HttpResponse, once registered

// The exception's class name (`ValueError`), for the error-type trailer.
std::string pending_exception_name() {
    PyObject *type = nullptr, *value = nullptr, *tb = nullptr;
    PyErr_Fetch(&type, &value, &tb);
    std::string name;
    if (type != nullptr) {
        if (PyObject* n = PyObject_GetAttrString(type, "__name__")) {
            if (PyString_Check(n)) name = PyString_AS_STRING(n);
            Py_DECREF(n);
        }
        PyErr_Clear();
    }
    PyErr_Restore(type, value, tb);
    return name;
}

// The bytes of one yielded item; false with TypeError set when it is neither text nor bytes.
bool chunk_bytes(PyObject* item, std::string& out) {
    if (PyString_Check(item)) {
        out.assign(PyString_AS_STRING(item), static_cast<std::size_t>(PyString_GET_SIZE(item)));
        return true;
    }
    if (PyUnicode_Check(item)) {
        PyObject* utf8 = PyUnicode_AsUTF8String(item);
        if (utf8 == nullptr) return false;
        out.assign(PyString_AS_STRING(utf8), static_cast<std::size_t>(PyString_GET_SIZE(utf8)));
        Py_DECREF(utf8);
        return true;
    }
    if (PyByteArray_Check(item)) {
        out.assign(PyByteArray_AS_STRING(item), static_cast<std::size_t>(PyByteArray_GET_SIZE(item)));
        return true;
    }
    if (prelude_class != nullptr && PyObject_IsInstance(item, prelude_class) == 1) {
        PyErr_SetString(PyExc_TypeError, "http_response() must be the first item the generator yields");
        return false;
    }
    PyErr_Format(PyExc_TypeError, "a streamed chunk must be str, unicode or bytearray, not %.200s",
                 Py_TYPE(item)->tp_name);
    return false;
}

void close_generator(PyObject* generator) {
    PyObject *type = nullptr, *value = nullptr, *tb = nullptr;
    PyErr_Fetch(&type, &value, &tb);
    if (PyObject* r = PyObject_CallMethod(generator, const_cast<char*>("close"), nullptr))
        Py_DECREF(r);
    else
        PyErr_Clear();  // a generator that refuses to close has nothing more to say to the caller
    PyErr_Restore(type, value, tb);
}

}  // namespace

bool response_streaming_enabled() noexcept {
    const char* v = std::getenv("LAMBDA_PY27_RESPONSE_STREAMING");
    return v != nullptr && std::strcmp(v, "1") == 0;
}

void register_streaming_module() {
    if (prelude_class != nullptr) return;
    PyObject* code = Py_CompileString(streaming_module_source, "lambda_py27_streaming.py", Py_file_input);
    if (code == nullptr) bp::throw_error_already_set();
    PyObject* mod = PyImport_ExecCodeModuleEx(const_cast<char*>("lambda_py27_streaming"), code,
                                              const_cast<char*>("lambda_py27_streaming.py"));
    Py_DECREF(code);
    if (mod == nullptr) bp::throw_error_already_set();
    prelude_class = PyObject_GetAttrString(mod, "HttpResponse");  // kept for the process's life
    Py_DECREF(mod);
    if (prelude_class == nullptr) bp::throw_error_already_set();
}

invocation_response stream_generator(PyObject* generator,
                                     const std::function<invocation_response()>& answer_exception) {
    response_writer* writer = response_writer::current();
    std::string content_type = "application/octet-stream";
    std::string collected;  // without a writer
    std::string chunk;
    bool first = true;
    bool began = false;

    // The failure for the pending exception: before the first chunk it is a plain error answer; after,
    // the loop puts it into the trailers with the exception's name as the error type.
    const auto fail = [&] {
        std::string name = pending_exception_name();
        invocation_response res = answer_exception();
        if (began && res.outcome == invocation_response::kind::failure && res.error_type.empty())
            res.error_type = std::move(name);
        return res;
    };

    for (;;) {
        PyObject* item = PyIter_Next(generator);
        if (item == nullptr) {
            if (PyErr_Occurred()) return fail();
            break;
        }
        bool ok;
        if (first && prelude_class != nullptr && PyObject_IsInstance(item, prelude_class) == 1) {
            // The Function URL prelude: its JSON, then 8 NUL bytes, then the body.
            std::string json;
            ok = json_dumps(item, json);
            if (ok) {
                chunk = lambda_py27::detail::http_integration_prelude(json);
                content_type.assign(http_integration_content_type);
            }
        } else {
            ok = chunk_bytes(item, chunk);
        }
        Py_DECREF(item);
        first = false;
        if (!ok) {
            invocation_response res = fail();
            close_generator(generator);
            return res;
        }
        if (chunk.empty()) continue;
        if (writer == nullptr) {
            collected += chunk;
            continue;
        }
        std::error_code ec;
        {
            gil_release unlocked;
            writer->begin(content_type, ec);
            if (!ec) writer->write(chunk, ec);
        }
        began = true;
        if (ec) {
            // The stream is over (too large, the API gone); the loop reports the writer's error.
            write_log(std::string(lambda_py27::detail::diagnostic_prefix) +
                      "the response stream ended early: " + ec.message() + "\n");
            close_generator(generator);
            return invocation_response::success({}, {});
        }
    }
    if (writer == nullptr) return invocation_response::success(std::move(collected), std::move(content_type));
    if (!writer->started()) {  // nothing was yielded: an empty stream
        gil_release unlocked;
        std::error_code ignored;
        writer->begin(content_type, ignored);
    }
    return invocation_response::success({}, {});
}

}  // namespace lambda_py27::python::detail
