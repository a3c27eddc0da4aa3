#!/usr/bin/env bash
# valgrind memcheck of the shipped runtime: the dev build's lambda-py27-bootstrap runs under valgrind and
# serves N (default 1000) mixed invocations (ok, error, logging, large) from soak_bench's checking Runtime
# API server, then exits on the server's final 500.
#
#   scripts/valgrind.sh [--invocations N] [--build DIR]      (DIR default: build/dev, the dev preset)
#
# Passes when valgrind reports no error (exit status 0): memory errors of any kind, and definitely lost
# blocks at exit. The only suppressions are test/sanitizers/valgrind.supp's, for CPython's obmalloc (see
# that file). The full report is written to <DIR>/valgrind.log.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

invocations=1000
build=build/dev
while [ $# -gt 0 ]; do
  case "$1" in
    --invocations) invocations=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "valgrind.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }

export CCACHE_BASEDIR="$repo" CCACHE_NOHASHDIR=true
if [ "$build" = build/dev ]; then
  [ -f build/dev/CMakeCache.txt ] || cmake --preset dev >/dev/null
fi
cmake --build "$build" -j 2 --target lambda-py27-bootstrap soak_bench
build=$(cd "$build" && pwd)  # the runtime runs in the task root: every path it gets is absolute

log="$build/valgrind.log"
rm -f "$log"
status=0
"$build/bin/soak_bench" --invocations "$invocations" --max-rss-growth-kib 0 --task-root "$repo/test/data/reliability" -- \
  valgrind --tool=memcheck --error-exitcode=99 --suppressions="$repo/test/sanitizers/valgrind.supp" \
    --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --track-origins=yes \
    --num-callers=40 --log-file="$log" \
    "$build/bin/lambda-py27-bootstrap" soak.handler || status=$?

echo "---- valgrind: $log"
grep -E "ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|suppressed:" "$log" || true
if [ $status -ne 0 ]; then
  echo "valgrind.sh: FAILED (soak_bench status $status; the runtime exits 99 when valgrind reports an error)" >&2
  grep -n -A30 -E "^==[0-9]+== (Invalid|Conditional|Use of|Syscall|Mismatched|Source and|Argument)|definitely lost in" "$log" \
    | head -200 >&2 || true
fi
exit $status
