# lambda-py27's Python-side support for `logging`: the legacy handler the root logger gets the moment the
# function first imports logging (support.py's _on_first_import). Compiled into the library beside
# support.py and run, at that import only, as module `_lambda_py27_logging`: a function that never logs
# does not pay for making these at start-up (nor for importing logging, threading, re, ...).
import _lambda_py27 as _native
import _lambda_py27_support as _support

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
    if _support._LOG_JSON:
        return _support._optin().install_json_logging(logging)
    if _native_logging():
        _native.native_log_record(logging, True)
    logging.getLogger().addHandler(legacy_logging_handler(logging))
