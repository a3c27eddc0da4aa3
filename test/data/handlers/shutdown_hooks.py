# Fixture handlers for graceful shutdown (LAMBDA_PY27_GRACEFUL_SHUTDOWN): a module-level shutdown() and
# atexit functions write to the log; handlers to be interrupted by SIGTERM.
import atexit
import os
import sys
import time


def _first_atexit():
    sys.stdout.write('atexit first registered ran last\n')


def _second_atexit():
    sys.stdout.write('atexit second registered ran first\n')


atexit.register(_first_atexit)
atexit.register(_second_atexit)


def shutdown():
    sys.stdout.write('shutdown hook ran in pid %d\n' % os.getpid())


def handler(event, context):
    return os.getpid()


def sleep(event, context):
    sys.stdout.write('sleeping in pid %d\n' % os.getpid())
    time.sleep(event.get('seconds', 30))
    return 'woke up'


def spin(event, context):
    sys.stdout.write('spinning in pid %d\n' % os.getpid())
    end = time.time() + event.get('seconds', 30)
    n = 0
    while time.time() < end:
        n += 1
    return n


def fork_child(event, context):
    """A forked child gets SIGTERM as usual (it dies of it) and its SIGTERM does not end this process."""
    import signal
    child = os.fork()
    if child == 0:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
        os._exit(3)
    _, status = os.waitpid(child, 0)
    return [os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM, os.getpid()]
