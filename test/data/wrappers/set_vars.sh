#!/bin/sh
# An exec wrapper that sets variables, counts its runs and execs the runtime's command line.
export LP27_WRAPPER_VAR=from-wrapper
export LP27_WRAPPER_RUNS=$((${LP27_WRAPPER_RUNS:-0} + 1))
export LP27_WRAPPER_ARGV="$*"
exec "$@"
