// The handler's context object and its parts: classes of module `_lambda_py27` (bindings/module.cpp; the
// context's own type in context_type.cpp). Internal: users see them only from Python. Their attributes are plain, writable
// Python objects, named as the legacy runtime named them, each class's in one declaration.
#pragma once

#include <Python.h>
#include <boost/python/object.hpp>

#include <cstdint>
#include <string>

namespace lambda_py27::python::detail {

/// `context.identity`: always present, attributes None when the invocation has no Cognito identity.
struct cognito_identity {
    boost::python::object cognito_identity_id, cognito_identity_pool_id;
};

/// `context.client_context.client`.
struct client_info {
    boost::python::object installation_id, app_title, app_version_name, app_version_code, app_package_name;
};

/// `context.client_context`: None without a client context.
struct client_context {
    boost::python::object client, custom, env;
};

/// The second argument of every handler: an instance of `_lambda_py27.LambdaContext`, a static type
/// (context_type.cpp), so that start-up readies a type instead of building a Boost.Python class, its
/// properties and their function objects. Attributes are plain, writable Python objects (as the legacy
/// runtime's were; None until set), `memory_limit_in_mb` a string; a handler may add its own.
struct lambda_context {
    PyObject_HEAD
    PyObject* dict;  // what a handler adds
    PyObject* weak_references;
    // Owned references (null reads as None), aws_request_id to identity_header in this order, nothing
    // between them: context_type.cpp walks them as an array.
    PyObject *aws_request_id, *invoked_function_arn, *function_name, *function_version, *memory_limit_in_mb,
        *log_group_name, *log_stream_name, *client_context, *tenant_id;
    /// `context.identity` is made at its first read, from `identity_header` (the invocation's
    /// Lambda-Runtime-Cognito-Identity, a str, or null), and is the same object from then on; most
    /// handlers never read it.
    PyObject *identity, *identity_header;
    std::int64_t deadline_ms;
};

/// The type, readied at its first use (GIL held); null with a Python exception if it cannot be.
PyTypeObject* lambda_context_type();
/// A new context, every attribute None, no deadline (GIL held); null with a Python exception.
lambda_context* new_lambda_context();

/// The classes only some invocations need, registered in module `_lambda_py27` at their first use
/// (bindings/module.cpp), not at start-up: CognitoIdentity (`context.identity`, made at its first read),
/// ClientContext and Client (an invocation with a client context), LogWriter (a file-like object whose
/// writes become log records: lambda_py27::testing's stand-in for sys.stdout). GIL held.
enum class on_first_use { identity, client_context, log_writer };
void register_class_on_first_use(on_first_use which);

/// A CognitoIdentity from the header's JSON: its two ids, None where absent or unreadable.
boost::python::object make_identity(const std::string& header);

}  // namespace lambda_py27::python::detail
