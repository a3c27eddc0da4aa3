# A plain Python 2.7 Lambda runtime loop, the bootstrap a user would write by hand with the standard
# library only (httplib + json): GET next, json.loads, call the handler with a minimal context,
# json.dumps, POST the response. python_bench runs it as the baseline of the Python rows:
#
#   AWS_LAMBDA_RUNTIME_API=host:port _HANDLER=module.function LAMBDA_TASK_ROOT=dir \
#       python2.7 plain_python_runtime.py
import httplib
import json
import os
import sys
import time
import traceback

API_PREFIX = '/2018-06-01/runtime/'


class Context(object):
    """The attributes handlers use most, as the legacy runtime named them."""

    def __init__(self, request_id, function_arn, deadline_ms):
        self.aws_request_id = request_id
        self.invoked_function_arn = function_arn
        self.function_name = os.environ.get('AWS_LAMBDA_FUNCTION_NAME')
        self.function_version = os.environ.get('AWS_LAMBDA_FUNCTION_VERSION')
        self.memory_limit_in_mb = os.environ.get('AWS_LAMBDA_FUNCTION_MEMORY_SIZE')
        self.log_group_name = os.environ.get('AWS_LAMBDA_LOG_GROUP_NAME')
        self.log_stream_name = os.environ.get('AWS_LAMBDA_LOG_STREAM_NAME')
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def load_handler(spec):
    module_name, function_name = spec.rsplit('.', 1)
    module = __import__(module_name)
    return getattr(module, function_name)


def install_logging():
    """A Lambda-like root handler, only when the function uses logging."""
    import logging

    current = {'id': ''}

    class RequestIdFilter(logging.Filter):
        def filter(self, record):
            record.aws_request_id = current['id']
            return True

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(
        '[%(levelname)s]\t%(asctime)s.%(msecs)dZ\t%(aws_request_id)s\t%(message)s', '%Y-%m-%dT%H:%M:%S'))
    handler.addFilter(RequestIdFilter())
    logging.getLogger().addHandler(handler)
    return current


def main():
    api = os.environ['AWS_LAMBDA_RUNTIME_API']
    spec = sys.argv[1] if len(sys.argv) > 1 else os.environ['_HANDLER']
    task_root = os.environ.get('LAMBDA_TASK_ROOT', os.getcwd())
    sys.path.insert(0, task_root)
    os.chdir(task_root)
    conn = httplib.HTTPConnection(api)
    try:
        function = load_handler(spec)
    except Exception as e:
        body = json.dumps({'errorMessage': str(e), 'errorType': type(e).__name__})
        conn.request('POST', API_PREFIX + 'init/error', body, {'Content-Type': 'application/json'})
        conn.getresponse().read()
        return 1
    log_state = install_logging() if 'logging' in sys.modules else None

    while True:
        conn.request('GET', API_PREFIX + 'invocation/next')
        response = conn.getresponse()
        event_text = response.read()
        if response.status != 200:
            return 3
        request_id = response.getheader('lambda-runtime-aws-request-id')
        deadline_ms = int(response.getheader('lambda-runtime-deadline-ms', '0'))
        function_arn = response.getheader('lambda-runtime-invoked-function-arn')
        if log_state is not None:
            log_state['id'] = request_id
        try:
            event = json.loads(event_text)
            result = function(event, Context(request_id, function_arn, deadline_ms))
            path = API_PREFIX + 'invocation/' + request_id + '/response'
            body = json.dumps(result)
        except Exception as e:
            path = API_PREFIX + 'invocation/' + request_id + '/error'
            body = json.dumps({
                'errorMessage': str(e),
                'errorType': type(e).__name__,
                'stackTrace': traceback.format_tb(sys.exc_info()[2]),
            })
        conn.request('POST', path, body, {'Content-Type': 'application/json'})
        conn.getresponse().read()


if __name__ == '__main__':
    sys.exit(main())
