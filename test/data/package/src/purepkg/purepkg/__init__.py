"""A pure-Python package shipped as a py2-none-any wheel."""
__version__ = '1.0'


def greet(name):
    return u'hello %s from purepkg' % name
