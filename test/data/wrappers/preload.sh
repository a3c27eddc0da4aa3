#!/bin/sh
# An exec wrapper as APM agents' (Datadog's) are: a folder on PYTHONPATH whose sitecustomize imports the
# agent's module before the handler's.
export PYTHONPATH="$(dirname "$0")/preload${PYTHONPATH:+:$PYTHONPATH}"
exec "$@"
