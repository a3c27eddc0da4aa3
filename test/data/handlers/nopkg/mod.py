def handler(event, context):
    return 'unreachable: nopkg has no __init__.py'
