#!/usr/bin/env bash
# The whole test suite from nothing: installs what is missing (scripts/setup.sh), then configures,
# builds and runs CTest for each preset in LAMBDA_PY27_TEST_PRESETS (default: "dev asan").
#
# The asan preset runs every test but those labelled `consumer` (they configure and build separate
# CMake projects to check packaging, which sanitizers add nothing to and which the dev preset runs).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
bash scripts/setup.sh
# ccache hits across build folders and clones: paths are made relative to the clone.
export CCACHE_BASEDIR="$repo" CCACHE_NOHASHDIR=true

presets=${LAMBDA_PY27_TEST_PRESETS:-dev asan}
status=0
for preset in $presets; do
  echo "==== preset $preset: configure, build, test"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  exclude=()
  [ "$preset" = asan ] && exclude=(-LE consumer)
  if ! ctest --preset "$preset" "${exclude[@]}"; then status=1; fi
done
exit $status
