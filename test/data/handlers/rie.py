# Handlers for the emulator's RIE-compatibility tests (emulator_cli_test.cpp).
import os
import time


def describe(event, context):
    env = os.environ
    return {
        'function_name': context.function_name,
        'memory': context.memory_limit_in_mb,
        'version': context.function_version,
        'arn': context.invoked_function_arn,
        'remaining': context.get_remaining_time_in_millis(),
        'handler': env.get('_HANDLER'),
        'runtime_api': env.get('AWS_LAMBDA_RUNTIME_API'),
        'region': env.get('AWS_REGION'),
        'credentials': [env.get('AWS_ACCESS_KEY_ID'), env.get('AWS_SECRET_ACCESS_KEY'), env.get('AWS_SESSION_TOKEN')],
    }


def sleep(event, context):
    time.sleep(event.get('seconds', 5))
    return 'woke'


def log(event, context):
    import sys
    print('printed by %s' % context.aws_request_id)
    sys.stderr.write('to stderr by %s\n' % context.aws_request_id)
    if event.get('fail'):
        raise ValueError('failed on purpose')
    return 'logged'
