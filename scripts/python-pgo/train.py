# -*- coding: utf-8 -*-
"""Profile-guided optimisation training for lambda-py27's optimised CPython 2.7 (build-python.sh).

CPython's default training run is its whole regression suite: every corner of the interpreter weighs as
much as the paths a Lambda handler spends its time in, and it takes most of an hour on two cores. This
trains on what handlers do instead, in two parts:

1. Handler-shaped code written for this purpose (not the benchmark's workload.py): events decoded and
   answers encoded with json, routing and validation with re, string formatting, Decimal money sums,
   datetime, base64/hashlib/hmac, urllib quoting, collections, classes, generators, exceptions, logging.
2. CPython's own tests of the modules and object types that code leans on (the list below), so their
   less common paths get counts too; run quietly through test.regrtest as the default task does.
Code neither part runs is optimised as without a profile (-fprofile-partial-training), not for size.

Run by the instrumented interpreter from the build folder: ./python train.py [--marker FILE]. The marker
file is written at the end so the build can tell the training ran (make ignores the task's status).
"""
import sys


def handler_shaped(rounds):
    import base64
    import collections
    import datetime
    import decimal
    import hashlib
    import hmac
    import json
    import logging
    import re
    import StringIO
    import urllib
    import urlparse
    import uuid

    log_stream = StringIO.StringIO()
    logger = logging.getLogger('pgo')
    h = logging.StreamHandler(log_stream)
    h.setFormatter(logging.Formatter('[%(levelname)s]\t%(asctime)s\t%(message)s'))
    logger.addHandler(h)
    logger.setLevel(logging.INFO)

    email = re.compile(r'^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$')
    route = re.compile(r'^/(?P<resource>[a-z]+)(?:/(?P<id>[0-9a-f-]{8,36}))?/?$')
    words = re.compile(r'\w+', re.UNICODE)
    Order = collections.namedtuple('Order', 'sku qty price')

    class Cart(object):
        __slots__ = ('items', 'currency')

        def __init__(self, currency):
            self.items = []
            self.currency = currency

        def add(self, order):
            if order.qty <= 0:
                raise ValueError('quantity must be positive: %r' % (order.qty,))
            self.items.append(order)

        @property
        def total(self):
            return sum((o.price * o.qty for o in self.items), decimal.Decimal('0'))

    def event(i):
        return {
            'resource': '/orders/{id}', 'path': '/orders/%08x-%04x' % (i * 2654435761 % 2 ** 32, i % 65536),
            'httpMethod': 'POST' if i % 3 else 'GET',
            'headers': {'Content-Type': 'application/json', 'X-Request-Id': str(uuid.UUID(int=i * 7919)),
                        'User-Agent': u'lambda-py27/pgo \u00e9t\u00e9'},
            'queryStringParameters': {'page': str(i % 10), 'q': 'caf\xc3\xa9 & cr\xc3\xa8me'},
            'requestContext': {'stage': 'prod', 'requestTimeEpoch': 1700000000000 + i, 'identity': {'sourceIp': '10.0.%d.%d' % (i % 256, i % 13)}},
            'body': json.dumps({'email': 'user%d@example.com' % i if i % 7 else 'not-an-email',
                                'items': [{'sku': 'SKU-%05d' % (i * 31 + k), 'qty': k + 1, 'price': '%d.%02d' % (k * 3 + 1, (i + k) % 100)}
                                          for k in range(i % 6 + 1)],
                                'note': u'r\u00e9sum\u00e9 na\u00efve \u2603' * (i % 3)}),
            'isBase64Encoded': False,
        }

    totals = collections.defaultdict(decimal.Decimal)
    counts = collections.Counter()
    for i in xrange(rounds):
        raw = json.dumps(event(i))
        ev = json.loads(raw)
        m = route.match(ev['path'])
        counts[m.group('resource') if m else 'unrouted'] += 1
        body = json.loads(ev['body'])
        headers = dict((k.lower(), v) for k, v in ev['headers'].iteritems())
        status, answer = 200, None
        try:
            if not email.match(body['email']):
                raise ValueError('invalid email %s' % body['email'])
            cart = Cart('EUR')
            for item in body['items']:
                cart.add(Order(item['sku'], item['qty'], decimal.Decimal(item['price'])))
            total = cart.total.quantize(decimal.Decimal('0.01'), rounding=decimal.ROUND_HALF_UP)
            totals[cart.currency] += total
            when = datetime.datetime(2020, 1, 1) + datetime.timedelta(milliseconds=ev['requestContext']['requestTimeEpoch'] % 10 ** 9)
            sig = hmac.new(b'secret', raw, hashlib.sha256).hexdigest()
            answer = collections.OrderedDict([
                ('id', headers['x-request-id']), ('total', str(total)), ('lines', len(cart.items)),
                ('at', when.strftime('%Y-%m-%dT%H:%M:%S.%fZ')), ('sig', sig[:16]),
                ('words', len(words.findall(body['note']))),
                ('next', '%s?%s' % (urlparse.urljoin('https://api.example.com/v1/', ev['path'].lstrip('/')),
                                    urllib.urlencode(sorted(ev['queryStringParameters'].items())))),
                ('etag', base64.b64encode(hashlib.md5(raw).digest())),
                ('summary', '{0:>10} {1:08.3f} {2!r}'.format(cart.currency, float(total), sorted(counts)[:2])),
            ])
            logger.info('order %s total %s', answer['id'], answer['total'])
        except (ValueError, KeyError) as e:
            status = 400
            answer = {'errorMessage': str(e), 'errorType': type(e).__name__}
            logger.warning('rejected: %s', e)
        out = json.dumps({'statusCode': status, 'body': json.dumps(answer),
                          'headers': {'Content-Type': 'application/json'}})
        assert json.loads(out)['statusCode'] == status
        urllib.unquote_plus(urllib.quote_plus(ev['queryStringParameters']['q'].encode('utf-8')))
        ev['body'].encode('utf-8') if isinstance(ev['body'], unicode) else ev['body'].decode('utf-8')
        sorted(ev['headers'].items(), key=lambda kv: (len(kv[0]), kv[0]))
    return totals, counts


