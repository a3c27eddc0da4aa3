# A module that sets the collector's thresholds while it is imported keeps them.
import gc

gc.set_threshold(123, 4, 5)


def handler(event, context):
    return list(gc.get_threshold())
