# lambda-py27's Python-side support: the parts of the legacy python2.7 runtime that are not on the
# per-invocation hot path (handler loading, the logging handler; error formatting is in support_errors.py,
# loaded at the first fault). It is compiled into the library (src/python/CMake embeds this file) and
# runs as module `_lambda_py27_support`.
import imp
import sys

import _lambda_py27 as _native

# Opt-in behaviour beyond the legacy runtime, read once (README: "Structured logging", "Modern error
# profile"). Unset, every path below is the legacy one. Read with the native getenv: importing posix
# (for os.environ's snapshot) builds the environment's dict and its tables of configuration names, a
# few per cent of a cold start, and a function that never imports os does not need it.
# The start-up path calls none of str's, list's or file's methods: our Python builds a built-in type's
# dictionary of methods at the first lookup through it, which a function that never uses them should not
# pay for at start. _native does the same in C (bindings/module.cpp).
_LOG_JSON = _native.getenv_upper('AWS_LAMBDA_LOG_FORMAT') == 'JSON'  # getenv(...).upper()
_LOG_LEVEL = _native.getenv_upper('AWS_LAMBDA_LOG_LEVEL')
MODERN = _native.getenv('LAMBDA_PY27_ERROR_PROFILE', 'legacy') == 'modern'
FAST_JSON = _native.getenv('LAMBDA_PY27_FAST_JSON', '') == '1'

# The handler's module once loaded: its optional shutdown() is a shutdown hook.
_handler_module = None
_optin_module = None
_errors_module = None
_logging_module = None


def _unit(name, attribute):
    """The support code's module `_lambda_py27_<name>` (src/python/support_<name>.py), marshalled at
    build time and run on first use only, so that a start-up that does not need it does not pay for it;
    kept in this module's `attribute`."""
    module = globals()[attribute]
    if module is None:
        import marshal
        module = imp.new_module('_lambda_py27_' + name)
        module.__file__ = 'lambda_py27/support_%s.py' % name
        sys.modules[module.__name__] = module
        try:
            code = marshal.loads(_native.unit_code(name))
        except Exception:  # cannot happen with the Python that marshalled it: compile instead
            code = compile(_native.unit_source(name), module.__file__, 'exec')
        exec code in module.__dict__
        globals()[attribute] = module
    return module


def _optin():
    """Module `_lambda_py27_optin` (support_optin.py): the code of the opt-in behaviour, loaded only when
    something opted in."""
    return _optin_module or _unit('optin', '_optin_module')


def _errors():
    """Module `_lambda_py27_errors` (support_errors.py): what only a fault needs, loaded at the first."""
    return _errors_module or _unit('errors', '_errors_module')


def load_handler(spec):
    """Resolves 'module.function' as the legacy runtime did.

    Returns (function, fault, cause, fatal, traceback_text, log_text, error_type, error_body): function is
    None when fault is set; a fatal fault ends the process after it has been reported for the first
    invocation. log_text is what to log for the fault; error_type and error_body are set under the modern
    error profile only, where every fault is an init error.
    """
    result = _load_handler(spec)
    if result[1] is None:
        return result[0], None, None, False, None, None, None, None
    return _errors().load_fault(result)


def _load_handler(spec):
    """(function, fault, cause, fatal, traceback_text, (kind of fault, its exception or exc_info))."""
    global _handler_module
    try:
        modname, fname = _native.split_dots(spec, True)  # spec.rsplit('.', 1)
    except ValueError as e:
        return None, "Bad handler '%s'" % spec, str(e), False, None, ('malformed', e)
    if not modname or not fname:
        return None, "Bad handler '%s'" % spec, "empty module or function name", False, None, ('malformed', None)
    handle = None
    try:
        pathname, desc = None, None
        for segment in _native.split_dots(modname):  # modname.split('.')
            # A file found for a segment before the last is closed here: its last reference dropped.
            handle = None
            handle, pathname, desc = imp.find_module(segment, None if pathname is None else [pathname])
        if handle is None and desc[2] == imp.C_BUILTIN:
            return None, "Cannot use built-in module %s as a handler module" % modname, None, False, None, ('builtin', None)
        module = imp.load_module(modname, handle, pathname, desc)
        handle = None  # its last reference: the file is closed now
    except ImportError as e:
        return None, "Unable to import module '%s'" % modname, _errors()._text(e), False, None, ('import', e)
    except SyntaxError as e:
        return None, "Syntax error in module '%s'" % modname, _errors()._text(e), False, None, ('syntax', e)
    except Exception as e:
        return _errors().initialization_error(e)
    finally:
        if handle is not None:  # after an exception, whose traceback may keep this frame (and the file)
            handle.close()
    _handler_module = module
    try:
        function = getattr(module, fname)
    except AttributeError as e:
        return None, "Handler '%s' missing on module '%s'" % (fname, modname), _errors()._text(e), False, None, \
            ('notfound', e)
    init = getattr(module, 'init', None)
    if init is not None:
        try:
            init()
        except Exception as e:
            return _errors().initialization_error(e)
    return function, None, None, False, None, None


# ---- logging ------------------------------------------------------------------------------------
# The root logger gets the legacy handler the moment `logging` is first imported, so start-up does
# not pay for importing logging (and threading, re, ...) when the function never logs; the handler's
# code is support_logging.py, loaded then.


def _logging():
    """Module `_lambda_py27_logging` (support_logging.py): the legacy logging handler."""
    return _logging_module or _unit('logging', '_logging_module')


def _install_logging(logging):
    _logging().install_logging(logging)


def _on_first_import(name, install):
    """Runs install(module) when the top-level module `name` is first imported (now, if it is already).

    The finder put on sys.meta_path leaves it at that import. It is a module object carrying the two
    finder functions, not an instance of a class of its own: a class statement would make a new type
    (its slots, its method resolution order) at every start."""
    if name in sys.modules:
        install(sys.modules[name])
        return
    hook = imp.new_module('_lambda_py27 first import of ' + name)

    def find_module(fullname, path=None):
        return hook if fullname == name and path is None else None

    def load_module(fullname):
        if hook in sys.meta_path:
            sys.meta_path.remove(hook)
        module = __import__(fullname)
        install(module)
        return module

    hook.find_module = find_module
    hook.load_module = load_module
    meta_path = sys.meta_path
    meta_path[len(meta_path):] = [hook]  # meta_path.append(hook)


_on_first_import('logging', _install_logging)
# LAMBDA_PY27_FAST_JSON=1 (README "Fast json"): the function's json.loads/dumps/load/dump on the runtime's
# converters, json's own functions for what they do not reproduce.
if FAST_JSON:
    _on_first_import('json', _native.install_fast_json)


def run_shutdown_hooks():
    """On SIGTERM (LAMBDA_PY27_GRACEFUL_SHUTDOWN); see support_optin.run_shutdown_hooks."""
    _optin().run_shutdown_hooks(_handler_module)
