# The soak benchmark's function (bench/soak_bench.cpp): one handler, four behaviours chosen by the event,
# each answer checkable by the benchmark's Runtime API server.
import logging

logger = logging.getLogger()


def handler(event, context):
    kind = event['kind']
    n = event['n']
    if kind == 'ok':
        return [n, 'ok']
    if kind == 'error':
        raise ValueError('soak error %d' % n)
    if kind == 'log':
        logger.warning('soak-log %d', n)
        print 'soak-print %d' % n
        return n
    if kind == 'large':
        return 'L' * event['size']
    raise KeyError(kind)
