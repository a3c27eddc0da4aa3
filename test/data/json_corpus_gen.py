# -*- coding: utf-8 -*-
"""Python 2.7 side of test/python/python_json_test.cpp: deterministic random values and JSON texts, the
reference encoder (Python's real json module plus the legacy Decimal rule), and special cases.

Imported by the test inside its embedded interpreter (sys.dont_write_bytecode is set first)."""
import collections
import decimal
import json
import random
import sys

# Dicts with None keys (hash(None) is its address) iterate in an order that varies between processes;
# everything else here is a function of the seed.
# ---- reference ------------------------------------------------------------------------------------


class _RawNumber(int):
    """What the reference `default` hook turns a Decimal into: json's C encoder writes an int (subclass)
    with str(), so str() returning str(d) makes the Decimal a bare number with Decimal's own text."""

    def __new__(cls, text):
        self = int.__new__(cls, 0)
        self.text = text
        return self

    def __str__(self):
        return self.text

    __repr__ = __str__


def _legacy_decimal(o):
    if isinstance(o, decimal.Decimal):
        return _RawNumber(str(o))
    raise TypeError(repr(o) + " is not JSON serializable")


def reference_dumps(v):
    """json.dumps(v) with the legacy runtime's Decimal rule."""
    return json.dumps(v, default=_legacy_decimal)


# ---- subclasses json's encoder treats specially ----------------------------------------------------

class StrSub(str):
    def __str__(self):
        return 'STR-SUB'

    def __repr__(self):
        return 'StrSub()'


class UniSub(unicode):
    def __unicode__(self):
        return u'UNI-SUB'

    def __str__(self):
        return 'UNI-SUB'


class IntSub(int):
    def __str__(self):
        return 'int-sub-%d' % int(self)


class IntSubPlain(int):
    pass


class LongSub(long):
    def __str__(self):
        return 'long-sub-%d' % long(self)


class FloatSub(float):
    def __repr__(self):
        return 'FLOAT-SUB-REPR'

    def __str__(self):
        return 'FLOAT-SUB-STR'


class ListSub(list):
    pass


class ListRev(list):
    def __iter__(self):
        return reversed(list(list.__iter__(self)))


class TupleSub(tuple):
    pass


class DictSub(dict):
    pass


class DictGetItem(dict):
    def __getitem__(self, key):
        return [dict.__getitem__(self, key)]


class DecimalSub(decimal.Decimal):
    pass


Point = collections.namedtuple('Point', 'x y')

# ---- random values ---------------------------------------------------------------------------------

INT_EDGES = [0, 1, -1, 7, -7, 2 ** 31 - 1, 2 ** 31, -2 ** 31, -2 ** 31 - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 1,
             2 ** 63 - 1, 2 ** 63, -2 ** 63, -2 ** 63 - 1, 2 ** 64 - 1, 2 ** 64, -2 ** 64, 2 ** 64 + 1,
             -2 ** 64 - 1, 10 ** 18, 10 ** 19, -10 ** 19]
FLOAT_EDGES = [0.0, -0.0, 0.1, 0.2, 0.3, 1.0, -1.0, 1e16, 1e15, 1e17, 1e-7, 1e-5, 1e-4, 1e-3, 5e-324,
               -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308,
               float('nan'), float('inf'), -float('inf'), 1e22, 1e23, 123456789.123, 2.5, 1 / 3.0,
               9007199254740993.0, 4.35, 0.5e-10, 12345678901234567890.0, 100.0, 1e100]
DECIMAL_EDGES = ['1.10', '1E+2', '-0', 'NaN', '123456789012345678901234567890.123456789', '3', '-3',
                 'Infinity', '-Infinity', 'sNaN', '0E-10', '1.000', '-12.5e-3', '0.1', '1E-7', '-NaN',
                 '9999999999999999999999999999999999999999e99']


