# The function the image tests build into an image: what the platform gave it, and where it may write.
import os


def handler(event, context):
    def writable(path):
        try:
            with open(path, 'w') as fh:
                fh.write('x')
            return True
        except (IOError, OSError):
            return False
    return {
        'function_name': context.function_name,
        'env_function_name': os.environ.get('AWS_LAMBDA_FUNCTION_NAME'),
        'uid': os.getuid(),
        'tmp_writable': writable('/tmp/probe'),
        'task_writable': writable('/var/task/probe'),
        'file': __file__,
        'echo': event,
    }
