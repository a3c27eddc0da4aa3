# -*- coding: utf-8 -*-
# test/python/python_logging_fast_test.cpp: the legacy logging handler as the bootstrap installs it, with
# its built-in methods (the default) or its Python ones (LAMBDA_PY27_NATIVE_LOGGING=0).
import logging

import _lambda_py27

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    legacy = logger.handlers[0]
    logger.info('order %s for %s: %d lines, %.2f %s', 'abc123', u'cust-\xe9', 3, 12.5, u'USD')
    logging.warning('processed %d keys', len(event))
    logging.getLogger('app').error(u'unicode caf\xe9 %s', 'x')
    logger.warning('bad %d', 'x')  # logging's handleError: a traceback on stderr, nothing lost
    try:
        {}['missing']
    except KeyError:
        logger.exception('failed %s', 'lookup')
    logger.debug('not shown')
    native, python = _lambda_py27.native_logging_counts()[:2]
    return {'class': type(legacy).__name__, 'base': type(legacy).__mro__[1].__name__,
            'filters': [type(f).__name__ for f in legacy.filters], 'native': native, 'python': python,
            'handle': type(vars(type(legacy)).get('handle')).__name__}