def _rand_code_point(r):
    k = r.random()
    if k < 0.55:
        return r.randint(0x20, 0x7e)
    if k < 0.65:
        return r.randint(0x00, 0x1f)
    if k < 0.68:
        return 0x7f
    if k < 0.78:
        return r.randint(0x80, 0x7ff)
    if k < 0.88:
        c = r.randint(0x800, 0xffff)
        return c
    if k < 0.90:
        return r.choice([0xd800, 0xdbff, 0xdc00, 0xdfff, 0xd83d])  # lone surrogates
    return r.randint(0x10000, 0x10ffff)


def rand_unicode(r, maxlen=12):
    n = r.choice([0, 1, 2, 3, 5, 8, maxlen, r.randint(0, maxlen)])
    chars = [_rand_code_point(r) for _ in range(n)]
    if r.random() < 0.1:
        chars += [ord('"'), ord('\\'), ord('/'), 8, 12, 10, 13, 9]
        r.shuffle(chars)
    return u''.join(unichr(c) for c in chars)


def rand_key(r):
    k = r.random()
    if k < 0.45:
        return rand_unicode(r, 8)
    if k < 0.75:
        return rand_unicode(r, 8).encode('utf-8')
    if k < 0.82:
        return r.choice(INT_EDGES) if r.random() < 0.5 else r.randint(-1000, 1000)
    if k < 0.87:
        return r.choice(FLOAT_EDGES)
    if k < 0.92:
        return r.choice([True, False, None])
    if k < 0.94:
        return long(r.randint(-5, 5))
    if k < 0.942:
        return (1, 2)  # keys must be a string
    return r.choice(['id', 'name', u'name', 'value', u'\xe9t\xe9', 'a', 'b', u'a'])


def rand_scalar(r):
    k = r.random()
    if k < 0.18:
        return rand_unicode(r)
    if k < 0.33:
        return rand_unicode(r).encode('utf-8')
    if k < 0.43:
        return r.choice(INT_EDGES)
    if k < 0.50:
        return r.randint(-10 ** 6, 10 ** 6)
    if k < 0.54:
        return int(('-' if r.random() < 0.5 else '') + str(r.randint(1, 9)) +
                   ''.join(r.choice('0123456789') for _ in range(r.randint(49, 199))))
    if k < 0.62:
        return r.choice(FLOAT_EDGES)
    if k < 0.70:
        return r.uniform(-1e6, 1e6) * 10 ** r.randint(-30, 30)
    if k < 0.72:
        return float(r.randint(-2 ** 60, 2 ** 60))
    if k < 0.76:
        return decimal.Decimal(r.choice(DECIMAL_EDGES)) if r.random() < 0.6 else \
            decimal.Decimal(r.randint(-10 ** 12, 10 ** 12)) / decimal.Decimal(10 ** r.randint(0, 8))
    if k < 0.84:
        return r.choice([True, False, None])
    if k < 0.86:
        return long(r.randint(-100, 100))
    if k < 0.863:
        return r.choice([object, set, bytearray])()  # not serializable: the whole value fails alike
    # subclasses
    return r.choice([
        lambda: StrSub('sub\xc3\xa9'), lambda: UniSub(u'uni\u2028'), lambda: IntSub(r.randint(-9, 9)),
        lambda: IntSubPlain(42), lambda: LongSub(2 ** 70), lambda: FloatSub(r.random()),
        lambda: FloatSub(float('-inf')), lambda: DecimalSub('2.50'),
    ])()


