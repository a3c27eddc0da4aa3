// LAMBDA_PY27_FAST_JSON: a function's own json calls on the runtime's converters against Python 2.7's
// json, in one interpreter and one run, rounds interleaved. The document is an API Gateway proxy event
// and its ~1.3 KB body; the "handler" row is what such a handler does with json: loads of the body, dumps
// of its answer. Prints CPU microseconds per call (best round) and the ratio json / fast (> 1: faster).
//
//   fast_json_bench [--rounds R] [--calls N]
#include <lambda_py27/python/interpreter.hpp>

#include <Python.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

constexpr const char* bench_source = R"PY(
import json, time
import _lambda_py27

own = dict(loads=json.loads, dumps=json.dumps)
_lambda_py27.install_fast_json(json)
fast = dict(loads=json.loads, dumps=json.dumps)

items = [{u'sku': u'SKU-%03d' % i, u'name': u'Caf\xe9 cr\xe8me %d' % i, u'qty': i % 4 + 1,
          u'price': 3.25 + i, u'tags': [u'hot', u'large'], u'gift': i % 3 == 0} for i in range(9)]
BODY = own['dumps']({u'orderId': u'ORD-000123', u'customer': {u'id': 42, u'email': u'jane@example.com',
                     u'name': u'Jane Do\xeb'}, u'items': items, u'coupon': None, u'note': u'leave at the door'})
EVENT = own['loads'](own['dumps']({u'resource': u'/orders', u'path': u'/orders', u'httpMethod': u'POST',
                                   u'headers': {u'Content-Type': u'application/json'}, u'body': BODY,
                                   u'isBase64Encoded': False}))
BODY_UNICODE = EVENT[u'body']
ANSWER = own['loads'](BODY)


def handler(fns, event):
    order = fns['loads'](event[u'body'])
    total = sum(it[u'qty'] * it[u'price'] for it in order[u'items'])
    return {u'statusCode': 200, u'headers': {u'Content-Type': u'application/json'},
            u'body': fns['dumps']({u'orderId': order[u'orderId'], u'total': total, u'items': order[u'items']})}


CASES = [
    ('json.loads(body), unicode', lambda f: f['loads'](BODY_UNICODE)),
    ('json.loads(body), str', lambda f: f['loads'](BODY)),
    ('json.dumps(answer)', lambda f: f['dumps'](ANSWER)),
    ('handler: loads + dumps', lambda f: handler(f, EVENT)),
]


def per_call(fn, fns, calls):
    start = time.clock()  # the process's CPU time: other processes on the machine count less
    for _ in xrange(calls):
        fn(fns)
    return (time.clock() - start) / calls * 1e6


def run(rounds, calls):
    assert handler(own, EVENT) == handler(fast, EVENT)
    best = {}
    for _ in range(rounds):
        for label, fn in CASES:
            for name, fns in (('json', own), ('fast', fast)):
                t = per_call(fn, fns, calls)
                best[label, name] = min(best.get((label, name), t), t)
    print 'body %d bytes, best of %d rounds of %d calls' % (len(BODY), rounds, calls)
    print '%-28s %12s %12s %8s' % ('CPU time per call', 'json us', 'fast us', 'ratio')
    for label, _ in CASES:
        j, f = best[label, 'json'], best[label, 'fast']
        print '%-28s %12.2f %12.2f %7.2fx' % (label, j, f, j / f)
    counts = _lambda_py27.fast_json_counts()
    print 'fast path calls %d, json\'s own %d' % counts
)PY";

}  // namespace

int main(int argc, char** argv) {
    long rounds = 7, calls = 20000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--rounds") == 0) {
            rounds = std::atol(argv[i + 1]);
        } else if (std::strcmp(argv[i], "--calls") == 0) {
            calls = std::atol(argv[i + 1]);
        } else {
            std::fprintf(stderr, "usage: fast_json_bench [--rounds R] [--calls N]\n");
            return 2;
        }
    }
    if (rounds < 1 || calls < 1) {
        std::fprintf(stderr, "fast_json_bench: --rounds and --calls take a positive number\n");
        return 2;
    }
    lambda_py27::python::interpreter_options options;
    options.change_directory = false;
    lambda_py27::python::interpreter interp(options);
    const std::string code =
        std::string(bench_source) + "\nrun(" + std::to_string(rounds) + ", " + std::to_string(calls) + ")\n";
    if (PyRun_SimpleString(code.c_str()) != 0) {
        std::fprintf(stderr, "fast_json_bench: the benchmark raised (above)\n");
        return 1;
    }
    return 0;
}
