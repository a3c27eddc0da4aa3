# lambda-py27's Python-side support: the parts of the legacy python2.7 runtime that are not on the
# per-invocation hot path (handler loading, error formatting, the logging handler). It is compiled
# into the library (src/python/CMake embeds this file) and runs as module `_lambda_py27_support`.
import imp
import sys

import _lambda_py27 as _native

# Opt-in behaviour beyond the legacy runtime, read once (README: "Structured logging", "Modern error
# profile"). Unset, every path below is the legacy one. Read with the native getenv: importing posix
# (for os.environ's snapshot) builds the environment's dict and its tables of configuration names, a
# few per cent of a cold start, and a function that never imports os does not need it.
_LOG_JSON = _native.getenv('AWS_LAMBDA_LOG_FORMAT', '').upper() == 'JSON'
_LOG_LEVEL = _native.getenv('AWS_LAMBDA_LOG_LEVEL', '').upper()
MODERN = _native.getenv('LAMBDA_PY27_ERROR_PROFILE', 'legacy') == 'modern'
FAST_JSON = _native.getenv('LAMBDA_PY27_FAST_JSON', '') == '1'

# The handler's module once loaded: its optional shutdown() is a shutdown hook.
_handler_module = None
_optin_module = None


def _optin():
    """Module `_lambda_py27_optin` (src/python/support_optin.py): the code of the opt-in behaviour,
    loaded (marshalled at build time) only when something opted in, so the legacy start-up does not pay
    for it."""
    global _optin_module
    if _optin_module is None:
        import marshal
        module = imp.new_module('_lambda_py27_optin')
        module.__file__ = 'lambda_py27/support_optin.py'
        sys.modules[module.__name__] = module
        try:
            code = marshal.loads(_native.optin_code())
        except Exception:  # cannot happen with the Python that marshalled it: compile instead
            code = compile(_native.optin_source(), module.__file__, 'exec')
        exec code in module.__dict__
        _optin_module = module
    return _optin_module


def load_handler(spec):
    """Resolves 'module.function' as the legacy runtime did.

    Returns (function, fault, cause, fatal, traceback_text, log_text, error_type, error_body): function is
    None when fault is set; a fatal fault ends the process after it has been reported for the first
    invocation. log_text is what to log for the fault; error_type and error_body are set under the modern
    error profile only, where every fault is an init error.
    """
    result = _load_handler(spec)
    function, fault, cause, fatal, tb_text = result[:5]
    if fault is None:
        return function, None, None, False, None, None, None, None
    fault = _utf8(fault)  # it quotes the handler name, which is any bytes the environment holds
    if MODERN:
        return _optin().modern_load_fault(fault, cause, tb_text, result[5])
    text = fault if cause is None else '%s: %s' % (fault, cause)
    if _LOG_JSON:
        log = _optin().json_error_record(text, None, [tb_text] if tb_text else [], '')
    else:
        log = text + '\n' + (tb_text or '')
    return None, fault, cause, fatal, tb_text, log, None, None


def _load_handler(spec):
    """(function, fault, cause, fatal, traceback_text, (kind of fault, its exception or exc_info))."""
    global _handler_module
    try:
        modname, fname = spec.rsplit('.', 1)
    except ValueError as e:
        return None, "Bad handler '%s'" % spec, str(e), False, None, ('malformed', e)
    if not modname or not fname:
        return None, "Bad handler '%s'" % spec, "empty module or function name", False, None, ('malformed', None)
    handle = None
    try:
        pathname, desc = None, None
        for segment in modname.split('.'):
            if handle is not None:
                handle.close()
                handle = None
            handle, pathname, desc = imp.find_module(segment, None if pathname is None else [pathname])
        if handle is None and desc[2] == imp.C_BUILTIN:
            return None, "Cannot use built-in module %s as a handler module" % modname, None, False, None, ('builtin', None)
        module = imp.load_module(modname, handle, pathname, desc)
    except ImportError as e:
        return None, "Unable to import module '%s'" % modname, _text(e), False, None, ('import', e)
    except SyntaxError as e:
        return None, "Syntax error in module '%s'" % modname, _text(e), False, None, ('syntax', e)
    except Exception as e:
        return _initialization_error(e)
    finally:
        if handle is not None:
            handle.close()
    _handler_module = module
    try:
        function = getattr(module, fname)
    except AttributeError as e:
        return None, "Handler '%s' missing on module '%s'" % (fname, modname), _text(e), False, None, ('notfound', e)
    init = getattr(module, 'init', None)
    if init is not None:
        try:
            init()
        except Exception as e:
            return _initialization_error(e)
    return function, None, None, False, None, None


