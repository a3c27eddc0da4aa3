raise RuntimeError('boom at import')


def handler(event, context):
    return 'unreachable'
