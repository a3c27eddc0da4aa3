# A function with three dependencies from requirements.txt: a pure wheel, a binary wheel, an sdist.
import os

import fastmath
import fastsum
import purepkg


def handler(event, context):
    here = __file__
    return {
        'pure': purepkg.greet(event.get('name', 'world')),
        'fastmath': fastmath.add(2, 3),
        'fastsum': fastsum.total([1, 2, 3, 4]),
        'files': dict((m.__name__, m.__file__) for m in (purepkg, fastmath, fastsum)),
        'app': here,
        'helper': helper_value(),
        'task_root_listing': sorted(os.listdir('/var/task')),
        'function_name': context.function_name,
        'task_root_writable': writable('/var/task/probe.txt'),
        'tmp_writable': writable('/tmp/probe.txt'),
        'host_visible': [p for p in ('/usr', '/etc', '/home', '/work') if os.path.exists(p)],
        'uid': os.getuid(),
    }


def writable(path):
    try:
        with open(path, 'w') as fh:
            fh.write('x')
        return True
    except (IOError, OSError):
        return False


def helper_value():
    from lib_helpers import value
    return value()
