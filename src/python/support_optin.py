# lambda-py27's Python-side support for the opt-in behaviour beyond the legacy runtime (README:
# "Opt-in"): structured logging, the modern error profile, graceful shutdown. Compiled into the library
# beside support.py and run, on first use only, as module `_lambda_py27_optin`.
import sys

import _lambda_py27 as _native
import _lambda_py27_support as _support

# What the opt-in behaviour shares with the fault paths (support_errors.py); every opt-in needs some of it.
_errors = _support._errors()
_text = _errors._text
_type_name = _errors._type_name
_traceback_text = _errors._traceback_text


# ---- modern error profile -------------------------------------------------------------------------
# The modern Python runtimes' shapes: every key always present, the stack as formatted text lines, the
# request id in the body; runtime faults as Runtime.* types with the cause in the message.

def modern_error_body(message, type_name, stack, request_id):
    return _ordered_json([('errorMessage', message or ''), ('errorType', type_name or ''),
                          ('requestId', request_id or ''), ('stackTrace', list(stack or []))])


def error_log(message, type_name, stack, request_id):
    """The log record of an error the runtime reports: one JSON object in JSON log format; else the
    modern runtimes' text record (lines joined by CR, so the log keeps it as one event; indentation as
    no-break spaces)."""
    if _support._LOG_JSON:
        return json_error_record(message, type_name, stack, request_id)
    head = '[ERROR]'
    if type_name:
        head += ' ' + type_name
    if message:
        head += (':' if type_name else '') + ' ' + message
    lines = [head, 'Traceback (most recent call last):']
    for entry in stack or []:
        for line in entry.splitlines():
            stripped = line.lstrip(' ')
            lines.append('\xc2\xa0' * (len(line) - len(stripped)) + stripped)
    return '\r'.join(lines) + '\n'


def json_error_record(message, type_name, stack, request_id):
    fields = [('timestamp', _utc_timestamp(_now())), ('level', 'ERROR'), ('errorMessage', message or '')]
    if type_name:
        fields.append(('errorType', type_name))
    fields += [('requestId', request_id or ''), ('stackTrace', list(stack or []))]
    return _ordered_json(fields) + '\n'


def _now():
    import time
    return time.time()


def _utc_timestamp(t):
    """2026-11-26T15:04:05.007Z: UTC, milliseconds zero-padded (the modern runtimes' JSON timestamp)."""
    import time
    seconds = int(t)
    millis = min(int((t - seconds) * 1000), 999)
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(seconds)) + '.%03dZ' % millis


def _ordered_json(fields):
    """One JSON object with its keys in the given order, separators as json.dumps; non-ASCII text kept
    as UTF-8 (as the modern runtimes write it); bytes that are not UTF-8 replaced by U+FFFD."""
    return '{' + ', '.join('%s: %s' % (_native.dumps(key), _json_value_text(value)) for key, value in fields) + '}'


def _json_value_text(value):
    # The runtime's C++ encoder first (json.dumps's bytes, ASCII only); json's own encoder only for what
    # it escaped as \uXXXX, which may be non-ASCII text to keep as UTF-8.
    try:
        text = _native.dumps(value)
    except UnicodeDecodeError:
        return _json_value_text(_utf8_repaired(value))
    except TypeError:  # a container holding something that is not JSON
        return _json_value_text(_text(value))
    if '\\u' not in text:
        return text
    import json
    try:
        utf8 = json.dumps(value, ensure_ascii=False)
    except UnicodeError:
        return text
    return utf8.encode('utf-8') if isinstance(utf8, unicode) else utf8


def _utf8_repaired(value):
    if isinstance(value, str):
        return value.decode('utf-8', 'replace')
    if isinstance(value, (list, tuple)):
        return [_utf8_repaired(v) for v in value]
    if isinstance(value, dict):
        return dict((_utf8_repaired(k), _utf8_repaired(v)) for k, v in value.items())
    return value


# The modern runtimes' type and wording of the runtime's own steps, by the legacy log prefix.
_MODERN_RUNTIME_ERRORS = {
    'Unable to parse input as json: ': ('Runtime.UnmarshalError', 'Unable to unmarshal input: '),
    'An error occurred during JSON serialization of response: ': ('Runtime.MarshalError',
                                                                  'Unable to marshal response: '),
    'Unable to parse client context as json: ': ('Runtime.LambdaContextUnmarshalError',
                                                 'Unable to parse Client Context JSON: '),
}


def format_runtime_error(message, prefix):
    """(error body, log text, X-Ray cause) under the modern profile of an error of the runtime's own steps."""
    error_type, modern_prefix = _MODERN_RUNTIME_ERRORS.get(prefix, ('Runtime.Unknown', prefix))
    text = modern_prefix + message
    request_id = _native.current_request_id()
    return (modern_error_body(text, error_type, [], request_id), error_log(text, error_type, [], request_id),
            _errors._xray_cause(text, 'LambdaValidationError', ()))