def rand_value(r, depth=0):
    if depth >= 6 or r.random() < 0.35 + depth * 0.1:
        return rand_scalar(r)
    k = r.random()
    n = r.choice([0, 1, 2, 3, 4, 6, r.randint(0, 12)])
    if k < 0.35:
        return [rand_value(r, depth + 1) for _ in range(n)]
    if k < 0.45:
        return tuple(rand_value(r, depth + 1) for _ in range(n))
    if k < 0.85:
        d = {}
        for _ in range(n):
            d[rand_key(r)] = rand_value(r, depth + 1)
        if r.random() < 0.05 and d:
            del d[next(iter(d))]  # a dict with a deleted slot
        return d
    m = r.random()
    items = [(rand_key(r), rand_value(r, depth + 1)) for _ in range(n)]
    if m < 0.3:
        return collections.OrderedDict(items)
    if m < 0.45:
        return DictSub(items)
    if m < 0.55:
        return DictGetItem(items)
    if m < 0.65:
        return collections.defaultdict(list, items)
    if m < 0.75:
        return ListSub(v for _, v in items)
    if m < 0.85:
        return TupleSub(v for _, v in items)
    if m < 0.92:
        return Point(rand_value(r, depth + 1), rand_value(r, depth + 1))
    return ListRev(v for _, v in items)


def make_values(seed, count):
    r = random.Random(seed)
    return [rand_value(r) for _ in range(count)]


# ---- JSON texts ------------------------------------------------------------------------------------

MUTATION_CHARS = list('[]{},:"\\eE.-+0123456789 \t\n\rtfnulsaNIy/bu') + ['\x00', '\x01', '\x1f', '\x7f', '\xff',
                                                                     '\xc3', '\xa9', '\xed\xa0\x80', '\\u',
                                                                     '\\ud800', '\\udc00', 'NaN', 'Infinity']


def _text_variants(r, v):
    """JSON texts for value v: ASCII (json.dumps), raw UTF-8, with other whitespace."""
    out = []
    try:
        out.append(reference_dumps(v))
    except Exception:
        return out
    try:
        raw = json.dumps(v, default=_legacy_decimal, ensure_ascii=False)
        if isinstance(raw, unicode):
            raw = raw.encode('utf-8')
        out.append(raw)
    except Exception:
        pass
    try:
        out.append(json.dumps(v, default=_legacy_decimal, indent=r.choice([0, 1, 4]),
                              separators=r.choice([(',', ':'), (' , ', ' : '), (',\r\n', ':\t')])))
    except Exception:
        pass
    return out


def mutate(r, s):
    s = list(s)
    for _ in range(r.choice([1, 1, 1, 2, 3])):
        k = r.random()
        pos = r.randint(0, len(s))
        if k < 0.3 and s:
            del s[min(pos, len(s) - 1)]
        elif k < 0.6:
            s.insert(pos, r.choice(MUTATION_CHARS))
        elif k < 0.85 and s:
            s[min(pos, len(s) - 1)] = r.choice(MUTATION_CHARS)
        else:
            s = s[:pos]
    return ''.join(s)


NUMBER_TEXTS = ['0', '-0', '-0.0', '0.0', '1', '-1', '1.5', '1e5', '1E5', '1e+5', '1e-5', '1.5e300', '1e400',
                '-1e400', '1e-400', '2.5e-324', '4.9e-324', '5e-324', '1.7976931348623157e308',
                '1.7976931348623159e308', '0.1', '0.30000000000000004', '123456789012345678',
                '9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809',
                '18446744073709551615', '18446744073709551616', '1' * 200, '-' + '9' * 150, '1.' + '0' * 400 + '1',
                '1' * 30 + '.5', '0.' + '0' * 30 + '1e30', '9007199254740993', '9007199254740993.0',
                '2.2250738585072011e-308', '2.2250738585072012e-308', '1e-7', '100e-2', '0e0', '-0e-0']


def make_texts(seed, count):
    """Valid texts from random values, number literals, and mutations of both."""
    r = random.Random(seed)
    texts = []
    for t in NUMBER_TEXTS:
        texts += [t, '[%s]' % t, '{"n": %s}' % t, ' %s ' % t]
    while len(texts) < count:
        v = rand_value(r)
        variants = _text_variants(r, v)
        texts += variants
        for t in variants[:2]:
            for _ in range(2):
                texts.append(mutate(r, t))
        if r.random() < 0.2:
            texts.append(mutate(r, '[%s]' % r.choice(NUMBER_TEXTS)))
    return texts[:count]


