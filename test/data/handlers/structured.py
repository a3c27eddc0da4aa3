# -*- coding: utf-8 -*-
# Fixture handlers for structured logging (AWS_LAMBDA_LOG_FORMAT=JSON) and the modern error profile.
import logging
import sys

logger = logging.getLogger('orders')


def log_levels(event, context):
    logger.debug('debug %d', 1)
    logger.info('info %d', 2)
    logger.warning('warning %d', 3)
    logger.error(u'error caf\xe9')
    logger.critical('critical')
    logger.log(25, 'between info and warning')
    return 'ok'


def log_exception(event, context):
    try:
        {}['missing']
    except KeyError:
        logger.exception('lookup failed')
    return 'ok'


def log_extra(event, context):
    logger.warning('with extra', extra={'order_id': 42, 'customer': u'Zo\xeb', 'obj': object})
    return 'ok'


def print_and_context_log(event, context):
    print 'printed line'
    sys.stderr.write('stderr line\n')
    context.log('context log line\n')
    logging.warning('after %s', 'print')
    return 'ok'


def fail(event, context):
    raise ValueError('bad input: %s' % event.get('what'))


def log_odd_text(event, context):
    logger.warning('not utf-8: \xff, control: \x01, quote: ", tab:\t')
    logger.warning('nested', extra={'data': {'k': [1, object]}})
    return 'ok'
