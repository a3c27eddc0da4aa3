#!/usr/bin/env bash
# The whole test suite from nothing: installs what is missing (scripts/setup.sh), then configures,
# builds and runs CTest for each preset in LAMBDA_PY27_TEST_PRESETS (default: "dev asan runtime"), then a
# short run of each libFuzzer target. Before them, scripts/format.sh --check: one summary line,
# `format: clean` or `format: N files differ` (which fails the run).
#
# The asan preset runs every test but those labelled `consumer` (they configure and build separate
# CMake projects to check packaging, which sanitizers add nothing to and which the dev preset runs).
# The runtime preset builds with LAMBDA_PY27_PYTHON=OFF, as a user who wants only the C++ runtime does,
# and runs the tests of that configuration (the runtime layer, the emulator, the C++ example).
#
# arm64: before the presets, on every run (fresh machines included), `scripts/build-python.sh --arch aarch64`
# installs the cross toolchain, qemu-user-static and the :arm64 packages and builds our arm64 Python (LTO;
# once, cached in ~/.cache/lambda-py27), then the cross build (preset aarch64) makes the arm64 layer that
# the dev preset's test Bundle.Arm64LayerServesTheProbeUnderQemuFromAnEmptyRootAtOpt serves under
# qemu-aarch64-static; the summary gives both wall times and that test's result. LAMBDA_PY27_TEST_ARM64=0
# skips it all (the test then skips saying so).
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

# Formatting (.clang-format, clang-format 14): a file that differs fails the run.
echo "==== format: scripts/format.sh --check"
if format_out=$(bash scripts/format.sh --check); then summaries+=("$(tail -n 1 <<<"$format_out")"); else
  printf '%s\n' "$format_out"
  status=1; failed=$((failed + 1)); summaries+=("$(tail -n 1 <<<"$format_out")"); fi

arm64=${LAMBDA_PY27_TEST_ARM64:-1}
arm64_built=0
if [ "$arm64" != 0 ]; then
  echo "==== arm64: packages, our arm64 Python, cross build (preset aarch64) of the arm64 layer"
  # The optimised (LTO) flavour, unless only a quick one is cached; either way the packages are ensured.
  arm64_flavour=opt
  if ! bash scripts/build-python.sh --arch aarch64 --flavour opt --if-cached >/dev/null &&
     bash scripts/build-python.sh --arch aarch64 --flavour quick --if-cached >/dev/null; then arm64_flavour=quick; fi
  t0=$(date +%s)
  if bash scripts/build-python.sh --arch aarch64 --flavour "$arm64_flavour" >/dev/null; then
    t1=$(date +%s)
    if cmake --preset aarch64 -DLAMBDA_PY27_PYTHON_FLAVOUR="$arm64_flavour" >/dev/null && cmake --build --preset aarch64; then
      t2=$(date +%s)
      arm64_built=1
      summaries+=("arm64: layer cross-built in $((t2 - t0)) s (packages + arm64 Python $((t1 - t0)) s, cross build $((t2 - t1)) s)")
    else
      status=1; failed=$((failed + 1)); summaries+=("arm64: the cross build (preset aarch64) failed (see above)")
    fi
  else
    status=1; failed=$((failed + 1)); summaries+=("arm64: installing the arm64 packages or building our arm64 Python failed (see above)")
  fi
else
  summaries+=("arm64: skipped (LAMBDA_PY27_TEST_ARM64=0)")
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

# The arm64 layer's test ran in the dev preset: a cross-built layer it did not serve is a failure.
if [ "$arm64_built" = 1 ]; then
  arm64_test=Bundle.Arm64LayerServesTheProbeUnderQemuFromAnEmptyRootAtOpt
  line=$(grep -E "Test +#[0-9]+: $arm64_test " build/dev/ctest-summary.log 2>/dev/null | tail -n 1 || true)
  if [[ " $presets " != *" dev "* ]]; then
    summaries+=("arm64: $arm64_test not run (the dev preset is not in LAMBDA_PY27_TEST_PRESETS)")
  elif [ -z "$line" ]; then
    status=1; failed=$((failed + 1)); summaries+=("arm64: $arm64_test is not in the dev preset's CTest log")
  elif grep -qE ' Passed +[0-9.]+ sec' <<<"$line"; then
    summaries+=("arm64: $arm64_test passed under qemu-aarch64-static ($(sed -E 's/.* Passed +([0-9.]+ sec).*/\1/' <<<"$line"))")
  else
    status=1
    grep -q '\*\*\*Failed\|Timeout\|Exception' <<<"$line" || failed=$((failed + 1))  # a skip is not in CTest's count
    summaries+=("arm64: $arm64_test did not pass: ${line##*$arm64_test}")
  fi
fi

# libFuzzer smoke run: each fuzz target 15 s on its seeds (a clang build in build/fuzz; scripts/fuzz.sh).
echo "==== fuzz: each target 15 s"
if bash scripts/fuzz.sh --seconds 15; then summaries+=("fuzz: every target ran clean"); else
  status=1; failed=$((failed + 1)); summaries+=("fuzz: a target failed (see above)"); fi

echo "==== summary"
printf '%s\n' "${summaries[@]}"
echo "tests: $passed passed, $failed failed"
exit $status