# ---- random byte strings (UTF-8 or nearly) -------------------------------------------------------------

_BOUNDARY_BYTES = [0x00, 0x1f, 0x20, 0x22, 0x5c, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf,
                   0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf7, 0xf8, 0xfb, 0xfc, 0xfe,
                   0xff, 0x41]


def make_byte_strings(seed, count):
    """Byte strs around every UTF-8 decision: valid sequences of each length (surrogates included),
    truncated ones, overlong ones, out-of-range ones, stray continuation bytes."""
    r = random.Random(seed)
    out = []
    while len(out) < count:
        parts = []
        for _ in range(r.randint(1, 4)):
            k = r.random()
            if k < 0.4:
                parts.append(unichr(_rand_code_point(r)).encode('utf-8'))
            elif k < 0.8:
                parts.append(chr(r.choice(_BOUNDARY_BYTES)))
            else:
                parts.append(chr(r.randint(0, 255)))
        s = ''.join(parts)
        if r.random() < 0.3 and len(s) > 1:
            s = s[:-1]
        out.append(s)
    return out


# ---- a 1 MB event for the speed comparison ----------------------------------------------------------

def make_event(seed, target_size):
    r = random.Random(seed)
    records = []
    size = 0
    while size < target_size:
        rec = {
            u'eventID': u'%032x' % r.getrandbits(128),
            u'eventName': r.choice([u'INSERT', u'MODIFY', u'REMOVE']),
            u'awsRegion': u'eu-west-1',
            u'dynamodb': {
                u'ApproximateCreationDateTime': r.randint(1500000000, 1600000000),
                u'Keys': {u'id': {u'S': u'%08d' % r.randint(0, 10 ** 8)}},
                u'NewImage': {u'name': {u'S': u'Caf\xe9 \u2603 %d' % r.randint(0, 999)},
                              u'price': {u'N': u'%.2f' % r.uniform(0, 1000)},
                              u'ratio': r.random(), u'tags': [u'a', u'b', u'c'] * r.randint(0, 3),
                              u'active': r.random() < 0.5, u'note': None},
                u'SequenceNumber': u'%d' % r.getrandbits(64),
                u'SizeBytes': r.randint(10, 1000),
            },
        }
        records.append(rec)
        size += len(json.dumps(rec))
    return json.dumps({u'Records': records})


# ---- hand-picked json.dumps cases ---------------------------------------------------------------------

class DictIterKeys(dict):
    def __iter__(self):
        return iter(['q'])


class DictIterSelf(dict):
    def __getitem__(self, key):
        return self


class ListIterSelf(list):
    def __iter__(self):
        return iter([self])


class ReprRaises(object):
    def __repr__(self):
        raise KeyError('no repr')


class ReprUnicode(object):
    def __repr__(self):
        return u'caf\xe9'


class ReprAscii(object):
    def __repr__(self):
        return 'ReprAscii<\x00>'


