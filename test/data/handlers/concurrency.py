# Handlers for test/python/concurrency_test.cpp and bench/concurrency_bench.cpp (AWS_LAMBDA_MAX_CONCURRENCY > 1).
import os
import random
import signal
import time

_calls = [0]

_term_dir = os.environ.get('LP27_TEST_TERM_DIR')
if _term_dir:
    def _on_term(signum, frame):
        open(os.path.join(_term_dir, 'term-%d' % os.getpid()), 'w').close()
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, _on_term)


_shutdown_dir = os.environ.get('LP27_TEST_SHUTDOWN_DIR')


def shutdown():
    # Graceful shutdown's module hook (LAMBDA_PY27_GRACEFUL_SHUTDOWN=1): each process marks itself.
    if _shutdown_dir:
        open(os.path.join(_shutdown_dir, 'shutdown-%d' % os.getpid()), 'w').close()


def pid(event, context):
    return {'pid': os.getpid(), 'id': context.aws_request_id, 'n': event.get('n')}


def sleepy(event, context):
    time.sleep(event.get('ms', 5) / 1000.0)
    return {'pid': os.getpid(), 'id': context.aws_request_id, 'n': event.get('n')}


def cpu(event, context):
    x = 0
    for i in xrange(event.get('loops', 20000)):
        x += i * i
    return {'pid': os.getpid(), 'x': x}


def crash(event, context):
    if event.get('exit') is not None:
        os._exit(event['exit'])
    if event.get('signal'):
        os.kill(os.getpid(), event['signal'])
    return {'pid': os.getpid()}


def hold(event, context):
    # Marks this process, then waits for the test's gate file.
    open(os.path.join(event['dir'], 'pid-%d' % os.getpid()), 'w').close()
    deadline = time.time() + 20
    while not os.path.exists(os.path.join(event['dir'], 'gate')) and time.time() < deadline:
        time.sleep(0.01)
    return {'pid': os.getpid()}


def rand(event, context):
    _calls[0] += 1
    return {'pid': os.getpid(), 'call': _calls[0], 'r': random.random()}


def crash_target(event, context):
    # Crashes only in the process named by the event (a worker the test picked); answers the others.
    if event.get('target') == os.getpid():
        return crash(event, context)
    return {'pid': os.getpid()}


def env(event, context):
    return os.environ.get(event['name'])
