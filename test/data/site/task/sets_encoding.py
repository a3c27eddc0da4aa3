# Code written for the legacy runtime: it calls sys.setdefaultencoding at import, without reload(sys).
import sys
sys.setdefaultencoding('utf-8')


def handler(event, context):
    return [sys.getdefaultencoding(), str(u'caf\xe9')]
