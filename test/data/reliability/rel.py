# -*- coding: utf-8 -*-
# Fixture handlers for test/e2e/reliability_*_test.cpp: handlers that misbehave in every way a Python 2.7
# function can, and a few probes. Nothing here reads a shell or runs a command.
import os
import sys
import threading

_signals = []          # signal numbers delivered to the handlers installed by `signals`
_background = []       # threads started by `threads` (never stopped)
_calls = [0]           # invocations served by this process


def _count():
    _calls[0] += 1
    return _calls[0]


def pid(event, context):
    """The process id and how many invocations this process has served (the fresh-runtime probe)."""
    return {'pid': os.getpid(), 'calls': _count()}


def echo(event, context):
    return event


def describe(event, context):
    """The Python types and repr of the decoded event."""
    return {'type': type(event).__name__, 'repr': repr(event), 'pid': os.getpid()}


def size(event, context):
    """What a large event decoded to, without echoing it."""
    return {'type': type(event).__name__, 'len': len(event), 'pid': os.getpid()}


def context_probe(event, context):
    identity = context.identity
    cc = context.client_context
    out = {'identity': [identity.cognito_identity_id, identity.cognito_identity_pool_id],
           'client_context': None}
    if cc is not None:
        client = cc.client
        out['client_context'] = {
            'custom': cc.custom, 'env': cc.env,
            'client': None if client is None else [client.installation_id, client.app_title,
                                                   client.app_version_name, client.app_version_code,
                                                   client.app_package_name]}
    out['trace_id'] = os.environ.get('_X_AMZN_TRACE_ID')
    out['remaining'] = context.get_remaining_time_in_millis()
    out['request_id'] = context.aws_request_id
    return out


def sleep(event, context):
    import time
    time.sleep(event.get('seconds', 30) if isinstance(event, dict) else 30)
    return 'slept'


def recurse(event, context):
    return recurse(event, context)


def memory_error(event, context):
    """Asks for a terabyte at once: malloc fails and Python raises MemoryError."""
    block = bytearray(1 << 40)
    return len(block)


def big_result(event, context):
    """A 7 MB result: over the 6 MB response limit."""
    return 'x' * (7 * 1024 * 1024)


def exit5(event, context):
    sys.stdout.write('about to _exit\n')
    os._exit(5)


def segfault(event, context):
    import ctypes
    return ctypes.string_at(0)


def threads(event, context):
    """Leaves a non-daemon thread running that keeps taking the GIL; reports the live threads."""
    def spin():
        n = 0
        while True:
            n += 1
            if n % 10000 == 0:
                import time
                time.sleep(0.001)
    t = threading.Thread(target=spin, name='left-running-%d' % len(_background))
    t.start()
    _background.append(t)
    return {'pid': os.getpid(), 'alive': sum(1 for x in _background if x.is_alive()), 'calls': _count()}


def signals(event, context):
    """Installs Python handlers for SIGUSR1, SIGTERM, SIGALRM (and arms an alarm when asked): the signals
    then interrupt the runtime's blocking system calls (Python turns SA_RESTART off)."""
    import signal

    def record(signum, frame):
        _signals.append(signum)
    for s in (signal.SIGUSR1, signal.SIGTERM, signal.SIGALRM):
        signal.signal(s, record)
    alarm = event.get('alarm') if isinstance(event, dict) else None
    if alarm:
        signal.alarm(int(alarm))
    return {'pid': os.getpid(), 'signals': list(_signals), 'calls': _count()}


def big_stdout(event, context):
    """Writes `lines` lines of exactly `width` bytes (newline included) to sys.stdout, numbered."""
    lines = event.get('lines', 10240)
    width = event.get('width', 1024)
    for i in range(lines):
        head = '%08d ' % i
        sys.stdout.write(head + 'o' * (width - len(head) - 1) + '\n')
    return {'pid': os.getpid(), 'bytes': lines * width}


def replace_stdout(event, context):
    """Replaces sys.stdout and sys.stderr with in-memory files, prints into them, logs, answers."""
    import StringIO
    import logging
    sys.stdout = StringIO.StringIO()
    sys.stderr = StringIO.StringIO()
    print 'into the replacement'
    logging.getLogger().warning('logged after replacing stdout %d', _count())
    return {'pid': os.getpid()}


def close_stdout(event, context):
    """Closes sys.stdout and sys.stderr, then logs through logging and context.log."""
    import logging
    sys.stdout.close()
    sys.stderr.close()
    logging.getLogger().warning('logged after closing stdout %d', _count())
    context.log('context.log after closing stdout\n')
    return {'pid': os.getpid()}


def print_after(event, context):
    """Prints, logs and answers: run after replace_stdout / close_stdout to see what still works."""
    import logging
    logging.getLogger().warning('still logging %d', _count())
    try:
        print 'print after'
        printed = True
    except Exception as e:
        printed = '%s: %s' % (type(e).__name__, e)
    return {'pid': os.getpid(), 'printed': printed}


def fail(event, context):
    raise ValueError('reliability failure %s' % event.get('n') if isinstance(event, dict) else 'x')


def dispatch(event, context):
    """One runtime, many behaviours: calls the handler named by event['do'] with event.get('with', {})."""
    return globals()[event['do']](event.get('with', {}), context)