def special_values():
    """(label, value) pairs: every rule of the C encoder, and its errors."""
    cases = []
    add = lambda label, v: cases.append((label, v))
    a = []
    a.append(a)
    add('circular list', a)
    add('circular list nested', [1, [2, a]])
    d = {}
    d['x'] = d
    add('circular dict', d)
    d2 = {'l': []}
    d2['l'].append(d2)
    add('circular dict-list', d2)
    add('circular list subclass iter', ListIterSelf([1]))
    add('circular dict subclass getitem', DictIterSelf(a=1))
    shared = [1, 2]
    add('shared not circular', [shared, shared, {'a': shared}])
    add('dict subclass iter KeyError', DictIterKeys(a=1))
    e = DictIterKeys()
    e['a'] = 1
    del e['a']
    add('emptied dict subclass with iter', e)
    add('fresh empty dict subclass with iter', DictIterKeys())
    f = {'a': 1, 'b': 2}
    del f['a']
    add('dict with deleted slot', f)
    g = {'a': 1}
    del g['a']
    add('emptied dict', g)
    add('keys bool/None/float/int/long', {True: 1, False: 2, None: 3, 1.5: 4, 2 ** 70: 5, -3: 6, 7L: 7})
    add('key nan/inf', {float('nan'): 1, float('inf'): 2, -float('inf'): 3, -0.0: 4})
    add('key subclasses', {IntSub(3): 1, LongSub(4): 2, FloatSub(2.5): 3, StrSub('k'): 4, UniSub(u'u'): 5})
    add('key tuple', {(1, 2): 1})
    add('key object', {object: 1})
    add('key Decimal', {decimal.Decimal('1.5'): 1})
    add('key frozenset', {frozenset(): 1})
    add('key bad utf-8', {'\xff': 1})
    add('key surrogate utf-8', {'\xed\xa0\x80': 1})
    add('unserializable object', [1, object])
    add('unserializable set', {'a': set([1, 2])})
    add('unserializable bytearray', bytearray('ab'))
    add('unserializable xrange', xrange(3))
    add('unserializable complex', 1j)
    add('repr raises', [ReprRaises()])
    add('repr unicode', ReprUnicode())
    add('repr with NUL', ReprAscii())
    for bad in ['\xff', 'ab\xc3', '\xc0\x80', '\xc1\xbf', '\xe0\x80\x80', '\xe0\x9f\xbf', '\xed\xa0\x80',
                '\xed\xbf\xbf', '\xf0\x8f\xbf\xbf', '\xf4\x90\x80\x80', '\xf5\x80\x80\x80', '\xf8\x88\x80\x80\x80',
                '\xe2\x82', '\xe2\x82\xac', '\xf0\x9f\x98\x80', '\xf0\x9f\x98', 'a\x80b', '\xc3\xa9\xc3', '\xef\xbf\xbf',
                '\xf4\x8f\xbf\xbf', '\x00\x1f\x7f\x80']:
        add('str %r' % bad, bad)
        add('list str %r' % bad, [bad])
    add('unicode specials', u'\x00\x01\x08\x09\x0a\x0b\x0c\x0d\x1f "\\/\x7f\x80\xff\u0100\u2028\ud7ff\ud800\udfff\ue000\uffff'
                            u'\U00010000\U0001f600\U0010ffff')
    add('str specials', '\x00\x01\x08\t\n\x0b\x0c\r\x1f "\\/\x7f')
    add('subclass values', [StrSub('s\xc3\xa9'), UniSub(u'u'), IntSub(5), IntSubPlain(6), LongSub(2 ** 80),
                            FloatSub(0.1), FloatSub(float('nan')), ListSub([1]), TupleSub((2,)), DictSub(a=1),
                            Point(1, 2), ListRev([1, 2, 3]), DictGetItem(k=1)])
    add('top-level str subclass', StrSub('top'))
    add('top-level unicode subclass', UniSub(u'top\u1234'))
    add('ordered dict', collections.OrderedDict([('z', 1), ('a', 2), ('m', collections.OrderedDict([(3, 4)]))]))
    add('defaultdict', collections.defaultdict(int, {'a': 1}))
    add('decimals', [decimal.Decimal(x) for x in DECIMAL_EDGES] + [DecimalSub('7.70')])
    add('top-level decimal', decimal.Decimal('-1.50'))
    add('floats', FLOAT_EDGES)
    add('ints', INT_EDGES + [True, False, None])
    add('empty containers', [[], (), {}, [[]], [{}], {'a': []}, ListSub(), TupleSub(), DictSub()])
    add('empty list subclass iterating', ListRev())
    return cases
