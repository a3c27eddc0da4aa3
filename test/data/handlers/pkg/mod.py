def handler(event, context):
    return 'pkg.mod'
