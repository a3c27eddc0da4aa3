# -*- coding: utf-8 -*-
"""Python 2.7 side of test/python/python_logging_fast_test.cpp: the legacy logging handler with its
built-in methods against the same handler with its Python methods, in one interpreter.

run(native) puts a fresh legacy handler (support_logging.legacy_logging_handler) on the root logger, logs the
corpus through it with the time frozen, and returns what every handler saw: each record's attributes
after the legacy handler handled it, what logging's handleError wrote on stderr, and what a second,
user-added handler wrote. The legacy handler's own lines go to the runtime's log sink, which the C++
side captures."""
import StringIO
import collections
import logging
import sys
import threading
import time
import types

import _lambda_py27
import _lambda_py27_support as support

support_logging = support._logging()  # module `_lambda_py27_logging` (src/python/support_logging.py)

FROZEN = 1764888245.4567  # 2025-12-04T22:44:05, msecs 456
LEVEL_NAMES = (25, 35, 45)


class Recorder(logging.Handler):
    """A user's handler beside the legacy one: the record's attributes as the handlers left them."""

    def __init__(self, seen):
        logging.Handler.__init__(self)
        self.seen = seen

    def emit(self, record):
        snapshot = ['order=' + ','.join(record.__dict__)]  # the dictionary's order too
        for key, value in sorted(record.__dict__.items()):
            if key == 'thread':
                value = type(value).__name__  # an identifier of a thread of this run
            elif key == 'exc_info' and value:
                value = (value[0].__name__, str(value[1]))
            snapshot.append('%s=%r' % (key, value))
        self.seen.append(' '.join(snapshot))


class Shown(object):
    def __str__(self):
        return 'shown'

    def __repr__(self):
        return '<shown>'


class UnicodeShown(object):
    def __str__(self):
        return u'uni caf\xe9'.encode('utf-8')

    def __unicode__(self):
        return u'uni caf\xe9'


    def __repr__(self):
        return '<unicode shown>'


class Broken(object):
    def __str__(self):
        raise ValueError('cannot show')

    def __repr__(self):
        return '<broken>'


class UpperFormatter(logging.Formatter):
    def format(self, record):
        return logging.Formatter.format(self, record).upper()


class CustomFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = 'custom-id'
        return 'secret' not in str(record.msg)


def messages(log):
    log.debug('not shown %s', 1)
    log.info('order %s for %s: %d lines, %.2f %s', 'abc123', u'cust-\xe9', 3, 12.5, u'USD')
    log.info('plain text')
    log.info('100% no arguments')
    log.warning('int %d long %d float %.3f %r bool %s none %s', 7, 2 ** 70, 1.0 / 3, 2.5, True, None)
    log.warning('%(a)s and %(b)r', {'a': 1, 'b': u'z'})
    log.warning('%s', {})
    log.warning('empty mapping %s', {})
    log.warning('tuple of a tuple %s', (1, 2))
    log.warning('list %s', [1, u'\xe9'])
    log.warning(u'unicode caf\xe9 %s', 'ascii')
    log.warning(u'unicode with non-ASCII str %s', 'caf\xc3\xa9')
    log.warning(u'unicode with bad str %s', '\xff')
    log.warning('str caf\xc3\xa9 %s', u'unicode arg')
    log.warning('str \xff %s', u'unicode arg')
    log.warning('str caf\xc3\xa9 alone')
    log.warning('bad %d', 'x')
    log.warning('too few %s %s', 1)
    log.warning('too many %s', 1, 2)
    log.warning('%(missing)s', {'other': 1})
    log.warning({'a': 1})
    log.warning(12345)
    log.warning(ValueError('an exception as message'))
    log.warning(Shown())
    log.warning('object %s %r', Shown(), Shown())
    log.warning(UnicodeShown())
    log.warning('object %s', UnicodeShown())
    log.warning('broken %s', Broken())
    log.warning(u'\ud83d\ude00 surrogates %s', u'\ud800')
    log.warning('nan %s inf %s', float('nan'), float('inf'))
    log.log(25, 'custom level %s', 'notice')
    log.log(35, 'unregistered level')
    log.log(45, 'unicode level name')
    log.log(5, 'below the level')
    log.error('with extra %s', 1, extra={'user': 'u1', 'uni': u'\xe9'})
    log.critical('critical %s', 'x')
    try:
        raise KeyError('k')
    except KeyError:
        log.exception('exception %s', 'logged')
        log.error('exc_info true', exc_info=True)
        log.warning('exc_info tuple', exc_info=sys.exc_info())
    log.warning('after the exception')


