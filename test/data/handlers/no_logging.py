# Never imports logging: whether the runtime imported it anyway is the answer.
import sys


def handler(event, context):
    print 'no logging here'
    return 'logging' in sys.modules