def _initialization_error(e):
    return None, "module initialization error", _text(e), True, _traceback_text(), ('init', sys.exc_info())


def _text(value):
    """str(value) as UTF-8 (see _utf8); when str() raises, its unicode() or '<unprintable T object>'."""
    try:
        return _utf8(str(value))
    except Exception:
        try:
            return _utf8(unicode(value))
        except Exception:
            return '<unprintable %s object>' % type(value).__name__


def _utf8(text):
    """`text` as a UTF-8 byte string, each byte that cannot be decoded as U+FFFD: an exception's message, a
    source line or a file name may be in any encoding, and the error body, the X-Ray cause (JSON) and the
    log are UTF-8. Everything is kept but the undecodable bytes."""
    if isinstance(text, unicode):
        text = text.encode('utf-8')
    try:
        text.decode('utf-8')
        return text
    except UnicodeError:
        return text.decode('utf-8', 'replace').encode('utf-8')


def _frames(tb):
    """traceback.extract_tb(tb), its file names, function names and source lines as UTF-8 (see _utf8)."""
    import traceback
    return [(_utf8(path), line, _utf8(name), _utf8(source) if source else source)
            for path, line, name, source in traceback.extract_tb(tb)]


def _traceback_text():
    import traceback
    return _utf8(''.join(traceback.format_exception(*sys.exc_info())))


def _type_name(etype):
    return getattr(etype, '__name__', None) or _text(etype)


def _error_body(message, type_name, frames):
    """The legacy error body: keys left out when empty, stack frames as lists."""
    body = {}
    if message:
        body['errorMessage'] = message
    if type_name:
        body['errorType'] = type_name
    if frames:
        body['stackTrace'] = [list(f) for f in frames]
    return _native.dumps(body)


def format_exception(etype, value, tb):
    """(error body, log text, X-Ray cause) of a handler's exception, as the legacy runtime made them (or
    the modern runtimes, under the modern error profile)."""
    import traceback
    frames = _frames(tb)
    message = _text(value)
    type_name = _utf8(_type_name(etype))
    cause = _xray_cause(message, type_name, frames)
    if MODERN or _LOG_JSON:
        request_id = _native.current_request_id()
        stack = traceback.format_list(frames)
        optin = _optin()
        log = optin.error_log(message, type_name, stack, request_id)
        if MODERN:
            return optin.modern_error_body(message, type_name, stack, request_id), log, cause
    else:
        log = '%s: %s\n%s' % (message, type_name, _utf8(''.join(traceback.format_exception(etype, value, tb))))
    return _error_body(message, type_name, frames), log, cause


def fault_cause(fault):
    """X-Ray cause of a handler-load fault."""
    return _xray_cause(fault, 'LambdaValidationError', ())


# An HTTP header value carries at most 64 KiB here (Boost.Beast's field limit), where the platform takes
# 1 MiB; a deep stack (a runaway recursion) is cut in its middle until the cause fits.
XRAY_CAUSE_LIMIT = 65535


def _xray_cause(message, type_name, frames):
    import posix  # getcwd without importing os (and its dozen modules)
    stack = [{'label': f[2], 'path': f[0], 'line': f[1]} for f in frames]
    while True:
        cause = _native.dumps({
            'working_directory': posix.getcwd(),
            'exceptions': [{'message': message, 'type': type_name, 'stack': stack}],
            'paths': sorted(set(f['path'] for f in stack)),
        })
        if len(cause) <= XRAY_CAUSE_LIMIT or len(stack) <= 2:
            return cause
        keep = len(stack) // 4
        stack = stack[:keep] + stack[-keep:]


