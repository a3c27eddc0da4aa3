# lambda-py27's Python-side support for what only a fault needs: the error bodies, logs and X-Ray causes
# of a handler's exception, of a runtime error or of a handler that does not load, and SystemExit's
# status. Compiled into the library beside support.py and run, at the first fault only, as module
# `_lambda_py27_errors`: a function that never fails does not pay for making these at start-up.
import sys

import _lambda_py27 as _native
import _lambda_py27_support as _support


def load_fault(result):
    """load_handler's answer to a fault of _load_handler (its `result`)."""
    function, fault, cause, fatal, tb_text = result[:5]
    fault = _utf8(fault)  # it quotes the handler name, which is any bytes the environment holds
    if _support.MODERN:
        return _support._optin().modern_load_fault(fault, cause, tb_text, result[5])
    text = fault if cause is None else '%s: %s' % (fault, cause)
    if _support._LOG_JSON:
        log = _support._optin().json_error_record(text, None, [tb_text] if tb_text else [], '')
    else:
        log = text + '\n' + (tb_text or '')
    return None, fault, cause, fatal, tb_text, log, None, None


def initialization_error(e):
    """_load_handler's answer to an exception at import or in init(): fatal, with its traceback."""
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
    if _support.MODERN or _support._LOG_JSON:
        request_id = _native.current_request_id()
        stack = traceback.format_list(frames)
        optin = _support._optin()
        log = optin.error_log(message, type_name, stack, request_id)
        if _support.MODERN:
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


def format_runtime_error(etype, value, prefix):
    """(error body, log text, X-Ray cause) of an error the runtime met around the handler (event
    decoding, result encoding): no stack of the runtime's own frames."""
    message = _text(value)
    type_name = _utf8(_type_name(etype))
    if _support.MODERN:
        return _support._optin().format_runtime_error(message, prefix)
    if _support._LOG_JSON:
        log = _support._optin().json_error_record(prefix + message, type_name, [], _native.current_request_id())
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
