import sys

ORDER = list(getattr(sys, 'lp27_customize_order', [])) + ['order_probe']


def handler(event, context):
    return ORDER
