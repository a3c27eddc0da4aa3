# -*- coding: latin-1 -*-
# Exceptions whose text is not UTF-8: in the message, in a source line, in a file name, or no text at all.


def message(event, context):
    raise ValueError("caf\xe9 not found")


def source_line(event, context):
    raise KeyError("k")  # café


def file_name(event, context):
    code = compile('def inner():\n    raise TypeError("t")\n', '/tmp/caf\xe9.py', 'exec')
    scope = {}
    exec code in scope
    scope['inner']()


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError('str() fails')


def unprintable(event, context):
    raise Unprintable('x')
