# A Python handler using `greeting`, a module written in C++ and built into the bootstrap.
import greeting


def handler(event, context):
    name = event.get('name', 'world') if isinstance(event, dict) else 'world'
    return {
        'message': greeting.greet(name),
        'invocation': greeting.invocation_count(),  # counted by the bootstrap's C++ hook
        'warmed': greeting.warmed,                  # set by the after-interpreter hook's Python code
        'stage': greeting.stage(),                  # read by the before-interpreter hook
    }
