#!/usr/bin/env bash
# Installs everything lambda-py27 needs to build and test, from nothing, on Debian 12.
# Idempotent: when everything is already there it does nothing slow.
#
#   PYTHON27_ROOT         prefix of a Python 2.7 with its shared library and headers; default: our own
#                         build (scripts/build-python.sh: Debian's patched 2.7.18, in the user's cache),
#                         built now if it is not cached yet
#   LAMBDA_PY27_PYTHON_FLAVOUR   which of our builds: opt (PGO + LTO) or quick (-O2). Default: opt when it
#                         is cached, else quick when cached, else builds quick (~5 min on 2 cores; the opt
#                         one takes ~50 min, too long for a fresh CI run: `scripts/build-python.sh` builds
#                         it once for every clone)
#   LAMBDA_PY27_PYTHON_BUILD=0   don't use or build our own: the first of $(pyenv root)/versions/2.7.18,
#                         /usr/local, /usr that has a shared libpython2.7 (also the fallback when our
#                         build fails)
#   LAMBDA_PY27_CACHE     cache folder (default: <repo>/.cache, git-ignored)
#
# Prints nothing but progress; the found Python 2.7 root is written to $LAMBDA_PY27_CACHE/python27-root,
# which CMake reads when PYTHON27_ROOT is not set.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${LAMBDA_PY27_CACHE:-$repo/.cache}
mkdir -p "$cache"

log() { printf '[setup] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; exit 1; fi
}

# ---- 1. Debian packages -------------------------------------------------------------------------
packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev clang-format-14
  patchelf zip unzip xz-utils dpkg-dev curl ca-certificates valgrind strace
  podman runc
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
apt_updated=0
apt_update() { [ "$apt_updated" = 1 ] || { as_root apt-get update -qq; apt_updated=1; }; }
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  apt_update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---- 2. Boost.Python sources (Debian's boost1.81 source package, libs/python only) --------------
bp_src="$cache/boost-python/src"
if [ ! -f "$bp_src/.complete" ]; then
  log "fetching Boost.Python sources from Debian's boost1.81 source package"
  srclist=/etc/apt/sources.list.d/lambda-py27-bookworm-src.sources
  if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src .*bookworm' /etc/apt/sources.list; then
    as_root tee "$srclist" >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    apt_updated=0
  fi
  apt_update
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get source --download-only boost1.81 >/dev/null 2>&1) || {
    log "apt-get source boost1.81 failed: is a bookworm deb-src entry reachable?"; exit 1; }
  orig=$(ls "$tmp"/boost1.81_*.orig.tar.xz | head -n1)
  rm -rf "$cache/boost-python"
  mkdir -p "$bp_src"
  tar -xJf "$orig" -C "$tmp" boost/libs/python/src
  cp -r "$tmp/boost/libs/python/src/." "$bp_src/"
  basename "$orig" > "$bp_src/.complete"
  rm -rf "$tmp"; trap - EXIT
fi

# ---- 3. podman: container images (lambda-py27-package --image) ---------------------------------
# Two things keep podman's defaults from running a container on some machines (this project's CI VMs among
# them): a hard limit on open files below the 1048576 podman asks for (runc: "error setting rlimit type 7";
# the process limit then fails alike), and cgroups v1 / hybrid, which crun refuses. Where so, a drop-in
# gives containers Lambda's own limits (1,024 file descriptors, 1,024 processes and threads) and runc.
containers_conf=/etc/containers/containers.conf.d/lambda-py27.conf
if command -v podman >/dev/null && [ ! -f "$containers_conf" ]; then
  hard_files=$(ulimit -Hn)
  conf=""
  if [ "$hard_files" != unlimited ] && [ "$hard_files" -lt 1048576 ]; then
    conf+=$'[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n'
  fi
  if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ] && command -v runc >/dev/null; then
    conf+=$'[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n'
  fi
  if [ -n "$conf" ]; then
    log "podman: Lambda's limits and runc for this machine in $containers_conf"
    as_root mkdir -p "$(dirname "$containers_conf")"
    printf '# Written by lambda-py27 scripts/setup.sh: what podman needs to run containers here.\n%s' "$conf" |
      as_root tee "$containers_conf" >/dev/null
  fi
fi

# ---- 4. Python 2.7 -----------------------------------------------------------------------------
has_py27() {  # a prefix with the shared libpython2.7 and its headers
  [ -f "$1/include/python2.7/Python.h" ] || return 1
  compgen -G "$1/lib/libpython2.7.so*" >/dev/null || compgen -G "$1/lib/*/libpython2.7.so*" >/dev/null
}
root=${PYTHON27_ROOT:-}
if [ -n "$root" ]; then
  has_py27 "$root" || { log "PYTHON27_ROOT=$root has no shared libpython2.7 with headers"; exit 1; }
fi
if [ -z "$root" ] && [ "${LAMBDA_PY27_PYTHON_BUILD:-1}" != 0 ]; then
  build_python="$repo/scripts/build-python.sh"
  flavour=${LAMBDA_PY27_PYTHON_FLAVOUR:-}
  if [ -z "$flavour" ]; then
    for f in opt quick; do
      if root=$("$build_python" --flavour "$f" --if-cached); then break; fi
      root=
    done
    flavour=quick
  fi
  if [ -z "$root" ]; then
    log "building our Python 2.7 ($flavour flavour, once; scripts/build-python.sh)"
    root=$("$build_python" --flavour "$flavour") || {
      root=; log "WARNING: building our Python 2.7 failed; falling back to a Python 2.7 found on this machine"; }
  fi
fi
if [ -z "$root" ]; then
  candidates=()
  if command -v pyenv >/dev/null 2>&1; then candidates+=("$(pyenv root)/versions/2.7.18"); fi
  candidates+=("$HOME/.pyenv/versions/2.7.18" /usr/local /usr)
  for c in "${candidates[@]}"; do if has_py27 "$c"; then root=$c; break; fi; done
fi
if [ -z "$root" ]; then
  cat >&2 <<'MSG'
[setup] No Python 2.7 with a shared libpython2.7 and headers was found.
        Install one (for example `pyenv install 2.7.18` with PYTHON_CONFIGURE_OPTS=--enable-shared,
        or a distribution's python2.7 + libpython2.7-dev), then run again, or point PYTHON27_ROOT at its prefix.
MSG
  exit 1
fi
echo "$root" > "$cache/python27-root"
log "Python 2.7: $root"
