#!/usr/bin/env bash
# The whole test suite from nothing: installs what is missing (scripts/setup.sh), then configures,
# builds and runs CTest for each preset in LAMBDA_PY27_TEST_PRESETS (default: "dev asan runtime"), then a
# short run of each libFuzzer target.
#
# The asan preset runs every test but those labelled `consumer` (they configure and build separate
# CMake projects to check packaging, which sanitizers add nothing to and which the dev preset runs).
# The runtime preset builds with LAMBDA_PY27_PYTHON=OFF, as a user who wants only the C++ runtime does,
# and runs the tests of that configuration (the runtime layer, the emulator, the C++ example).
#
# arm64: before the presets, the cross build (preset aarch64) makes the arm64 layer that the dev preset's
# test Bundle.Arm64LayerServesTheProbeUnderQemuFromAnEmptyRootAtOpt serves under qemu-aarch64-static.
# LAMBDA_PY27_TEST_ARM64=auto (default): only when our arm64 Python is cached (scripts/build-python.sh
# --arch aarch64), so a fresh machine does not spend CI time on it and the test skips saying so;
# 1: build the arm64 Python if needed; 0: never.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
bash scripts/setup.sh
# ccache hits across build folders and clones: paths are made relative to the clone.
export CCACHE_BASEDIR="$repo" CCACHE_NOHASHDIR=true

presets=${LAMBDA_PY27_TEST_PRESETS:-dev asan runtime}
status=0
passed=0
failed=0
summaries=()

arm64=${LAMBDA_PY27_TEST_ARM64:-auto}
arm64_python() {
  bash scripts/build-python.sh --arch aarch64 --flavour opt --if-cached >/dev/null ||
    bash scripts/build-python.sh --arch aarch64 --flavour quick --if-cached >/dev/null
}
if [ "$arm64" != 0 ] && { [ "$arm64" = 1 ] || arm64_python; }; then
  echo "==== arm64: cross build (preset aarch64) of the arm64 layer"
  if { arm64_python || bash scripts/build-python.sh --arch aarch64 >/dev/null; } &&
     cmake --preset aarch64 >/dev/null && cmake --build --preset aarch64; then
    summaries+=("arm64: layer cross-built (build/aarch64/dist); served under qemu by the dev preset's arm64 test")
  else
    status=1; failed=$((failed + 1)); summaries+=("arm64: the cross build failed (see above)")
  fi
elif [ "$arm64" != 0 ]; then
  summaries+=("arm64: skipped, our arm64 Python is not cached (LAMBDA_PY27_TEST_ARM64=1 builds it)")
fi
for preset in $presets; do
  echo "==== preset $preset: configure, build, test"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  exclude=()
  [ "$preset" = asan ] && exclude=(-LE consumer)
  log="build/$preset/ctest-summary.log"
  if ! ctest --preset "$preset" "${exclude[@]}" 2>&1 | tee "$log"; then status=1; fi
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1 || true)
  if [ -z "$line" ]; then status=1; summaries+=("$preset: no CTest summary"); continue; fi
  total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
  bad=$(sed -E 's/.*tests passed, ([0-9]+) tests failed.*/\1/' <<<"$line")
  passed=$((passed + total - bad))
  failed=$((failed + bad))
  summaries+=("$preset: $line")
done

# libFuzzer smoke run: each fuzz target 15 s on its seeds (a clang build in build/fuzz; scripts/fuzz.sh).
echo "==== fuzz: each target 15 s"
if bash scripts/fuzz.sh --seconds 15; then summaries+=("fuzz: every target ran clean"); else
  status=1; failed=$((failed + 1)); summaries+=("fuzz: a target failed (see above)"); fi

echo "==== summary"
printf '%s\n' "${summaries[@]}"
echo "tests: $passed passed, $failed failed"
exit $status
