# Fixture handlers for the platform's newer conventions (tenant ids, exec wrappers, the telemetry log).
import logging
import os
import sys


def tenant(event, context):
    return {'tenant_id': context.tenant_id, 'type': type(context.tenant_id).__name__}


def context_attribute_names(event, context):
    return sorted(n for n in dir(context) if not n.startswith('_'))


def wrapped(event, context):
    """What an exec wrapper left: its variables, the module it preloaded, the wrapper mark."""
    return {'wrapper_var': os.environ.get('LP27_WRAPPER_VAR'),
            'preloaded': 'lp27_preloaded' in sys.modules,
            'preloaded_before_handler': getattr(sys.modules.get('lp27_preloaded'), 'before_handler', None),
            'mark': [k for k in os.environ if 'EXEC_WRAPPER' in k and k != 'AWS_LAMBDA_EXEC_WRAPPER'],
            'runs': os.environ.get('LP27_WRAPPER_RUNS'),
            'argv0_seen_by_wrapper': os.environ.get('LP27_WRAPPER_ARGV')}


def log_exception(event, context):
    """A legacy-profile logging.exception: one multi-line record."""
    try:
        raise ValueError('bad value')
    except ValueError:
        logging.exception('it failed')
    print 'printed line'
    context.log('context line\n')
    import subprocess
    with open(os.devnull, 'w') as quiet:
        inherited = subprocess.call(['/bin/sh', '-c', ': >&3'], stderr=quiet) == 0
    return {'telemetry_fd': os.environ.get('_LAMBDA_TELEMETRY_LOG_FD'), 'child_inherits_fd': inherited}


def log_inside_a_line(event, context):
    """A record logged (to the telemetry descriptor) while a stdout line is half written."""
    import time
    sys.stdout.write('start of a line, ')
    sys.stdout.flush()
    time.sleep(0.002)
    logging.error('a record')
    time.sleep(0.002)
    sys.stdout.write('its end\n')
    sys.stdout.flush()
    return 'ok'


def log_json(event, context):
    logging.getLogger('orders').warning('warned\nacross lines')
    return 'ok'


def fail(event, context):
    raise ValueError('line one\nline two')
