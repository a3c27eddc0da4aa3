def handler(event, context):
    return 'src/pkg.app'
