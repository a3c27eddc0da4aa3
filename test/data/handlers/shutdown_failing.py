# A shutdown hook that raises: the atexit functions still run, and the process still exits with 0.
import atexit
import sys

atexit.register(lambda: sys.stdout.write('atexit ran after a failing shutdown hook\n'))


def shutdown():
    raise RuntimeError('shutdown hook failed')


def handler(event, context):
    return 'ok'
