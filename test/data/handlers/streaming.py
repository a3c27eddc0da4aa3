# Handlers for test/python/streaming_test.cpp (run with LAMBDA_PY27_RESPONSE_STREAMING=1 unless said otherwise).
import os
import time


def kinds(event, context):
    yield 'str,'
    yield u'unicode \xe9,'
    yield bytearray('bytearray,')
    yield ''  # sends nothing
    yield 'end'


def gated(event, context):
    # Yields one chunk, then waits for the test to create the gate file (it does so once it has read
    # the first chunk), then yields the second.
    yield 'first'
    deadline = time.time() + 20
    while not os.path.exists(event['gate']) and time.time() < deadline:
        time.sleep(0.01)
    yield 'second' if os.path.exists(event['gate']) else 'gate never opened'


def fails_midway(event, context):
    yield 'partial'
    raise ValueError('broke after the first chunk')


def fails_before(event, context):
    raise KeyError('nothing yielded yet')
    yield 'never'


def bad_chunk(event, context):
    try:
        yield 'fine'
        yield 42
    finally:
        print('generator closed')


def url(event, context):
    from lambda_py27_streaming import http_response
    yield http_response(201, headers={'X-Stream': 'yes'}, cookies=['a=1'])
    yield '<html>'
    yield '</html>'


def late_prelude(event, context):
    from lambda_py27_streaming import http_response
    yield 'body'
    yield http_response(200)


def empty(event, context):
    return
    yield


def big(event, context):
    # 8 MiB in 1 MiB chunks: more than a buffered response may be (6 MiB).
    block = 'b' * (1024 * 1024)
    for _ in range(8):
        yield block


def exits_midway(event, context):
    import sys
    yield 'bye'
    sys.exit(3)


def not_a_generator(event, context):
    return {'plain': True}


def imports_helper(event, context):
    import lambda_py27_streaming
    return lambda_py27_streaming.http_response(204)


def huge(event, context):
    # 201 MiB: one MiB more than a stream may carry in all.
    block = 'h' * (1024 * 1024)
    for _ in range(201):
        yield block
