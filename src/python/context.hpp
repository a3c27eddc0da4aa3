// The handler's context object and its parts: Boost.Python classes of module `_lambda_py27`
// (bindings/module.cpp). Internal: users see them only from Python. Their attributes are plain, writable
// Python objects, named as the legacy runtime named them, each class's in one declaration.
#pragma once

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

/// The second argument of every handler. Attributes are plain, writable Python objects (as the legacy
/// runtime's were); `memory_limit_in_mb` is a string.
struct lambda_context {
    boost::python::object aws_request_id, invoked_function_arn, function_name, function_version, memory_limit_in_mb,
        log_group_name, log_stream_name;
    /// `context.identity` is made at its first read, from `identity_header` (the invocation's
    /// Lambda-Runtime-Cognito-Identity), and is the same object from then on; most handlers never read
    /// it. See context_identity().
    boost::python::object identity;
    std::string identity_header;
    bool identity_made = false;
    boost::python::object client_context;
    /// `Lambda-Runtime-Aws-Tenant-Id` (tenant isolation mode), None without one: not a legacy attribute,
    /// but one the managed runtimes added, and harmless to a function that never reads it.
    boost::python::object tenant_id;
    std::int64_t deadline_ms = 0;

    /// Deadline minus now in milliseconds, never below 0.
    long get_remaining_time_in_millis() const;
};

/// The classes only some invocations need, registered in module `_lambda_py27` at their first use
/// (bindings/module.cpp), not at start-up: CognitoIdentity (`context.identity`, made at its first read),
/// ClientContext and Client (an invocation with a client context), LogWriter (a file-like object whose
/// writes become log records: lambda_py27::testing's stand-in for sys.stdout). GIL held.
enum class on_first_use { identity, client_context, log_writer };
void register_class_on_first_use(on_first_use which);

/// A CognitoIdentity from the header's JSON: its two ids, None where absent or unreadable.
boost::python::object make_identity(const std::string& header);

/// `context.identity`: made (once) on first read; a value assigned to it replaces it.
boost::python::object context_identity(lambda_context& self);
void set_context_identity(lambda_context& self, const boost::python::object& value);

/// `context.log(msg)`: writes `str(msg)` as one record, adding no newline.
void context_log(const lambda_context& self, const boost::python::object& message);

}  // namespace lambda_py27::python::detail
