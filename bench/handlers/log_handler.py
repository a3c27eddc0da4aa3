# python_bench: one root-logger warning per invocation (the runtime's log goes to /dev/null).
import logging

logger = logging.getLogger()


def handler(event, context):
    logger.warning("processed %d keys", len(event))
    return None
