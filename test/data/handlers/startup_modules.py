# Which of os and posix the runtime had imported before this module (recorded at its import, during the
# start-up), then what os gives the function once it imports it itself.
import sys

before_import = sorted(name for name in ('os', 'posix') if name in sys.modules)


def handler(event, context):
    import os
    return {'before_import': before_import, 'cwd': os.getcwd(),
            'function_name': os.environ.get('AWS_LAMBDA_FUNCTION_NAME')}
