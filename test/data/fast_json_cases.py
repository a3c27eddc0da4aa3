# -*- coding: utf-8 -*-
"""Python 2.7 side of test/python/python_fast_json_test.cpp: json.loads/dumps/load/dump routed onto the runtime's
converters (LAMBDA_PY27_FAST_JSON) against json's own functions, in one interpreter.

install() keeps json's own functions, then routes the module as the runtime does when a function first
imports json. Every check returns a list of failure descriptions (empty: all agree) and, where it says
so, how many calls took the fast path."""
import collections
import decimal
import json
import math
import os
import StringIO
import sys
import tempfile

import _lambda_py27
import json_corpus_gen as gen

ORIGINAL = {}


def install():
    if not ORIGINAL:
        for name in ('loads', 'dumps', 'load', 'dump'):
            ORIGINAL[name] = getattr(json, name)
        _lambda_py27.install_fast_json(json)
    return [name for name in ORIGINAL if getattr(json, name) is ORIGINAL[name]]


def counts():
    return _lambda_py27.fast_json_counts()


# ---- outcomes ---------------------------------------------------------------------------------------

def _exception_text(e):
    return '%s.%s: %s' % (type(e).__module__, type(e).__name__, e)


def call(fn, *args, **kwargs):
    """('ok', result) or ('raised', 'module.Type: message')."""
    try:
        return ('ok', fn(*args, **kwargs))
    except Exception as e:
        return ('raised', _exception_text(e))


def dump_call(fn, value, *args, **kwargs):
    """json.dump into a StringIO: ('ok'|'raised', what was written, exception text)."""
    out = StringIO.StringIO()
    try:
        fn(value, out, *args, **kwargs)
        return ('ok', out.getvalue(), '')
    except Exception as e:
        return ('raised', out.getvalue(), _exception_text(e))


def typed_diff(a, b):
    """'' when a and b are equal with the same types all the way down (dict iteration order, unicode vs
    str, int vs long, the sign of zero, NaN); else a description."""
    todo = [(a, b)]
    while todo:
        x, y = todo.pop()
        if type(x) is not type(y):
            return 'type %s %r != %s %r' % (type(x).__name__, x, type(y).__name__, y)
        if type(x) is float:
            if x != x and y != y:
                continue
            if x != y or math.copysign(1, x) != math.copysign(1, y):
                return 'float %r != %r' % (x, y)
        elif type(x) in (list, tuple):
            if len(x) != len(y):
                return 'lengths %r != %r' % (x, y)
            todo.extend(zip(x, y))
        elif type(x) is dict:
            if len(x) != len(y):
                return 'dict sizes %r != %r' % (x, y)
            for (kx, vx), (ky, vy) in zip(x.items(), y.items()):
                if type(kx) is not type(ky) or kx != ky:
                    return 'dict keys (iteration order) %r != %r' % (kx, ky)
                todo.append((vx, vy))
        elif x != y:
            return '%r != %r' % (x, y)
    return ''


def outcome_diff(ours, theirs):
    if ours[0] != theirs[0]:
        return 'ours %r, json %r' % (ours[:3], theirs[:3])
    if ours[0] == 'raised' or len(ours) == 3:
        return '' if ours == theirs else 'ours %r, json %r' % (ours, theirs)
    return typed_diff(ours[1], theirs[1])


class Checker(object):
    """Counts the fast calls of what it runs and collects the disagreements."""

    def __init__(self):
        self.failures = []
        self.fast = 0
        self.fallen_back = 0

    def same(self, label, ours, theirs, fast=None):
        """Compares two outcomes (the routed call's first); `fast` True/False: the path it must have taken."""
        before = counts()
        o = ours()
        after = counts()
        t = theirs()
        took_fast = after[0] > before[0]
        self.fast += took_fast
        self.fallen_back += after[1] - before[1]
        d = outcome_diff(o, t)
        if d:
            self.failures.append('%s: %s' % (label, d))
        elif fast is not None and took_fast != fast:
            self.failures.append('%s: %s path expected' % (label, 'the fast' if fast else "json's own"))
        return o

    def result(self):
        return self.failures[:20], self.fast, self.fallen_back


