# The streaming function behind the emulator's Function URL in RESPONSE_STREAM invoke mode
# (api_gateway_stream_test.cpp; LAMBDA_PY27_RESPONSE_STREAMING=1). The request's path says how to stream.
import os
import sys
import time


def _wait_for(path):
    # The test creates `path` once it has read the first chunk: what follows is yielded only after the
    # client saw that chunk, so a relay that buffered the stream would wait here until the deadline.
    deadline = time.time() + 20
    while not os.path.exists(path) and time.time() < deadline:
        time.sleep(0.01)
    return os.path.exists(path)


def handler(event, context):
    if event['rawPath'] == '/buffered':
        # Not a generator: a plain 2.0 result, mapped as a buffered answer.
        return {'statusCode': 202, 'headers': {'X-Buffered': 'yes'}, 'body': 'whole'}
    return _stream(event)


def _stream(event):
    from lambda_py27_streaming import http_response
    path = event['rawPath']
    query = event.get('queryStringParameters') or {}
    if path == '/prelude':
        yield http_response(201, headers={'Content-Type': 'text/html', 'X-Stream': 'yes'},
                            cookies=['session=abc; Path=/', 'theme=dark'])
        yield '<html>first'
        yield 'second' if _wait_for(query['gate']) else 'gate never opened'
        yield '</html>'
    elif path == '/plain':
        yield 'one,'
        yield u'two \xe9'
    elif path == '/broken':
        yield http_response(200, headers={'Content-Type': 'text/plain'})
        yield 'partial'
        raise ValueError('the order book is closed')
    elif path == '/exits':
        yield http_response(200, headers={'Content-Type': 'text/plain'})
        yield 'partial'
        sys.exit(3)
    elif path == '/fails-first':
        raise KeyError('nothing yielded yet')
    elif path == '/bad-prelude':
        # A header HTTP cannot carry: the answer cannot begin.
        yield http_response(200, headers={'X-Bad': 'two\nlines'})
        yield 'never seen'
