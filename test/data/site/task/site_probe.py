# What the legacy interpreter start (`site`, then the bootstrap script) left for user code.
import __builtin__
import os
import subprocess
import sys

# Set by test/data/site/customize/sitecustomize.py and usercustomize.py when they ran.
ORDER = list(getattr(sys, 'lp27_customize_order', [])) + ['site_probe']


def facts(event, context):
    return {
        'reprs': [repr(getattr(__builtin__, n)) for n in ('exit', 'quit', 'help', 'copyright', 'credits')],
        'license': repr(license),
        'types': [type(getattr(__builtin__, n)).__module__ + '.' + type(getattr(__builtin__, n)).__name__
                  for n in ('exit', 'quit', 'help', 'copyright', 'credits', 'license')],
        'exit_name': exit.name,
        'no_site': sys.flags.no_site,
        'setdefaultencoding': hasattr(sys, 'setdefaultencoding'),
        'defaultencoding': sys.getdefaultencoding(),
        'argv': sys.argv,
        'pythonpath': os.environ.get('PYTHONPATH'),
        'child_pythonpath': subprocess.check_output(['/bin/sh', '-c', 'printf %s "$PYTHONPATH"']),
        'site_module': 'site' in sys.modules,
        'order': ORDER,
    }


def copyright_text(event, context):
    return [repr(copyright) == sys.copyright, repr(credits)]


def exit_with(event, context):
    if event.get('quit'):
        quit(event['status'])
    exit(event['status'])


def exit_caught(event, context):
    try:
        exit(4)
    except SystemExit as e:
        return [type(e).__name__, e.code, e.args]


def help_text(event, context):
    import pydoc
    shown = []
    pydoc.help = lambda *a, **k: shown.append([repr(x) for x in a])
    help(len)
    return shown


def import_site(event, context):
    path = list(sys.path)
    builtins = [getattr(__builtin__, n) for n in ('exit', 'quit', 'help', 'copyright', 'credits', 'license')]
    import site
    packages = site.getsitepackages()
    from site import addsitedir
    return {
        'packages': isinstance(packages, list),
        'addsitedir': callable(addsitedir),
        'path_unchanged': sys.path == path,
        'builtins_unchanged': all(getattr(__builtin__, n) is b for n, b in
                                  zip(('exit', 'quit', 'help', 'copyright', 'credits', 'license'), builtins)),
        'setdefaultencoding': hasattr(sys, 'setdefaultencoding'),
        'same_module': sys.modules['site'] is site,
        'module_type': type(site).__name__,
        'file': os.path.basename(site.__file__),
        'order': list(getattr(sys, 'lp27_customize_order', [])),
    }
