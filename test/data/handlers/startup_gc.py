# The collector during and after start-up (src/python/collector.cpp), seen from a function's module.
import gc
import weakref


class Node(object):
    pass


def _cycle():
    n = Node()
    n.self = n  # garbage only the cyclic collector can free
    return weakref.ref(n)


# Made during the import, then 5,000 containers: enough to start several young collections normally.
_made_at_import = _cycle()
_keep = [[] for _ in range(5000)]
SURVIVED_IMPORT = _made_at_import() is not None


def handler(event, context):
    answer = {
        'survived_import': SURVIVED_IMPORT,
        'threshold': list(gc.get_threshold()),
        'enabled': gc.isenabled(),
        'young_counts': list(gc.get_count()[:2]),
    }
    # Collection works as usual after start-up: a young collection, started by allocations alone,
    # frees a cycle made now ...
    made_now = _cycle()
    keep = [[] for _ in range(5000)]
    answer['young_collection_freed_new_cycle'] = made_now() is None and len(keep) == 5000
    # ... and the cycle made during the import, now in the oldest generation, goes at a full collection.
    gc.collect()
    answer['full_collection_freed_import_cycle'] = _made_at_import() is None
    return answer


def own_threshold(event, context):
    return list(gc.get_threshold())