def scenarios(root, handler, seen, other):
    yield 'root', lambda: messages(root)
    yield 'child', lambda: messages(logging.getLogger('app.db'))
    yield 'unicode name', lambda: logging.getLogger(u'uni.\xe9').warning('from a unicode name')
    yield 'str name', lambda: logging.getLogger('str.caf\xc3\xa9').warning(u'from a str name %s', u'\xe9')

    def quiet():
        log = logging.getLogger('quiet')
        log.propagate = False
        log.addHandler(Recorder(seen))
        log.warning('not for the root handlers')
        log.propagate = True
        log.warning('for them again')
        log.handlers = []
    yield 'propagate', quiet

    def second_handler():
        stream = logging.StreamHandler(other)
        stream.setFormatter(logging.Formatter('%(levelname)s|%(name)s|%(message)s|%(asctime)s'))
        root.addHandler(stream)
        root.warning('to both %s', u'\xe9')
        root.warning('bad %d', 'x')
        root.removeHandler(stream)
    yield 'second handler', second_handler

    def formatters():
        original = handler.formatter
        handler.setFormatter(UpperFormatter(support_logging.LOG_FORMAT, support_logging.DATE_FORMAT))
        messages(root)
        handler.setFormatter(logging.Formatter('%(name)s %(levelname)s %(message)s'))
        root.warning('another format %s', 1)
        handler.setFormatter(None)
        root.warning('no formatter %s', 1)
        handler.setFormatter(original)
        original.converter = time.localtime
        root.warning('local time')
        original.converter = time.gmtime
        original.datefmt = '%H:%M'
        root.warning('another date format')
        original.datefmt = support_logging.DATE_FORMAT
        original.extra = 1
        root.warning('an attribute added to the formatter')
        del original.extra
        root.warning('the formatter as it was')
    yield 'formatters', formatters

    def filters():
        legacy = handler.filters[0]
        handler.removeFilter(legacy)
        root.warning('no filter: no aws_request_id')
        handler.addFilter(CustomFilter())
        root.warning('custom filter')
        root.warning('a secret record')
        handler.filters = [legacy, CustomFilter()]
        root.warning('both filters')
        handler.filters = [legacy]
        legacy.filter = lambda record: False
        root.warning('a filter whose instance says no')
        del legacy.filter
        root.addFilter(CustomFilter())
        root.warning('a logger filter: the secret is dropped')
        root.filters = []
        root.warning('filters as they were')
    yield 'filters', filters

    def overrides():
        handler.format = lambda record: 'instance format %s\n' % record.getMessage()
        root.warning('an instance attribute')
        del handler.format
        handler.emit = lambda record: seen.append('instance emit')
        root.warning('an instance emit')
        del handler.emit
        handler.setLevel(logging.ERROR)
        root.warning('below the handler level')
        root.error('at the handler level')
        handler.setLevel(logging.NOTSET)

        class Sub(type(handler)):
            pass

        class SubFormat(type(handler)):
            def format(self, record):
                return 'sub ' + logging.Handler.format(self, record)

        class SubEmit(type(handler)):
            def emit(self, record):
                seen.append('sub emit %s' % record.getMessage())

        for cls in (Sub, SubFormat, SubEmit):
            sub = cls()
            sub.setFormatter(handler.formatter)
            sub.addFilter(handler.filters[0])
            log = logging.getLogger('sub.' + cls.__name__)
            log.propagate = False
            log.addHandler(sub)
            log.warning('a subclass %s', cls.__name__)
            log.handlers = []
    yield 'overrides', overrides

    def patched_logging():
        get_message = vars(logging.LogRecord)['getMessage']
        logging.LogRecord.getMessage = lambda self: get_message(self).upper()
        root.warning('patched getMessage %s', 'x')
        logging.LogRecord.getMessage = get_message
        format_time = vars(logging.Formatter)['formatTime']
        logging.Formatter.formatTime = lambda self, record, datefmt=None: 'patched time'
        root.warning('patched formatTime')
        logging.Formatter.formatTime = format_time
        acquire = vars(logging.Handler)['acquire']
        logging.Handler.acquire = lambda self: seen.append('patched acquire') or acquire(self)
        root.warning('patched acquire')
        logging.Handler.acquire = acquire
        logging.disable(logging.WARNING)
        root.warning('disabled')
        root.error('not disabled')
        logging.disable(logging.NOTSET)
        logging.addLevelName(logging.WARNING, 'WARN')
        root.warning('a renamed level')
        logging.addLevelName(logging.WARNING, 'WARNING')
    yield 'patched logging', patched_logging

    def threads():
        def work(n):
            root.warning('from thread %d', n)
            with handler.lock:  # the lock is reentrant
                root.warning('under the lock %d', n)
        for n in range(3):
            t = threading.Thread(target=work, args=(n,), name='worker-%d' % n)
            t.start()
            t.join()
        handler.acquire()
        root.warning('under handler.acquire')
        handler.release()
        logging.logThreads = 0
        root.warning('without thread data')
        logging.logThreads = 1
    yield 'threads', threads

    def reentrant():
        class Logs(object):
            def __str__(self):
                root.warning('logged while formatting')
                return 'logs'

            def __repr__(self):
                return '<logs>'
        root.warning('outer %s', Logs())
    yield 'reentrant', reentrant


