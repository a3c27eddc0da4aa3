# Fixture handlers for the platform's newer conventions (tenant ids, exec wrappers, the telemetry log).
import logging
import os
import sys


def tenant(event, context):
    return {'tenant_id': context.tenant_id, 'type': type(context.tenant_id).__name__}


def context_attribute_names(event, context):
    return sorted(n for n in dir(context) if not n.startswith('_'))
