# The smallest Python 2.7 Lambda function: runs unchanged on the legacy python2.7 runtime and on lambda-py27.
import logging
import platform

logger = logging.getLogger()


def lambda_handler(event, context):
    name = event.get('name', 'world') if isinstance(event, dict) else 'world'
    logger.warning('greeting %s', name)
    print 'print goes to the log too'
    return {
        'message': u'Hello, %s!' % name,
        'python': platform.python_version(),
        'request_id': context.aws_request_id,
        'function': context.function_name,
        'memory_mb': context.memory_limit_in_mb,
        'remaining_ms_positive': context.get_remaining_time_in_millis() > 0,
    }
