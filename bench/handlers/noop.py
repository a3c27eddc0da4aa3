# python_bench: the no-op handler. It imports nothing, so a runtime's cold start with it is the
# runtime's own.


def handler(event, context):
    return None
