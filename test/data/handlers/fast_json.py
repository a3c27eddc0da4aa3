# An API Gateway proxy handler using its own json (LAMBDA_PY27_FAST_JSON): answers what its json calls
# were (the runtime's built-in functions or json's own) and how many took the fast path.
import StringIO
import json
import types
from json import dumps as imported_dumps

import _lambda_py27


def handler(event, context):
    before = _lambda_py27.fast_json_counts()
    body = json.loads(event['body'])
    out = StringIO.StringIO()
    json.dump({'echo': body}, out)
    reply = {'got': body, 'dumped': out.getvalue(), 'back': json.load(StringIO.StringIO(out.getvalue())),
             'fallback': json.dumps(body, sort_keys=True)}
    after = _lambda_py27.fast_json_counts()
    return {
        'statusCode': 200,
        'body': imported_dumps(reply),
        # json's own functions: Python functions of json's own module
        'json_own': [type(f) is types.FunctionType and f.func_globals is vars(json)
                     for f in (json.loads, json.dumps, json.load, json.dump, imported_dumps)],
        'fast': after[0] - before[0],
        'fallen_back': after[1] - before[1],
    }