# ---- what the fast path must take ---------------------------------------------------------------------

_SCALARS = (str, unicode, int, long, float, bool, type(None))


def builtin_only(value):
    """True when `value` is made of exact built-in types and every str is UTF-8 (no cycles assumed)."""
    todo = [value]
    while todo:
        v = todo.pop()
        t = type(v)
        if t is str:
            try:
                v.decode('utf-8')
            except UnicodeError:
                return False
        elif t in (list, tuple):
            todo.extend(v)
        elif t is dict:
            for k, x in v.items():
                if type(k) not in _SCALARS:
                    return False
                todo.append(k)
                todo.append(x)
        elif t not in _SCALARS:
            return False
    return True


# ---- the corpus --------------------------------------------------------------------------------------

def dumps_corpus(seed, count):
    """Random values (json_corpus_gen) and the hand-picked cases through json.dumps and json.dump."""
    c = Checker()
    values = [('value #%d' % i, v) for i, v in enumerate(gen.make_values(seed, count))]
    values += gen.special_values()
    for label, v in values:
        plain = None if 'circular' in label else builtin_only(v)  # (builtin_only does not follow cycles)
        c.same('dumps ' + label, lambda: call(json.dumps, v), lambda: call(ORIGINAL['dumps'], v), plain)
        c.same('dump ' + label, lambda: dump_call(json.dump, v), lambda: dump_call(ORIGINAL['dump'], v), plain)
    return c.result()


def _unicode_texts(texts):
    out = []
    for t in texts:
        try:
            out.append(t.decode('utf-8'))
        except UnicodeError:
            pass
    return out


