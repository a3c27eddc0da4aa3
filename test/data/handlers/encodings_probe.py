# The encodings a function starts with, and the codecs it then uses (src/python/interpreter.cpp).
import codecs
import os
import sys


def handler(event, context):
    print u'printed caf\xe9'  # unicode to the real stdout (encoding None): the default encoding, UTF-8
    return {
        'stream_encodings': [sys.__stdin__.encoding, sys.__stdout__.encoding, sys.__stderr__.encoding],
        'filesystem': sys.getfilesystemencoding(),
        'default': sys.getdefaultencoding(),
        'PYTHONIOENCODING' in os.environ and 'ioencoding_in_environ' or 'no_ioencoding_in_environ': True,
        'decoded': 'caf\xc3\xa9'.decode('utf-8'),
        'latin1': codecs.lookup('latin-1').name,
        'idna': u'b\xfccher.example'.encode('idna'),
        'mixed': u'caf\xe9 ' + 'cr\xc3\xa8me',
    }