# The handler-shaped part carries most of the weight (about half of the training's time instrumented).
HANDLER_ROUNDS = 40000

TESTS = [
    # the modules handler code calls most
    'test_json', 'test_re', 'test_decimal', 'test_datetime', 'test_base64', 'test_hashlib', 'test_collections',
    'test_itertools', 'test_functools', 'test_operator', 'test_math', 'test_struct', 'test_time',
    # the object types and language features it runs on
    'test_string', 'test_str', 'test_unicode', 'test_format', 'test_dict', 'test_list', 'test_tuple',
    'test_set', 'test_int', 'test_long', 'test_float', 'test_bool', 'test_sort', 'test_generators',
    'test_genexps', 'test_builtin', 'test_types', 'test_scope', 'test_iter', 'test_richcmp', 'test_contains',
    'test_slice', 'test_enumerate', 'test_with',
]


def main(argv):
    marker = argv[argv.index('--marker') + 1] if '--marker' in argv else None
    handler_shaped(HANDLER_ROUNDS)
    import os
    from test import regrtest
    here = os.path.dirname(regrtest.__file__)
    tests = [t for t in TESTS if os.path.exists(os.path.join(here, t + '.py'))]
    sys.argv[1:] = []  # regrtest.main reads the command line too
    try:
        regrtest.main(tests=tests, pgo=True)
    except SystemExit:
        pass  # regrtest exits with the number of failed tests: a profile is still a profile
    if marker:
        with open(marker, 'w') as f:
            f.write('trained: handler-shaped x%d, %d test modules\n' % (HANDLER_ROUNDS, len(tests)))


if __name__ == '__main__':
    main(sys.argv[1:])
