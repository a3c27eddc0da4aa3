# The function under test: totals an order. Runs unchanged on AWS's python2.7 runtime and on lambda-py27.
import logging
from decimal import Decimal

logger = logging.getLogger()
logger.setLevel(logging.INFO)


class InvalidOrder(Exception):
    pass


def total(event, context):
    items = event.get('items')
    if not items:
        raise InvalidOrder('an order needs items')
    amount = sum(Decimal(str(i['price'])) * i.get('quantity', 1) for i in items)
    logger.info('order of %d items: %s', len(items), amount)
    return {
        'total': amount,  # a Decimal: encoded as a bare JSON number, as the legacy runtime did
        'currency': event.get('currency', u'EUR'),
        'request_id': context.aws_request_id,
    }
