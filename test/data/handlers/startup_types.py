# Which types' dictionaries of methods the runtime filled before the function ran (our Python fills a
# built-in type's at the first lookup through the type: lazy-type-dicts.diff; our static types are readied
# the same way, src/python/lazy_type.hpp), and the native helpers that let
# the support code's start-up path do without str's, list's, file's and type's methods, each against the
# Python it stands for.
import sys

import _lambda_py27 as native


def _references_added_by_reading(t):
    """How many references reading t's dictionary adds to t: its descriptors' when it was not filled yet
    (it is now), none when it was."""
    before = sys.getrefcount(t)
    t.__dict__
    return sys.getrefcount(t) - before


def handler(event, context):  # this module makes no class at its import: that would fill `type`
    # `type` first: reading any type's __dict__ looks the attribute up through `type`.
    added = [(name, _references_added_by_reading(t)) for name, t in
             (('type', type), ('str', str), ('list', list), ('file', file), ('object', object),
              ('BufferError', BufferError), ('LambdaContext', type(context)), ('Quitter', type(exit)),
              ('_Helper', type(help)), ('_Printer', type(license)))]
    return dict(added)


def equivalence(event, context):
    """Each helper's answers next to the Python it replaces; every entry should hold the same pair."""
    import os

    out = {}
    texts = ['', '.', '..', 'a', 'a.b', 'a.b.c', '.a', 'a.', 'a..b', 'pkg.sub.mod.fn', u'x.y', u'x', u'\xe9.\xe8.']
    out['split'] = [[repr(native.split_dots(t)), repr(t.split('.'))] for t in texts]
    out['rsplit'] = [[repr(native.split_dots(t, True)), repr(t.rsplit('.', 1))] for t in texts]
    values = ['json', 'JsOn', 'debug', 'caf\xc3\xa9 x-1_z{}', '']
    out['upper'] = []
    for value in values:
        os.environ['LAMBDA_PY27_TEST_UPPER'] = value
        out['upper'].append([repr(native.getenv_upper('LAMBDA_PY27_TEST_UPPER')), repr(value.upper())])
    del os.environ['LAMBDA_PY27_TEST_UPPER']
    out['upper'].append([repr(native.getenv_upper('LAMBDA_PY27_TEST_UPPER')), repr('')])
    return out
