import vendored_mod


def handler(event, context):
    return vendored_mod.VALUE
