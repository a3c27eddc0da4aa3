#!/usr/bin/env bash
# Python speed: the same handler-shaped workload (workload.py: pure-Python loops, json, re, string
# formatting, decimal) under our Python 2.7 build and under a stock CPython 2.7.18, in one run, rounds
# interleaved; prints the times and the ratio (stock time / our time: > 1 means ours is faster).
#
#   bench/python_speed/run.sh [--rounds R] [--iterations N] [--ours <prefix>] [--stock <prefix>]
#
#   --ours    default: our optimised build (scripts/build-python.sh --flavour opt) when it is cached,
#             else the quick one; exits 77 (skipped) when neither is built.
#   --stock   default: $LAMBDA_PY27_STOCK_PYTHON, else $(pyenv root)/versions/2.7.18 (an upstream build
#             without PGO/LTO, e.g. `PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install 2.7.18`); exits 77
#             when there is none.
#
# Each round runs every part once per interpreter, as a fresh process; each figure is the best of the
# rounds (the least disturbed by other load on the machine), the median of the per-round ratios is the
# cross-check. Target: "all" (one whole handler invocation) >= 1.15x.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
rounds=7 iterations=100 ours= stock=${LAMBDA_PY27_STOCK_PYTHON:-}
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --iterations) iterations=$2; shift 2 ;;
    --ours) ours=$2; shift 2 ;;
    --stock) stock=$2; shift 2 ;;
    *) echo "usage: $0 [--rounds R] [--iterations N] [--ours prefix] [--stock prefix]" >&2; exit 2 ;;
  esac
done
if [ -z "$ours" ]; then
  ours=$(bash "$repo/scripts/build-python.sh" --flavour opt --if-cached ||
         bash "$repo/scripts/build-python.sh" --flavour quick --if-cached || true)
  if [ -z "$ours" ]; then
    echo "SKIPPED: our Python 2.7 is not built (scripts/build-python.sh builds it, ~10 min for the optimised one)"
    exit 77
  fi
fi
if [ -z "$stock" ] && command -v pyenv >/dev/null 2>&1; then stock="$(pyenv root)/versions/2.7.18"; fi
if [ -z "$stock" ] || [ ! -x "$stock/bin/python2.7" ]; then
  echo "SKIPPED: no stock CPython 2.7.18 to compare with (set LAMBDA_PY27_STOCK_PYTHON or --stock to its prefix)"
  exit 77
fi
ours_py="$ours/bin/python2.7" stock_py="$stock/bin/python2.7"
parts=(all loops json re format decimal)

declare -A best_o best_s ratios
for part in "${parts[@]}"; do best_o[$part]=; best_s[$part]=; ratios[$part]=; done
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }
for ((r = 1; r <= rounds; r++)); do
  for part in "${parts[@]}"; do
    # Alternate which interpreter goes first, so neither always runs on a warmer machine.
    if (( r % 2 )); then order=(o s); else order=(s o); fi
    for who in "${order[@]}"; do
      if [ "$who" = o ]; then py=$ours_py; else py=$stock_py; fi
      read -r _ secs sum < <(env -u PYTHONPATH -u PYTHONHOME "$py" -S -E "$here/workload.py" \
                                 --iterations "$iterations" --part "$part")
      if [ "$who" = o ]; then so=$secs sumo=$sum; best_o[$part]=$(min "${best_o[$part]}" "$secs")
      else ss=$secs sums=$sum; best_s[$part]=$(min "${best_s[$part]}" "$secs"); fi
    done
    if [ "$sumo" != "$sums" ]; then
      echo "FAILED: the interpreters computed different results for '$part' ($sumo vs $sums)" >&2; exit 1
    fi
    ratios[$part]+=" $(awk -v s="$ss" -v o="$so" 'BEGIN { printf "%.4f", s / o }')"
  done
done

echo "Python 2.7 speed: workload.py x $iterations invocations, best of $rounds rounds, interleaved"
echo "  ours : $ours_py ($(sed -n 2p "$ours/BUILD-INFO.txt" 2>/dev/null | tr -s ' ' | cut -d' ' -f1-4))"
echo "  stock: $stock_py"
printf '%-8s %12s %12s %9s %13s\n' part "stock s" "ours s" "speed-up" "median ratio"
for part in "${parts[@]}"; do
  med=$(tr ' ' '\n' <<<"${ratios[$part]}" | sed '/^$/d' | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  printf '%-8s %12.4f %12.4f %8.2fx %12.2fx\n' "$part" "${best_s[$part]}" "${best_o[$part]}" \
    "$(awk -v s="${best_s[$part]}" -v o="${best_o[$part]}" 'BEGIN { print s / o }')" "$med"
done
verdict=$(awk -v s="${best_s[all]}" -v o="${best_o[all]}" 'BEGIN { print (s / o >= 1.15) ? "met" : "NOT met" }')
echo "target: a whole handler invocation (all) >= 1.15x faster: $verdict"