# ---- logging ------------------------------------------------------------------------------------
# The root logger gets the legacy handler the moment `logging` is first imported, so start-up does
# not pay for importing logging (and threading, re, ...) when the function never logs.

LOG_FORMAT = '[%(levelname)s]\t%(asctime)s.%(msecs)dZ\t%(aws_request_id)s\t%(message)s\n'
DATE_FORMAT = '%Y-%m-%dT%H:%M:%S'


def legacy_logging_handler(logging, native=None):
    """A new handler of the legacy format, filter and formatter attached. Native (the default): its
    `handle` and `emit` and the filter's `filter` are the runtime's built-in methods (src/python/
    logging_handler.cpp), which format natively only what the Python methods here would format the same
    and call them for everything else. The tests make one of each."""
    import time

    class LambdaLoggerHandler(logging.Handler):
        def emit(self, record):
            try:
                text = self.format(record)
            except Exception:
                self.handleError(record)
                return
            _native.log(text)

    class LambdaLoggerFilter(logging.Filter):
        def filter(self, record):
            record.aws_request_id = _native.current_request_id()
            return True

    formatter = logging.Formatter(LOG_FORMAT, DATE_FORMAT)
    formatter.converter = time.gmtime
    if native is None:
        native = _native_logging()
    if native:
        _native.native_logging(logging, LambdaLoggerHandler, LambdaLoggerFilter, formatter)
    handler = LambdaLoggerHandler()
    handler.setFormatter(formatter)
    handler.addFilter(LambdaLoggerFilter())
    return handler


def _native_logging():
    """LAMBDA_PY27_NATIVE_LOGGING=0 (README "Configuration"): the Python methods above, logging's own LogRecord."""
    return _native.getenv('LAMBDA_PY27_NATIVE_LOGGING', '1') != '0'


def install_logging(logging):
    if _LOG_JSON:
        return _optin().install_json_logging(logging)
    if _native_logging():
        _native.native_log_record(logging, True)
    logging.getLogger().addHandler(legacy_logging_handler(logging))


class _FirstImportHook(object):
    """Runs install(module) when the top-level module `name` is first imported, then leaves sys.meta_path."""

    def __init__(self, name, install):
        self.name = name
        self.install = install

    def find_module(self, name, path=None):
        return self if name == self.name and path is None else None

    def load_module(self, name):
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        module = __import__(name)
        self.install(module)
        return module


def _on_first_import(name, install):
    if name in sys.modules:
        install(sys.modules[name])
    else:
        sys.meta_path.append(_FirstImportHook(name, install))


_on_first_import('logging', install_logging)
# LAMBDA_PY27_FAST_JSON=1 (README "Fast json"): the function's json.loads/dumps/load/dump on the runtime's
# converters, json's own functions for what they do not reproduce.
if FAST_JSON:
    _on_first_import('json', _native.install_fast_json)


def format_runtime_error(etype, value, prefix):
    """(error body, log text, X-Ray cause) of an error the runtime met around the handler (event
    decoding, result encoding): no stack of the runtime's own frames."""
    message = _text(value)
    type_name = _utf8(_type_name(etype))
    if MODERN:
        return _optin().format_runtime_error(message, prefix)
    if _LOG_JSON:
        log = _optin().json_error_record(prefix + message, type_name, [], _native.current_request_id())
    else:
        log = '%s%s\n' % (prefix, message)
    return _error_body(message, type_name, ()), log, _xray_cause(message, type_name, ())


def system_exit_status(value):
    """The process status for a SystemExit, as the interpreter computes it (printing a non-int code)."""
    code = getattr(value, 'code', None)
    if code is None:
        return 0
    if isinstance(code, (int, long)):
        return int(code) & 0xff
    try:
        sys.stderr.write(_text(code) + '\n')
    except Exception:
        pass
    return 1


def run_shutdown_hooks():
    """On SIGTERM (LAMBDA_PY27_GRACEFUL_SHUTDOWN); see support_optin.run_shutdown_hooks."""
    _optin().run_shutdown_hooks(_handler_module)
