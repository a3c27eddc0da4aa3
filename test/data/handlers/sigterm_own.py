# Installs its own SIGTERM handler at import. Without a registered extension the emulator must not send
# SIGTERM; with graceful shutdown the runtime calls it before the other hooks.
import signal
import sys


def _on_sigterm(signum, frame):
    sys.stdout.write('own SIGTERM handler ran\n')
    sys.exit(0)


signal.signal(signal.SIGTERM, _on_sigterm)


def shutdown():
    sys.stdout.write('shutdown hook ran\n')


def handler(event, context):
    return 'ok'
