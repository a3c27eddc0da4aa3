# A shutdown hook that overruns the shutdown budget: the platform (the emulator) must SIGKILL it.
import sys
import time


def shutdown():
    sys.stdout.write('slow shutdown started\n')
    time.sleep(5)
    sys.stdout.write('slow shutdown finished\n')


def handler(event, context):
    return 'ok'
