#!/bin/sh
# Cold start of the deployment bundle in an empty root vs the build-tree bootstrap, in the same run.
#
#   bench/bundle_cold_start.sh [BUILD_DIR] [RUNS]      (default: build/release, 15 runs; needs root)
#
# Each run starts a fresh lambda-py27-emulator (so the runtime starts cold), invokes examples/hello once
# with curl and records the invoke's wall time and the emulator's "Init Duration". The bundled run unpacks
# <BUILD_DIR>/dist/lambda-py27-layer.zip at /opt of an empty root (with /proc mounted: the script runs in a
# private mount namespace of its own) and runs `chroot <root> /opt/bootstrap` with Lambda's LD_LIBRARY_PATH;
# the build-tree run starts <BUILD_DIR>/bin/lambda-py27-bootstrap directly, and a third kind starts it as
# `chroot / <bootstrap>`, to show what the chroot program alone costs. The kinds alternate so that machine
# noise hits all. Prints every figure, the medians and their ratios.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build/release}
runs=${2:-15}
build=$(cd "$build" && pwd)
emulator=$build/bin/lambda-py27-emulator
layer=$build/dist/lambda-py27-layer.zip
function_dir=$here/examples/hello
handler=lambda_function.lambda_handler
lambda_ld_library_path=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib

if [ "$(id -u)" != 0 ]; then
    echo "bundle_cold_start: needs root (chroot, mknod, mount namespace)" >&2
    exit 77
fi
for tool in curl unshare chroot mount; do
    command -v "$tool" >/dev/null || { echo "bundle_cold_start: $tool not found" >&2; exit 77; }
done
if [ -z "${LAMBDA_PY27_BENCH_NAMESPACE:-}" ]; then  # the /proc mount below dies with this namespace
    LAMBDA_PY27_BENCH_NAMESPACE=1 exec unshare --mount --propagation private sh "$0" "$build" "$runs"
fi
if [ ! -x "$emulator" ] || [ ! -f "$layer" ] || [ "$build/bin/lambda-py27-bootstrap" -nt "$layer" ]; then
    echo "bundle_cold_start: building the emulator and the layer in $build" >&2
    cmake --build "$build" --target lambda-py27-emulator lambda-py27-bootstrap lambda-py27-layer >&2
fi

work=$(mktemp -d /tmp/lambda-py27-bench.XXXXXX)
emulator_pid=
cleanup() {
    if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
    umount "$work/root/proc" 2>/dev/null || true
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT INT TERM

root=$work/root
mkdir -p "$root/opt" "$root/var/task" "$root/tmp" "$root/dev" "$root/proc"
chmod 1777 "$root/tmp"
(cd "$root/opt" && cmake -E tar xf "$layer")
cp -a "$function_dir/." "$root/var/task/"
mknod -m 666 "$root/dev/null" c 1 3
mknod -m 666 "$root/dev/zero" c 1 5
mknod -m 666 "$root/dev/urandom" c 1 9
mount -t proc proc "$root/proc"

# One cold invoke; prints "<wall ms> <init ms>".
cold_invoke() {  # kind
    log=$work/emulator.log
    : >"$log"
    if [ "$1" = bundle ]; then
        "$emulator" --port 0 --task-root "$root/var/task" --handler "$handler" \
            --env LAMBDA_TASK_ROOT=/var/task --env "LD_LIBRARY_PATH=$lambda_ld_library_path" -- \
            chroot "$root" /opt/bootstrap \
            >"$log" 2>&1 &
    elif [ "$1" = chrooted ]; then
        "$emulator" --port 0 --task-root "$function_dir" --handler "$handler" -- \
            chroot / "$build/bin/lambda-py27-bootstrap" \
            >"$log" 2>&1 &
    else
        "$emulator" --port 0 --task-root "$function_dir" --handler "$handler" >"$log" 2>&1 &
    fi
    emulator_pid=$!
    port=
    for _ in $(seq 200); do
        port=$(sed -n 's|.*invoke endpoint http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$log")
        [ -n "$port" ] && break
        sleep 0.02
    done
    [ -n "$port" ] || { cat "$log" >&2; echo "bundle_cold_start: the emulator did not start" >&2; exit 1; }
    wall=$(curl -s -o "$work/body" -w '%{time_total}' -d '{"name": "bench"}' \
        "http://127.0.0.1:$port/2015-03-31/functions/function/invocations")
    grep -q '"Hello, bench!"' "$work/body" || { cat "$log" "$work/body" >&2; echo "bundle_cold_start: bad answer" >&2; exit 1; }
    kill "$emulator_pid"
    wait "$emulator_pid" 2>/dev/null || true
    emulator_pid=
    init=$(sed -n 's/.*Init Duration: \([0-9.]*\) ms.*/\1/p' "$log" | head -n 1)
    awk -v w="$wall" -v i="${init:-0}" 'BEGIN { printf "%.2f %.2f\n", w * 1000, i }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

cold_invoke bundle >/dev/null  # warm the page cache for all
cold_invoke build >/dev/null
cold_invoke chrooted >/dev/null
: >"$work/bundle.txt"
: >"$work/build.txt"
: >"$work/chrooted.txt"
printf '%-5s %-22s %-22s %-22s\n' run "bundle (empty root)" "build tree" "build tree, chroot /"
printf '%-5s %-22s %-22s %-22s\n' "" "invoke ms  init ms" "invoke ms  init ms" "invoke ms  init ms"
i=1
while [ "$i" -le "$runs" ]; do
    b=$(cold_invoke bundle)
    t=$(cold_invoke build)
    w=$(cold_invoke chrooted)
    echo "$b" >>"$work/bundle.txt"
    echo "$t" >>"$work/build.txt"
    echo "$w" >>"$work/chrooted.txt"
    printf '%-5s %-22s %-22s %-22s\n' "$i" "$b" "$t" "$w"
    i=$((i + 1))
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
for col in 1 2; do
    bm=$(cut -d' ' -f$col "$work/bundle.txt" | median)
    tm=$(cut -d' ' -f$col "$work/build.txt" | median)
    wm=$(cut -d' ' -f$col "$work/chrooted.txt" | median)
    what="cold invoke (curl)"
    [ "$col" = 2 ] && what="Init Duration"
    echo "median $what: bundle $bm ms, build tree $tm ms (chroot / $wm ms);" \
        "ratio bundle/build tree $(ratio "$bm" "$tm"), bundle/(build tree, chroot /) $(ratio "$bm" "$wm")"
done
echo "(target: bundle/build tree <= 1.15)"
