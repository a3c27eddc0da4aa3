#!/usr/bin/env bash
# Builds lambda-py27's own CPython 2.7.18: Debian bullseye's python2.7 source package (2.7.18-8+deb11u1)
# with Debian's security and bug-fix patches, UCS4 (cp27mu), shared + static libpython, into a prefix in
# a cache folder outside the clone, reused by later runs, other clones and CI.
#
#   scripts/build-python.sh [--arch x86_64|aarch64] [--flavour opt|quick] [--print-prefix] [--if-cached]
#
#   --arch      x86_64 (default: native) or aarch64 (cross-built with Debian's crossbuild-essential-arm64 and
#               the :arm64 -dev packages; its build Python is one of our x86_64 builds, a quick one is built
#               first when none is cached). aarch64 also installs, first and even when the prefix is cached,
#               everything the arm64 cross build (preset aarch64) and its qemu test need: the arm64 dpkg
#               architecture, crossbuild-essential-arm64, qemu-user-static, libboost1.81-dev:arm64,
#               libstdc++6:arm64, libgcc-s1:arm64 and the :arm64 libraries the Python links (a few
#               dpkg-query calls when they are there)
#   --flavour   opt   (default): profile-guided (--enable-optimizations, trained by python-pgo/train.py on
#                     handler-shaped work) + link-time optimised (--with-lto).
#                     aarch64: LTO only (the profile run would have to execute target code; see README).
#               quick: -O2, no PGO/LTO: the same patches and modules, built in a few minutes.
#   --print-prefix  print the prefix this recipe builds to (whether or not it exists) and exit
#   --if-cached     print the prefix and exit 0 if it is built, exit 3 (and build nothing) if not
#
#   LAMBDA_PY27_PYTHON_CACHE   cache folder (default: ${XDG_CACHE_HOME:-$HOME/.cache}/lambda-py27)
#   LAMBDA_PY27_BUILD_JOBS     make -j (default 2)
#
# The prefix is <cache>/python-2.7.18-<debian version>-<arch>-<flavour>-<recipe hash>; the hash covers the
# recipe (patch selection, configure options, flags, a revision number), so a changed recipe builds a new
# prefix. The build runs in <cache>/.work-*, installs
# into a staging folder there and is renamed into place only when complete (with a .complete stamp), so
# an interrupted build is never used. Prints progress on stderr and the prefix on stdout.
#
# Debian's patch series (debian/patches/series.in, selected for Debian/linux/<arch> as debian/rules does)
# is applied in order with `patch -p1`, skipping the patches that only change the Debian packaging layout
# or its policy; every CVE and bug-fix patch is applied. Skipped, and why:
#   site-locations.diff             site.py: /usr/local/lib/python2.7/dist-packages + dist-packages
#                                   (the legacy runtime has site-packages; sys.path must stay as the spec says)
#   distutils-install-layout.diff   distutils --install-layout=deb and dist-packages install locations
#   deb-locations.diff              paths in demos, man page and tools adjusted to Debian policy
#   debug-build.diff                python-dbg's "_d" extension names (Debian's debug package)
#   multiarch.diff                  Debian multiarch: sys._multiarch, lib/python2.7/plat-x86_64-linux-gnu,
#   multiarch-libc.diff               multiarch headers in h2py (Debian's filesystem layout)
#   no-zip-on-sys.path.diff         drops lib/python27.zip from sys.path (upstream keeps it, as did the runtime)
#   platform-lsbrelease.diff        platform.linux_distribution() reads /etc/lsb-release first (Ubuntu policy)
#   ext-no-libpython-link.diff      distutils: extensions not linked to libpython (Debian packaging policy)
#   revert-unittest-loader-symlinks19352.diff  reverts an upstream unittest fix for Debian's symlinked tree
#   ensurepip-wheels.diff, ensurepip-disabled.diff   Debian's ensurepip policy (we build without ensurepip)
#   tkinter-import.diff             "install python-tk" hint naming a Debian package (no Tk module here)
# Then our own patches, scripts/python-patches/*.diff: openssl3-hashlib.diff (_hashlib with OpenSSL 3),
# attribute-probes.diff (int(str), long(str), dict(pairs) without formatting an AttributeError to drop),
# lazy-type-dicts.diff (the built-in types' dictionaries filled at their first read, not at start;
# LAMBDA_PY27_EAGER_TYPES=1 at run time fills them at start as before), single-base-mro.diff (the MRO of a
# type with one base of metatype type built directly: what C3 gives, without its lists and merge),
# arena-thrash.diff (obmalloc keeps one wholly free arena instead of unmapping it at once),
# method-cache-start.diff (the type attribute cache starts empty instead of filled with None at start),
# fast-isinstance.diff (isinstance/issubclass/except with a class of type `type` without a method call),
# more-lazy-types.diff (the struct sequence and unicode helper types made at start fill lazily too),
# populate-bss.diff (libpython's .bss mapped writable in one madvise at start, not page by page).
set -euo pipefail

