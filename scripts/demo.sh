#!/usr/bin/env bash
# The main job, from nothing: set up, build the bootstrap and the emulator, serve examples/hello (a Python
# 2.7 handler) through the local Runtime API emulator, invoke it once and print the answer.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
bash scripts/setup.sh
export CCACHE_BASEDIR="$repo" CCACHE_NOHASHDIR=true
cmake --preset dev >/dev/null
cmake --build --preset dev --target lambda-py27-bootstrap lambda-py27-emulator >/dev/null
bin="$repo/build/dev/bin"

port=${LAMBDA_PY27_DEMO_PORT:-9000}
"$bin/lambda-py27-emulator" --port "$port" --task-root "$repo/examples/hello" \
  --handler lambda_function.lambda_handler -- "$bin/lambda-py27-bootstrap" &
emu=$!
trap 'kill $emu 2>/dev/null; wait $emu 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
  if curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then break; fi
  sleep 0.05
done
echo "---- invoking lambda_function.lambda_handler with {\"name\": \"Lambda\"}"
response=$(curl -s -X POST "http://127.0.0.1:$port/2015-03-31/functions/function/invocations" \
  -d '{"name": "Lambda"}')
echo "---- response"
echo "$response"
case "$response" in *'Hello, Lambda!'*) ;; *) echo "unexpected response" >&2; exit 1 ;; esac
