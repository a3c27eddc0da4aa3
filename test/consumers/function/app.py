# The function the consumer projects' bootstraps serve.
import sys


def handler(event, context):
    return {'consumer': 'ok', 'python': '%d.%d' % sys.version_info[:2], 'function': context.function_name}