class SubRecord(logging.LogRecord):
    def __init__(self, *args, **kwargs):
        logging.LogRecord.__init__(self, *args, **kwargs)
        self.sub = True


class FixedNameThread(threading.Thread):
    name = property(lambda self: 'a fixed name')


def record_scenarios(root):
    def records():
        for path in ('/a/b/c.py', 'noext', '/a/.hidden', '/a/..', '..', 'a.b.c', '', '/trailing/', '.a.b',
                     '/x/...py', u'/uni/\xe9.py', None, 3):
            root.handle(logging.LogRecord('direct', logging.WARNING, path, 7, 'path %r', (path,), None))
        root.handle(logging.LogRecord(name='kw', level=20, pathname='p.py', lineno=1, msg='keywords', args=(),
                                      exc_info=None))
        root.handle(logging.LogRecord('n', 999, 'p.py', 1, 'an unregistered level', (), None, 'func'))
        root.handle(logging.LogRecord('n', 20L, 'p.py', 1, 'a long level', (), None))
        root.handle(logging.LogRecord('n', 'WARNING', 'p.py', 1, 'a str level', (), None))
        root.handle(logging.LogRecord('n', 20, 'p.py', 1, 'args in a list %s', [1], None))
        root.handle(logging.makeLogRecord({'msg': 'made from a dict', 'levelno': 30, 'levelname': 'WARNING'}))
        root.handle(SubRecord('sub', 30, 'p.py', 1, 'a subclass %s', (1,), None))
        root.warning('ordered mapping %(a)s', collections.OrderedDict(a=1))
        root.warning('mapping in a tuple %s', ({'a': 1},))
    yield 'records', records

    def switches():
        logging.logProcesses = 0
        root.warning('no process')
        logging.logProcesses = 1
        logging.logMultiprocessing = 0
        root.warning('no process name')
        logging.logMultiprocessing = 1
        fake = types.ModuleType('multiprocessing')
        fake.current_process = lambda: types.ModuleType('Process-7')
        sys.modules['multiprocessing'] = fake
        root.warning('a multiprocessing process name')
        fake.current_process = lambda: {}['no process']
        root.warning('a multiprocessing that fails')
        del sys.modules['multiprocessing']
        start = logging._startTime
        logging._startTime = int(start)
        root.warning('an int start time')
        logging._startTime = start
        now = time.time
        time.time = lambda: 1764888245
        root.warning('an int time')
        time.time = now
        level_names = logging._levelNames
        logging._levelNames = dict(level_names)
        logging._levelNames[30] = 'WARNED'
        root.warning('a replaced level table')
        logging._levelNames = level_names
        def upper_messages(record, name, value):
            object.__setattr__(record, name, value.upper() if name == 'msg' else value)
        logging.LogRecord.__setattr__ = upper_messages
        root.warning('a record class with its own __setattr__')
        del logging.LogRecord.__setattr__
        root.warning('its __setattr__ removed again')
        thread = FixedNameThread(target=root.warning, args=('from a thread with its own name',))
        thread.start()
        thread.join()
    yield 'switches', switches


def run(native):
    root = logging.getLogger()
    saved = root.handlers[:], root.level, sys.stderr, time.time, logging._startTime
    seen = []
    other = StringIO.StringIO()
    errors = StringIO.StringIO()
    handler = support_logging.legacy_logging_handler(logging, native)
    _lambda_py27.native_log_record(logging, native)
    root.handlers = [handler, Recorder(seen)]
    root.setLevel(logging.INFO)
    logging.addLevelName(25, 'NOTICE')
    logging.addLevelName(45, u'S\xc9V\xc8RE')
    time.time = lambda: FROZEN
    logging._startTime = FROZEN - 12.5
    sys.stderr = errors
    try:
        for name, scenario in list(scenarios(root, handler, seen, other)) + list(record_scenarios(root)):
            seen.append('-- ' + name)
            errors.write('-- %s\n' % name)
            scenario()
    finally:
        root.handlers, level, sys.stderr, time.time, logging._startTime = saved
        root.setLevel(level)
    return seen, errors.getvalue(), other.getvalue(), type(handler).__mro__[1:], [
        type(f).__name__ for f in handler.filters]
