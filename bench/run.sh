#!/bin/sh
# Builds what the runtime benchmark needs (release preset) and runs it: bench/results/latest.md and
# bench/results/chart.svg are written by the harness, the table is printed. The layer rows deploy
# build/release/dist/lambda-py27-layer.zip, which carries the release preset's Python: our opt build.
#
#   bench/run.sh [--quick] [python_bench options...]     (bench/python_bench.cpp lists them)
#
# The release preset's build tree may have been configured without tests or benchmarks: it is
# configured again with both on (tests: for lambda-py27-test-cpp-runtime; benchmarks: the harness).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
build=build/release

cmake --preset release -DLAMBDA_PY27_BUILD_TESTS=ON -DLAMBDA_PY27_BUILD_BENCH=ON >/dev/null
cmake --build --preset release --target python_bench lambda-py27-bootstrap lambda-py27-test-cpp-runtime \
    floor_runtime cpp_noop_runtime lambda-py27-layer lambda-py27-enter-root

exec "$build/bin/python_bench" --results "$here/bench/results" "$@"