DEB_VERSION=2.7.18-8+deb11u1
PY_VERSION=2.7.18
SKIP_PATCHES=(site-locations.diff distutils-install-layout.diff deb-locations.diff debug-build.diff
  multiarch.diff multiarch-libc.diff no-zip-on-sys.path.diff platform-lsbrelease.diff
  ext-no-libpython-link.diff revert-unittest-loader-symlinks19352.diff ensurepip-wheels.diff
  ensurepip-disabled.diff tkinter-import.diff)

arch=$(uname -m)
flavour=opt
mode=build
while [ $# -gt 0 ]; do
  case $1 in
    --arch) arch=$2; shift 2 ;;
    --arch=*) arch=${1#*=}; shift ;;
    --flavour) flavour=$2; shift 2 ;;
    --flavour=*) flavour=${1#*=}; shift ;;
    --print-prefix) mode=print; shift ;;
    --if-cached) mode=if-cached; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-python.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case $arch in x86_64|amd64) arch=x86_64 debarch=amd64 triplet=x86_64-linux-gnu ;;
  aarch64|arm64) arch=aarch64 debarch=arm64 triplet=aarch64-linux-gnu ;;
  *) echo "build-python.sh: unsupported --arch '$arch' (x86_64 or aarch64)" >&2; exit 2 ;; esac
case $flavour in opt|quick) ;; *) echo "build-python.sh: --flavour is opt or quick, not '$flavour'" >&2; exit 2 ;; esac

# Hardening as Debian builds it; -fno-semantic-interposition lets the compiler inline and call directly
# inside libpython (its exported functions are not interposed), which -Bsymbolic-functions (Debian's
# link-opt.diff) makes true at link time.
cflags="-fstack-protector-strong -D_FORTIFY_SOURCE=2 -fno-semantic-interposition"
ldflags="-Wl,-z,relro -Wl,-z,now"
conf=(--enable-shared --enable-unicode=ucs4 --with-system-expat --with-system-ffi
      --with-fpectl --without-ensurepip --enable-ipv6 --with-dbmliborder=gdbm)
pgo=()
if [ "$flavour" = opt ]; then
  conf+=(--with-lto)
  if [ "$arch" = x86_64 ]; then
    conf+=(--enable-optimizations)
    # Trained on handler-shaped work and the tests of the modules it uses (scripts/python-pgo/train.py),
    # not CPython's whole regression suite; code the training never ran is optimised as without a profile
    # (-fprofile-partial-training), not for size.
    pgo=("PROFILE_TASK=@WORK@/pgo-train.py --marker @WORK@/pgo-trained"
         "PGO_PROF_USE_FLAG=-fprofile-use -fprofile-correction -fprofile-partial-training")
  fi
