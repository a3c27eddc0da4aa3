#!/usr/bin/env bash
# Builds lambda-py27's libFuzzer targets with clang (build/fuzz: the library with coverage instrumentation,
# ASan and UBSan) and runs each one for --seconds N (default 60) on its seed corpus in fuzz/corpus/<name>/.
#
#   scripts/fuzz.sh                      every target, 60 s each
#   scripts/fuzz.sh --seconds 15         the short run scripts/test.sh does
#   scripts/fuzz.sh --seconds 300 json_loads next_headers
#
# New inputs found during a run go to build/fuzz/corpus/<name>/ (the seeds in the repository are only
# read); a crash, a sanitizer report or a differential mismatch leaves its input in
# build/fuzz/artifacts/<name>/ and makes the script exit non-zero.
# Environment: CC/CXX (default clang/clang++), LAMBDA_PY27_FUZZ_JOBS (build jobs, default 2).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

seconds=60
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --seconds=*) seconds=${1#--seconds=}; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
case "$seconds" in ''|*[!0-9]*) echo "fuzz.sh: --seconds takes a whole number" >&2; exit 2 ;; esac
if [ ${#targets[@]} -eq 0 ]; then targets=(json_loads json_dumps next_headers answer_reader_vs_beast emulator_requests); fi

export CC=${CC:-clang} CXX=${CXX:-clang++}
if ! command -v "$CXX" >/dev/null; then echo "fuzz.sh: $CXX not found (install clang)" >&2; exit 2; fi
export CCACHE_BASEDIR="$repo" CCACHE_NOHASHDIR=true
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi

build=build/fuzz
cmake -S . -B "$build" -G Ninja "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link" -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" \
  -DLAMBDA_PY27_BUILD_FUZZERS=ON -DLAMBDA_PY27_SANITIZE=ON -DLAMBDA_PY27_WERROR=ON \
  -DLAMBDA_PY27_BUILD_TESTS=OFF -DLAMBDA_PY27_BUILD_BENCH=OFF -DLAMBDA_PY27_BUILD_EXAMPLES=OFF \
  -DLAMBDA_PY27_BUILD_TOOLS=OFF -DLAMBDA_PY27_INSTALL=OFF >/dev/null
cmake --build "$build" -j "${LAMBDA_PY27_FUZZ_JOBS:-2}" --target "${targets[@]/#/fuzz_}"

# The interpreter is never finalised and keeps caches for good: leak checks are for the socket target only.
asan_options=${ASAN_OPTIONS:-abort_on_error=1:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in "${targets[@]}"; do
  seeds=fuzz/corpus/$t
  work=$build/corpus/$t
  artifacts=$build/artifacts/$t
  mkdir -p "$work" "$artifacts"
  options=(-max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1
           -artifact_prefix="$artifacts/")
  case "$t" in
    json_loads|json_dumps) options+=(-detect_leaks=0 -max_len=8192); leaks=0 ;;
    *) options+=(-detect_leaks=1 -max_len=80000); leaks=1 ;;
  esac
  echo "==== fuzz_$t: ${seconds}s on $seeds"
  if ! ASAN_OPTIONS="$asan_options:detect_leaks=$leaks" "$build/bin/fuzz_$t" "${options[@]}" "$work" "$seeds" \
       2>"$build/fuzz_$t.log"; then
    echo "fuzz_$t: FINDING (log: $build/fuzz_$t.log, input: $artifacts/)" >&2
    tail -n 40 "$build/fuzz_$t.log" >&2
    status=1
  else
    grep -E "^stat::number_of_executed_units|^Done [0-9]+ runs" "$build/fuzz_$t.log" | tail -n 2
  fi
done
exit $status