def loads_corpus(seed, count):
    """json.dumps of random values and random/mutated texts (json_corpus_gen), as str and as unicode,
    through json.loads and json.load (a StringIO)."""
    c = Checker()
    texts = gen.make_texts(seed, count)
    texts += _unicode_texts(texts[: count // 2])
    texts += [u'"\ud83d\ude00"', u'["\ud800"]', u'{"\udc00": 1}', u'"caf\xe9 \U0001f600"', u'\ufeff[]', u'[1]\x00']
    for i, t in enumerate(texts):
        label = 'text #%d %r' % (i, t[:80])
        c.same('loads ' + label, lambda: call(json.loads, t), lambda: call(ORIGINAL['loads'], t))
        c.same('load ' + label, lambda: call(json.load, StringIO.StringIO(t)),
               lambda: call(ORIGINAL['load'], StringIO.StringIO(t)))
    return c.result()


# ---- arguments ----------------------------------------------------------------------------------------

class Truthy(object):
    def __nonzero__(self):
        return True


VALUE = {u'body': [1, 2.5, u'caf\xe9', 'x', None, True, 10 ** 20], 'n': {1: 2, True: 3}}
NAN_VALUE = [float('nan'), 1]
KEYS_VALUE = {(1, 2): 3}

# Keyword arguments with which json takes its default path (the fast one), and others.
DUMPS_COVERED = [{}, {'skipkeys': False}, {'skipkeys': 0}, {'skipkeys': None}, {'ensure_ascii': True},
                 {'ensure_ascii': 1}, {'ensure_ascii': 2L}, {'check_circular': True}, {'allow_nan': True},
                 {'cls': None}, {'indent': None}, {'separators': None}, {'encoding': 'utf-8'},
                 {'encoding': u'utf-8'}, {'default': None}, {'sort_keys': False}, {'sort_keys': 0L},
                 dict(skipkeys=False, ensure_ascii=True, check_circular=True, allow_nan=True, cls=None, indent=None,
                      separators=None, encoding='utf-8', default=None, sort_keys=False)]
DUMPS_UNCOVERED = [{'skipkeys': True}, {'ensure_ascii': False}, {'check_circular': False}, {'allow_nan': False},
                   {'cls': json.JSONEncoder}, {'indent': 2}, {'indent': 0}, {'separators': (',', ':')},
                   {'separators': (', ', ': ')}, {'encoding': 'latin-1'}, {'encoding': 'UTF-8'}, {'encoding': None},
                   {'default': repr}, {'sort_keys': True}, {'ensure_ascii': 'yes'}, {'ensure_ascii': Truthy()},
                   {'skipkeys': []}, {'sort_keys': 0.0}, {'unknown': 1}, {'sort_keys': False, 'strict': True}]
LOADS_COVERED = [{}, {'encoding': None}, {'cls': None}, {'object_hook': None}, {'parse_float': None},
                 {'parse_int': None}, {'parse_constant': None}, {'object_pairs_hook': None},
                 dict(encoding=None, cls=None, object_hook=None, parse_float=None, parse_int=None,
                      parse_constant=None, object_pairs_hook=None)]
LOADS_UNCOVERED = [{'encoding': 'utf-8'}, {'encoding': 'latin-1'}, {'cls': json.JSONDecoder},
                   {'object_hook': lambda d: sorted(d.items())}, {'parse_float': decimal.Decimal},
                   {'parse_int': float}, {'parse_constant': lambda c: c}, {'object_pairs_hook': collections.OrderedDict},
                   {'strict': True}, {'strict': False}, {'unknown': 1}]
TEXTS = ['{"a": [1, 2.5, "caf\xc3\xa9", null, true, 1e300, 100000000000000000000], "b": {"c": "\\u00e9"}}',
         u'{"a": "caf\xe9", "b": [1.5, -0.0]}', '[NaN, Infinity]', '{"a": "\x01"}', '{"a" 1}', '[1] x', '\xff']


def dumps_arguments():
    """Every covered keyword takes the fast path, every other one json's own; both give json's results."""
    c = Checker()
    for kwargs in DUMPS_COVERED:
        c.same('dumps %r' % kwargs, lambda: call(json.dumps, VALUE, **kwargs),
               lambda: call(ORIGINAL['dumps'], VALUE, **kwargs), True)
        c.same('dump %r' % kwargs, lambda: dump_call(json.dump, VALUE, **kwargs),
               lambda: dump_call(ORIGINAL['dump'], VALUE, **kwargs), True)
    for kwargs in DUMPS_UNCOVERED:
        for value in (VALUE, NAN_VALUE, KEYS_VALUE):
            c.same('dumps %r %r' % (kwargs, value), lambda: call(json.dumps, value, **kwargs),
                   lambda: call(ORIGINAL['dumps'], value, **kwargs), False)
            c.same('dump %r %r' % (kwargs, value), lambda: dump_call(json.dump, value, **kwargs),
                   lambda: dump_call(ORIGINAL['dump'], value, **kwargs), False)
    # Positional arguments beyond the value (and the file), none at all, too many.
    c.same('dumps positional', lambda: call(json.dumps, VALUE, False, False),
           lambda: call(ORIGINAL['dumps'], VALUE, False, False), False)
    c.same('dumps no argument', lambda: call(json.dumps), lambda: call(ORIGINAL['dumps']), False)
    c.same('dump positional', lambda: dump_call(json.dump, VALUE, True), lambda: dump_call(ORIGINAL['dump'], VALUE, True),
           False)
    c.same('dump no file', lambda: call(json.dump, VALUE), lambda: call(ORIGINAL['dump'], VALUE), False)
    c.same('dumps obj=', lambda: call(json.dumps, obj=VALUE), lambda: call(ORIGINAL['dumps'], obj=VALUE), False)
    return c.result()


def loads_arguments():
    c = Checker()
    for text in TEXTS:
        valid = ORIGINAL['loads'](text) if call(ORIGINAL['loads'], text)[0] == 'ok' and 'NaN' not in text else None
        for kwargs in LOADS_COVERED:
            c.same('loads %r %r' % (kwargs, text), lambda: call(json.loads, text, **kwargs),
                   lambda: call(ORIGINAL['loads'], text, **kwargs), valid is not None)
            c.same('load %r %r' % (kwargs, text), lambda: call(json.load, StringIO.StringIO(text), **kwargs),
                   lambda: call(ORIGINAL['load'], StringIO.StringIO(text), **kwargs), valid is not None)
        for kwargs in LOADS_UNCOVERED:
            c.same('loads %r %r' % (kwargs, text), lambda: call(json.loads, text, **kwargs),
                   lambda: call(ORIGINAL['loads'], text, **kwargs), False)
            c.same('load %r %r' % (kwargs, text), lambda: call(json.load, StringIO.StringIO(text), **kwargs),
                   lambda: call(ORIGINAL['load'], StringIO.StringIO(text), **kwargs), False)
    c.same('loads positional', lambda: call(json.loads, '[1]', None), lambda: call(ORIGINAL['loads'], '[1]', None), False)
    c.same('loads no argument', lambda: call(json.loads), lambda: call(ORIGINAL['loads']), False)
    c.same('loads s=', lambda: call(json.loads, s='[1]'), lambda: call(ORIGINAL['loads'], s='[1]'), False)
    for text in [bytearray('[1]'), buffer('[1]'), 5, None, gen.StrSub('[1]'), gen.UniSub(u'[1]')]:
        c.same('loads %r' % (text,), lambda: call(json.loads, text), lambda: call(ORIGINAL['loads'], text), False)
    c.same('load without read', lambda: call(json.load, 5), lambda: call(ORIGINAL['load'], 5), False)
    return c.result()


# ---- values json's default path writes otherwise, and json's module-level names ----------------------

def _nested(depth, make):
    v = 1
    for _ in range(depth):
        v = make(v)
    return v


def nesting_boundary():
    """Around the recursion limit, from a few call levels deep: json decides wherever it could raise."""
    c = Checker()

    def at_depth(levels, fn):
        return fn() if levels == 0 else at_depth(levels - 1, fn)

    limit = sys.getrecursionlimit()
    raised = 0
    for levels in (0, 40):
        for depth in range(limit - 120, limit + 5, 3):
            for make in (lambda v: [v], lambda v: {'k': v}):
                value = _nested(depth, make)
                text = ORIGINAL['dumps'](value) if depth < limit - 80 else '[' * depth + ']' * depth
                c.same('dumps depth %d' % depth, lambda: at_depth(levels, lambda: call(json.dumps, value)),
                       lambda: at_depth(levels, lambda: call(ORIGINAL['dumps'], value)))
                if depth % 12 == 0:  # json.dump's generators make a deep document slow to write
                    c.same('dump depth %d' % depth, lambda: at_depth(levels, lambda: dump_call(json.dump, value)),
                           lambda: at_depth(levels, lambda: dump_call(ORIGINAL['dump'], value)))
                ours = c.same('loads depth %d' % depth, lambda: at_depth(levels, lambda: call(json.loads, text)),
                              lambda: at_depth(levels, lambda: call(ORIGINAL['loads'], text)))
                raised += ours[0] == 'raised'
    if not c.fast or not raised:
        c.failures.append('the depths tried miss the boundary: %d fast calls, %d RuntimeErrors' % (c.fast, raised))
    return c.result()


class _Patched(object):
    """Sets module.name = value for a with-block."""

    def __init__(self, module, name, value):
        self.module, self.name, self.value = module, name, value

    def __enter__(self):
        self.saved = getattr(self.module, self.name)
        setattr(self.module, self.name, self.value)

    def __exit__(self, *exc):
        setattr(self.module, self.name, self.saved)


def module_patches():
    """A json whose module-level defaults the function changed: json's own functions, and their results."""
    c = Checker()
    value = {'f': 0.1, True: [1.5, 2 ** 70], 'u': u'\xe9'}
    patches = [(json.encoder, 'FLOAT_REPR', lambda f: '%.3f' % f), (json.encoder, 'c_make_encoder', None),
               (json.encoder, 'encode_basestring_ascii', lambda s: '"%s"' % s.upper()),
               (json.encoder, 'INFINITY', 0.1), (json, '_default_encoder', json.JSONEncoder(sort_keys=True)),
               (json, '_default_decoder', json.JSONDecoder(parse_float=decimal.Decimal)),
               (json, 'loads', lambda s, **kw: ['replaced', s])]
    for module, name, replacement in patches:
        with _Patched(module, name, replacement):
            label = '%s.%s patched: ' % (module.__name__, name)
            c.same(label + 'dumps', lambda: call(json.dumps, value), lambda: call(ORIGINAL['dumps'], value))
            c.same(label + 'dump', lambda: dump_call(json.dump, value), lambda: dump_call(ORIGINAL['dump'], value))
            if name != 'loads':
                c.same(label + 'loads', lambda: call(json.loads, '[0.5]'), lambda: call(ORIGINAL['loads'], '[0.5]'))
            c.same(label + 'load', lambda: call(json.load, StringIO.StringIO('[0.5]')),
                   lambda: call(ORIGINAL['load'], StringIO.StringIO('[0.5]')))
    return c.result()


# ---- files -------------------------------------------------------------------------------------------

class CountingFile(object):
    def __init__(self):
        self.writes = []

    def write(self, text):
        self.writes.append(text)


def files():
    """json.dump to a real file and json.load from it; how many writes json.dump makes."""
    failures = []
    value = VALUE
    fd, path = tempfile.mkstemp()
    os.close(fd)
    try:
        with open(path, 'w') as f:
            json.dump(value, f)
        with open(path) as f:
            written = f.read()
        if written != dump_call(ORIGINAL['dump'], value)[1]:
            failures.append('json.dump wrote %r' % written[:200])
        before = counts()
        with open(path) as f:
            loaded = json.load(f)
        if counts()[0] != before[0] + 1:
            failures.append('json.load of a file did not take the fast path')
        d = typed_diff(loaded, ORIGINAL['loads'](written))
        if d:
            failures.append('json.load: ' + d)
    finally:
        os.unlink(path)
    ours, theirs = CountingFile(), CountingFile()
    json.dump(VALUE, ours)
    ORIGINAL['dump'](VALUE, theirs)
    if len(ours.writes) != 1 or ours.writes[0] != ''.join(theirs.writes) or len(theirs.writes) < 2:
        failures.append('writes: ours %r, json %r' % (ours.writes, theirs.writes))
    return failures


def identity():
    """What the routed functions look like from Python."""
    failures = []
    for name, original in sorted(ORIGINAL.items()):
        routed = getattr(json, name)
        if routed is original or type(routed).__name__ != 'builtin_function_or_method':
            failures.append('json.%s is %r' % (name, routed))
        if routed.__name__ != name or routed.__module__ != 'json' or routed.__doc__ != original.__doc__:
            failures.append('json.%s: name %r, module %r, doc %r' % (name, routed.__name__, routed.__module__,
                                                                    (routed.__doc__ or '')[:40]))
    from json import dumps
    if dumps is not json.dumps:
        failures.append('from json import dumps: %r' % dumps)
    before = _lambda_py27.fast_json_counts()
    _lambda_py27.install_fast_json(json)  # a second time: nothing changes
    if json.dumps.__module__ != 'json' or _lambda_py27.fast_json_counts() != before:
        failures.append('a second install changed json')
    return failures
