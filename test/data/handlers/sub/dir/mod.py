def handler(event, context):
    return 'sub/dir/mod'
