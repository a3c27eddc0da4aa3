#!/bin/sh
# Deliberately without the executable bit.
exec "$@"
