# -*- coding: utf-8 -*-
# Fixture handlers for the dispatcher tests: one function per row of the legacy runtime's spec.
import decimal
import os
import sys


def echo(event, context):
    return event


def types(event, context):
    """The Python types the event decoded into, by JSON path."""
    out = {}

    def walk(prefix, value):
        out[prefix] = type(value).__name__
        if isinstance(value, dict):
            for k, v in value.items():
                walk(prefix + '/' + k, v)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(prefix + '/' + str(i), v)
    walk('', event)
    return out


def context_attributes(event, context):
    names = ['aws_request_id', 'invoked_function_arn', 'function_name', 'function_version',
             'memory_limit_in_mb', 'log_group_name', 'log_stream_name']
    out = dict((n, [getattr(context, n), type(getattr(context, n)).__name__]) for n in names)
    identity = context.identity
    out['identity'] = [identity.cognito_identity_id, identity.cognito_identity_pool_id]
    cc = context.client_context
    if cc is None:
        out['client_context'] = None
    else:
        client = cc.client
        out['client_context'] = {
            'custom': cc.custom, 'env': cc.env,
            'client': None if client is None else [client.installation_id, client.app_title,
                                                   client.app_version_name, client.app_version_code,
                                                   client.app_package_name]}
    remaining = context.get_remaining_time_in_millis()
    out['remaining'] = [remaining > 0, type(remaining).__name__]
    return out


def fail(event, context):
    raise ValueError('something bad: %s' % event.get('what', 'nothing'))


class CustomError(Exception):
    pass


def fail_nested(event, context):
    def inner():
        raise CustomError(u'caf\xe9 broke')
    inner()


def fail_empty(event, context):
    raise CustomError()


def fail_unformattable(event, context):
    # The runtime formats an exception with the traceback module; without it, it cannot.
    sys.modules['traceback'] = None
    raise ValueError('never formatted')


def log_things(event, context):
    import logging
    logging.getLogger().warning('warned %s', 42)
    logging.getLogger('child').error(u'unicode caf\xe9')
    logging.getLogger().info('not shown: root level is WARNING')
    context.log('context log no newline')
    context.log(12345)
    print 'printed line'
    sys.stderr.write('stderr line\n')
    return 'ok'


def exit_with(event, context):
    sys.exit(event.get('status'))


def decimals(event, context):
    return [decimal.Decimal('1.10'), decimal.Decimal('3'), decimal.Decimal('1E+2'),
            decimal.Decimal('123456789012345678901234567890.123456789'), decimal.Decimal('NaN')]


def unserializable(event, context):
    return {'when': object}


def bad_bytes(event, context):
    return '\xff\xfe'


def floats(event, context):
    return [1.0, 1e16, 1.1, float('nan'), float('inf'), -float('inf'), 10 ** 30, u'\u00e9\U0001f600', None, True]


def trace_id(event, context):
    return os.environ.get('_X_AMZN_TRACE_ID')


def environment(event, context):
    keys = [k for k in os.environ if k.startswith('_LAMBDA_')]
    return {'internal': keys, 'security_token': os.environ.get('AWS_SECURITY_TOKEN'),
            'session_token': os.environ.get('AWS_SESSION_TOKEN'), 'cwd': os.getcwd()}


def path(event, context):
    return sys.path


def default_encoding(event, context):
    return [sys.getdefaultencoding(), str(u'caf\xe9')]


def recursion(event, context):
    return recursion(event, context)


not_callable = 5


def identity_object(event, context):
    # The same object at every read; an assignment replaces it; a mutation stays with this context.
    first = context.identity
    initial = first.cognito_identity_id
    same = context.identity is first
    first.cognito_identity_id = 'changed'
    kept = context.identity.cognito_identity_id
    replacement = object()
    context.identity = replacement
    return {'type': type(first).__name__, 'initial': initial, 'same': same, 'kept': kept,
            'replaced': context.identity is replacement}


def context_object(event, context):
    # What a handler may do with its context besides reading it: set, add, not delete, not pickle; subclass
    # and instantiate its type without arguments (every attribute None).
    import copy
    import gc
    import pickle
    import weakref

    def outcome(f):
        try:
            f()
            return 'ok'
        except Exception as e:
            return '%s: %s' % (type(e).__name__, e)

    def delete():
        del context.function_name

    context.function_name = 'renamed'
    context.added = 5
    blank = type(context)()
    subclass = type('Sub', (type(context),), {})
    cycle = type(context)()
    cycle.self = cycle  # collected through its __dict__
    watch = weakref.ref(cycle)
    del cycle
    gc.collect()
    return {'type': '%s.%s' % (type(context).__module__, type(context).__name__),
            'set': context.function_name, 'added': context.added, 'vars': sorted(vars(context)),
            'delete': outcome(delete), 'pickle': outcome(lambda: pickle.dumps(context)),
            'copy': outcome(lambda: copy.copy(context)), 'subclass': subclass().aws_request_id,
            'arguments': outcome(lambda: type(context)(1, 2)),
            'blank': [blank.aws_request_id, blank.client_context, blank.get_remaining_time_in_millis(),
                      blank.identity.cognito_identity_id],
            'collected': watch() is None}


_identities = []


def identity_released(event, context):
    # Whether the identities of the earlier invocations are gone with their contexts.
    import weakref
    alive = [ref() is not None for ref in _identities]
    _identities.append(weakref.ref(context.identity))
    return alive