fi
[ "$arch" = aarch64 ] && conf+=(--host=aarch64-linux-gnu --build=x86_64-linux-gnu)

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
self="$here/$(basename "${BASH_SOURCE[0]}")"
cache=${LAMBDA_PY27_PYTHON_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lambda-py27}
# The recipe: what changes the installed result, our patches' text included. Bump RECIPE_REVISION when
# changing a build step below (these variables do not capture them).
RECIPE_REVISION=1
recipe_hash=$({ printf '%s\n' "$RECIPE_REVISION" "$DEB_VERSION" "$arch" "${SKIP_PATCHES[@]}" "${conf[@]}" \
  "$cflags" "$ldflags"; cat "$here"/python-patches/*.diff; } | sha256sum | cut -c1-10)
if [ ${#pgo[@]} -gt 0 ]; then  # the profile's recipe too (only where there is one: other hashes unchanged)
  recipe_hash=$({ echo "$recipe_hash"; printf '%s\n' "${pgo[@]}"; cat "$here/python-pgo/train.py"; } |
    sha256sum | cut -c1-10)
fi
prefix="$cache/python-$PY_VERSION-${DEB_VERSION#*-}-$arch-$flavour-$recipe_hash"
jobs=${LAMBDA_PY27_BUILD_JOBS:-2}

log() { printf '[build-python] %s\n' "$*" >&2; }

if [ "$mode" = print ]; then echo "$prefix"; exit 0; fi
if [ "$mode" = if-cached ]; then
  if [ -f "$prefix/.complete" ]; then echo "$prefix"; exit 0; fi
  exit 3
fi

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; exit 1; fi
}
apt_updated=0
apt_update() { [ "$apt_updated" = 1 ] || { as_root apt-get update -qq; apt_updated=1; }; }
need_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local t=$(date +%s)
  apt_update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  log "installed in $(($(date +%s) - t)) s"
}

dev_libs=(libssl-dev libsqlite3-dev zlib1g-dev libbz2-dev libffi-dev libexpat1-dev libreadline-dev
  libncurses-dev libgdbm-dev)
# ---- arm64: everything the cross builds and the qemu test need, also when the prefix is cached ------
if [ "$arch" = aarch64 ]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    log "adding the arm64 architecture to dpkg"; as_root dpkg --add-architecture arm64; apt_updated=0
  fi
  # The Python's -dev libraries (their runtime libraries are shipped in the arm64 layer too), Boost's
  # headers and CMake files for the target (the toolchain file ignores the x86-64 ones), and the C++
  # runtime that the bundles ship as EXTRA_LIBRARIES (the cross toolchain's own copy is not in the
  # multiarch folders).
  need_packages crossbuild-essential-arm64 qemu-user-static "${dev_libs[@]/%/:arm64}" libc6:arm64 \
    libboost1.81-dev:arm64 libstdc++6:arm64 libgcc-s1:arm64
fi
if [ -f "$prefix/.complete" ]; then echo "$prefix"; exit 0; fi

# ---- build dependencies ----------------------------------------------------------------------------
need_packages build-essential autoconf dpkg-dev patchelf "${dev_libs[@]}"

# ---- Debian's source package ---------------------------------------------------------------------
srcdir_cache="$cache/src"
dsc="$srcdir_cache/python2.7_$DEB_VERSION.dsc"
if [ ! -f "$srcdir_cache/.complete-$DEB_VERSION" ]; then
  srclist=/etc/apt/sources.list.d/lambda-py27-bullseye-src.sources
  if ! apt-cache showsrc "python2.7=$DEB_VERSION" 2>/dev/null | grep -q "^Version: $DEB_VERSION"; then
    if [ ! -f "$srclist" ]; then
      need_packages debian-archive-keyring  # Ubuntu: from universe; Debian has it
      log "adding a deb-src entry for Debian bullseye ($srclist)"
      as_root tee "$srclist" >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bullseye
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bullseye-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    fi
    apt_updated=0; apt_update
  fi
  mkdir -p "$srcdir_cache"
  log "fetching Debian's python2.7 $DEB_VERSION source package"
  (cd "$srcdir_cache" && apt-get source --download-only "python2.7=$DEB_VERSION" >/dev/null 2>&1) || {
    log "apt-get source python2.7=$DEB_VERSION failed: is a bullseye deb-src entry reachable?"; exit 1; }
  touch "$srcdir_cache/.complete-$DEB_VERSION"
fi

# ---- build ---------------------------------------------------------------------------------------
mkdir -p "$cache"
work=$(mktemp -d "$cache/.work-$arch-$flavour-XXXXXX")
trap 'rm -rf "$work"' EXIT
src="$work/Python-$PY_VERSION"
log "unpacking into $work"
dpkg-source --no-check -x "$dsc" "$src" >/dev/null

cd "$src"
# The series as debian/rules selects it (cpp over series.in), minus the layout patches listed above.
sed '/^# /d' debian/patches/series.in |
  cpp -E -P -DDebian -DWITH_FPECTL -Darch_os_linux "-Darch_$debarch" - | grep -Ev '^(#|[[:space:]]*$)' > "$work/series"
applied=()
while read -r p; do
  skip=0
  for s in "${SKIP_PATCHES[@]}"; do [ "$p" = "$s" ] && skip=1; done
  [ $skip = 1 ] && continue
  patch -p1 -s --no-backup-if-mismatch < "debian/patches/$p" || { log "Debian patch $p does not apply"; exit 1; }
  applied+=("$p")
done < "$work/series"
log "applied ${#applied[@]} Debian patches (skipped ${#SKIP_PATCHES[@]} layout ones)"
# Then our own (scripts/python-patches/, each with its reason at its top).
for p in "$here/python-patches"/*.diff; do
  patch -p1 -s --no-backup-if-mismatch < "$p" || { log "our patch $p does not apply"; exit 1; }
  applied+=("lambda-py27: $(basename "$p")")
done
printf '%s\n' "${applied[@]}" > "$work/applied-patches"
rm -rf autom4te.cache configure
autoconf 2>/dev/null
# Keep the generated parser sources newer than their inputs (no pgen run needed, as debian/rules does).
touch Include/graminit.h Python/graminit.c

build_python=
if [ "$arch" = aarch64 ]; then
  # The build Python: any of our x86_64 builds (same version; the flavour does not matter), else a quick one.
  native=$("$self" --arch x86_64 --flavour opt --if-cached || "$self" --arch x86_64 --flavour quick --if-cached ||
           "$self" --arch x86_64 --flavour quick)
  build_python="$native/bin/python2.7"
  # Answers configure cannot find by running target programs.
  cat > "$work/config.site" <<'SITE'
ac_cv_file__dev_ptmx=yes
ac_cv_file__dev_ptc=no
ac_cv_buggy_getaddrinfo=no
ac_cv_have_long_long_format=yes
ac_cv_working_tzset=yes
ac_cv_broken_sem_getvalue=no
ac_cv_little_endian_double=yes
ac_cv_big_endian_double=no
ac_cv_mixed_endian_double=no
ac_cv_tanh_preserves_zero_sign=yes
ac_cv_x87_double_rounding=no
SITE
  export CONFIG_SITE="$work/config.site"
  export PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig
  # configure finds it as python2.7 on PATH and runs setup.py and the byte-compiler with it.
  PATH="$(dirname "$build_python"):$PATH"; export PATH
  conf+=(CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar
         READELF=aarch64-linux-gnu-readelf)
fi
conf=(--prefix="$prefix" "${conf[@]}")
log "configure ${conf[*]}"
mkdir -p build && cd build
nice -n 5 ../configure "${conf[@]}" CFLAGS="$cflags" LDFLAGS="$ldflags" > "$work/configure.log" 2>&1 || {
  tail -n 40 "$work/configure.log" >&2; log "configure failed"; exit 1; }
t0=$(date +%s)
case $arch-$flavour in
  x86_64-opt) log "make -j$jobs (profile-guided + LTO: builds, trains on handler-shaped work, rebuilds)" ;;
  *) log "make -j$jobs ($arch, $flavour)" ;;
esac
make_args=(-j"$jobs")
if [ ${#pgo[@]} -gt 0 ]; then
  cp "$here/python-pgo/train.py" "$work/pgo-train.py"
  for a in "${pgo[@]}"; do make_args+=("${a//@WORK@/$work}"); done
fi
if [ -n "$build_python" ]; then
  # configure's PYTHON_FOR_BUILD puts the target's freshly built modules first on PYTHONPATH, so the build
  # Python's `import struct` (compileall at install) finds the aarch64 _struct.so and fails. Put the build
  # Python's own lib-dynload before them; the target's _sysconfigdata (only there) is still found.
  make_args+=("PYTHON_FOR_BUILD=_PYTHON_PROJECT_BASE=\$(abs_builddir) _PYTHON_HOST_PLATFORM=\$(_PYTHON_HOST_PLATFORM) PYTHONPATH=\$(srcdir)/Lib:\$(srcdir)/Lib/\$(PLATDIR):$native/lib/python2.7/lib-dynload:\$(abs_builddir)/build/lib.linux2-aarch64-2.7 $build_python")
fi
nice -n 5 make "${make_args[@]}" > "$work/make.log" 2>&1 || { tail -n 60 "$work/make.log" >&2; log "make failed"; exit 1; }
if [ ${#pgo[@]} -gt 0 ] && [ ! -f "$work/pgo-trained" ]; then
  # make ignores the training run's status: a profile from a run that died early would be silently poor.
  grep -n -B2 -A20 'generate profile data' "$work/make.log" | tail -n 40 >&2; log "the PGO training run did not finish"; exit 1
fi
stage="$work/stage"
nice -n 5 make "${make_args[@]}" install DESTDIR="$stage" > "$work/install.log" 2>&1 || {
  tail -n 40 "$work/install.log" >&2; log "make install failed"; exit 1; }
t1=$(date +%s)

out="$stage$prefix"
# Relocatable: the interpreter finds libpython next to it wherever the prefix is moved.
patchelf --set-rpath '$ORIGIN/../lib' "$out/bin/python2.7"
# Extension modules link libpython2.7.so (upstream distutils with --enable-shared): they find it in the
# prefix's lib/ (as pyenv's builds do; bundles rewrite it to their own lib/).
for m in "$out"/lib/python2.7/lib-dynload/*.so; do
  if patchelf --print-needed "$m" | grep -qx 'libpython2.7.so.1.0'; then patchelf --set-rpath "$prefix/lib" "$m"; fi
done
# The static library next to the shared one too (make install puts it only under config/).
ln -sf python2.7/config/libpython2.7.a "$out/lib/libpython2.7.a"
# Extension modules the legacy runtime had must all have been built.
missing=()
for m in _ssl _hashlib _sqlite3 zlib bz2 _ctypes pyexpat _elementtree _json _io datetime _multiprocessing \
         readline _curses cPickle cStringIO _socket select math _struct unicodedata _locale; do
  [ -f "$out/lib/python2.7/lib-dynload/$m.so" ] || missing+=("$m")
done
if [ ${#missing[@]} -gt 0 ]; then
  grep -A3 -i 'necessary bits\|failed to build' "$work/make.log" >&2 || true
  log "extension modules not built: ${missing[*]}"; exit 1
fi
{
  echo "CPython $PY_VERSION from Debian's python2.7 $DEB_VERSION source package"
  echo "arch: $arch  flavour: $flavour  recipe: $recipe_hash  build seconds: $((t1 - t0))"
  echo "configure: ${conf[*]} CFLAGS=$cflags LDFLAGS=$ldflags"
  if [ ${#pgo[@]} -gt 0 ]; then echo "profile: $(cat "$work/pgo-trained")"; fi
  echo "Debian patches applied:"; sed 's/^/  /' "$work/applied-patches"
  echo "Debian patches skipped (layout/policy):"; printf '  %s\n' "${SKIP_PATCHES[@]}"
} > "$out/BUILD-INFO.txt"
date -u +%FT%TZ > "$out/.complete"
if [ -f "$prefix/.complete" ]; then  # a concurrent run finished first: keep its prefix
  log "$prefix was completed meanwhile by another run; discarding this build"
else
  rm -rf "$prefix"  # a stale incomplete one (never used: it has no .complete)
  mv "$out" "$prefix"
fi
log "built in $((t1 - t0)) s: $prefix"
echo "$prefix"