# The modern runtimes' type of each kind of load fault (support._load_handler).
_LOAD_FAULT_TYPES = {
    'malformed': 'Runtime.MalformedHandlerName',
    'builtin': 'Runtime.BuiltInModuleConflict',
    'import': 'Runtime.ImportModuleError',
    'syntax': 'Runtime.UserCodeSyntaxError',
    'notfound': 'Runtime.HandlerNotFound',
}


def modern_load_fault(fault, cause, tb_text, kind_info):
    """load_handler's answer under the modern profile: every fault an init error, typed, the cause in the
    message; an exception at import or in init() reported as itself, from the user's frames."""
    import traceback
    kind, info = kind_info
    stack = []
    if kind == 'init':
        etype, value, tb = info
        frames = _errors._frames(tb)
        while frames and frames[0][0] == _support.__file__:
            frames = frames[1:]
        error_type, message, stack = _errors._utf8(_type_name(etype)), _text(value), traceback.format_list(frames)
    else:
        error_type = _LOAD_FAULT_TYPES[kind]
        message = fault if cause is None or kind == 'notfound' else '%s: %s' % (fault, cause)
        if kind == 'syntax':
            stack = [_errors._utf8('  File "%s" Line %s\n    %s' % (info.filename, info.lineno, info.text))]
    return (None, message, cause, True, tb_text, error_log(message, error_type, stack, ''), error_type,
            modern_error_body(message, error_type, stack, ''))


# ---- structured logging (AWS_LAMBDA_LOG_FORMAT=JSON) -------------------------------------------------

# AWS_LAMBDA_LOG_LEVEL's values (Lambda's names) as logging levels; TRACE has no Python level.
_LEVELS = {'TRACE': 10, 'DEBUG': 10, 'INFO': 20, 'WARN': 30, 'WARNING': 30, 'ERROR': 40, 'FATAL': 50,
           'CRITICAL': 50}

# LogRecord attributes that are not a record's own extra fields.
_RECORD_ATTRIBUTES = frozenset([
    'name', 'msg', 'args', 'levelname', 'levelno', 'pathname', 'filename', 'module', 'exc_info', 'exc_text',
    'lineno', 'funcName', 'created', 'msecs', 'relativeCreated', 'thread', 'threadName', 'processName',
    'process', 'aws_request_id', 'message', 'asctime'])


def _json_value(value):
    if value is None or isinstance(value, (basestring, bool, int, long, float, list, tuple, dict)):
        return value
    return _text(value)


def install_json_logging(logging):
    import traceback

    class JsonFormatter(logging.Formatter):
        def format(self, record):
            # Levels in tens from 0 to 50, named as logging names them (WARNING, CRITICAL).
            levelno = min(50, max(0, record.levelno)) // 10 * 10
            fields = [('timestamp', _utc_timestamp(record.created)),
                      ('level', logging.getLevelName(levelno)),
                      ('message', record.getMessage()),
                      ('logger', record.name)]
            exc_info = record.exc_info
            if exc_info:
                fields += [('stackTrace', traceback.format_tb(exc_info[2])),
                           ('errorType', _type_name(exc_info[0])),
                           ('errorMessage', _text(exc_info[1]))]
            fields.append(('requestId', getattr(record, 'aws_request_id', '')))
            if exc_info:
                fields.append(('location', '%s:%s:%s' % (record.pathname, record.funcName, record.lineno)))
            extra = sorted((k, _json_value(v)) for k, v in record.__dict__.items()
                           if k not in _RECORD_ATTRIBUTES and v is not None)
            return _ordered_json(fields + extra) + '\n'

    class LambdaJsonHandler(logging.Handler):
        def emit(self, record):
            record.aws_request_id = _native.current_request_id()
            try:
                text = self.format(record)
            except Exception:
                self.handleError(record)
                return
            _native.log(text, record.levelno)

    handler = LambdaJsonHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    if _support._LOG_LEVEL in _LEVELS:
        root.setLevel(_LEVELS[_support._LOG_LEVEL])


# ---- graceful shutdown ------------------------------------------------------------------------------

def run_shutdown_hooks(handler_module):
    """On SIGTERM (LAMBDA_PY27_GRACEFUL_SHUTDOWN): a SIGTERM handler the function installed with
    signal.signal while it was imported, the handler module's shutdown(), then the atexit functions.
    What a hook raises (SystemExit included) is written to stderr and the next hook still runs."""
    import signal
    own = signal.getsignal(signal.SIGTERM)
    if callable(own):
        try:
            own(signal.SIGTERM, None)
        except SystemExit:
            pass
        except BaseException:
            _write_stderr(_traceback_text())
    hook = getattr(handler_module, 'shutdown', None) if handler_module is not None else None
    if hook is not None:
        try:
            hook()
        except BaseException:
            _write_stderr(_traceback_text())
    exitfunc = getattr(sys, 'exitfunc', None)
    if exitfunc is not None:
        try:
            del sys.exitfunc
        except AttributeError:
            pass
        try:
            exitfunc()
        except BaseException:
            _write_stderr(_traceback_text())
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def _write_stderr(text):
    try:
        sys.stderr.write(text)
    except Exception:
        pass
