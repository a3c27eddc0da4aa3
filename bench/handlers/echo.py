# python_bench: answers with the event (decoded, then encoded again by the runtime).


def handler(event, context):
    return event
