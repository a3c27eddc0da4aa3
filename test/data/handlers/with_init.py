calls = []


def init():
    calls.append('init')


def handler(event, context):
    calls.append('handler')
    return calls
