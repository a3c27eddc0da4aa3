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
