# The function behind the emulator's --api-gateway front end (api_gateway_test.cpp). The request's path
# says what to answer; every structured answer carries the event it was given, as JSON, so the test sees
# exactly what the handler saw.
import base64
import json
import time


def _path(event):
    if event.get('version') == '2.0':
        return event['rawPath']
    return event['path']


def handler(event, context):
    path = _path(event)
    v2 = event.get('version') == '2.0'
    if path == '/binary':
        # The request's bytes (base64 in the event) back with two more, as binary.
        data = base64.b64decode(event['body']) if event['isBase64Encoded'] else event['body']
        return {'statusCode': 200, 'headers': {'Content-Type': 'application/octet-stream'},
                'isBase64Encoded': True, 'body': base64.b64encode(data + b'\x00\xfe')}
    if path == '/malformed':
        return {'statusCode': 200, 'body': {'not': 'a string'}}
    if path == '/fail':
        raise ValueError('the order book is closed')
    if path == '/plain':
        return {'message': 'hello', 'request': context.aws_request_id}
    if path == '/sleep':
        time.sleep(3)
    if path == '/slow':
        time.sleep(0.3)
        return {'statusCode': 200, 'body': context.aws_request_id}
    if path == '/stream':
        return (chunk for chunk in ['a', 'b'])
    if path == '/text':
        return u'Hello, world!'
    answer = {
        'statusCode': 201,
        'headers': {'Content-Type': 'application/json', 'X-Handled-By': 'apigw.handler', 'X-Count': 2},
        'body': json.dumps(event, sort_keys=True),
    }
    if v2:
        answer['cookies'] = ['session=abc; Path=/', 'theme=dark']
    else:
        answer['multiValueHeaders'] = {'X-Multi': ['one', 'two'], 'Set-Cookie': ['session=abc; Path=/', 'theme=dark']}
    return answer
