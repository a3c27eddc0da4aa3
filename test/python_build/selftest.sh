#!/usr/bin/env bash
# Checks one of lambda-py27's own Python 2.7 builds (scripts/build-python.sh): check_build.py (ABI,
# modules, Debian's security fixes by behaviour, layout, TLS), check_lazy_types.py (our lazily filled type
# dictionaries), then CPython's own regression tests for the modules the patches touch and the ones
# handlers lean on (Debian's CVE patches carry their tests; the type and descriptor machinery for ours).
#
#   selftest.sh <prefix>            the build at <prefix>
#   selftest.sh --flavour opt|quick the cached build of that flavour
#
# Exits 77 (CTest: skipped) with a message when the build is absent or <prefix> is not one of ours.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
if [ "${1:-}" = --flavour ]; then
  prefix=$(bash "$repo/scripts/build-python.sh" --flavour "$2" --if-cached) || {
    echo "SKIPPED: the '$2' build of our Python 2.7 is not cached; \`scripts/build-python.sh --flavour $2\`" \
         "builds it once for every clone (opt: PGO + LTO, ~10 min on 2 cores)"
    exit 77; }
else
  prefix=${1:?usage: selftest.sh <prefix> | --flavour opt|quick}
fi
if [ ! -f "$prefix/BUILD-INFO.txt" ] || [ ! -f "$prefix/.complete" ]; then
  echo "SKIPPED: $prefix is not lambda-py27's own Python 2.7 build (no BUILD-INFO.txt); these checks are about that build"
  exit 77
fi
py="$prefix/bin/python2.7"
head -n 3 "$prefix/BUILD-INFO.txt"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
env -u PYTHONPATH -u PYTHONHOME HOME="$work" "$py" -E "$here/check_build.py"
env -u PYTHONPATH -u PYTHONHOME HOME="$work" "$py" -E "$here/check_lazy_types.py"
# arena-thrash.diff: objects that come and go across an arena boundary no longer unmap it every turn.
if command -v strace >/dev/null; then
  unmapped=$(env -u PYTHONPATH -u PYTHONHOME strace -f -c -e trace=munmap "$py" -S -E "$here/arena_thrash.py" 2>&1 |
             awk '$NF == "munmap" {print $4}')
  if [ "${unmapped:-0}" -lt 100 ]; then echo "ok   arena-thrash: ${unmapped:-0} munmap calls in 2000 turns"
  else echo "FAIL arena-thrash: $unmapped munmap calls in 2000 turns (an arena unmapped at every turn)"; exit 1; fi
else
  echo "skip arena-thrash: no strace to count the munmap calls"
fi
# populate-bss.diff: a start maps libpython's .bss writable in one call, and with it faults less there.
if command -v strace >/dev/null; then
  calls=$(env -u PYTHONPATH -u PYTHONHOME strace -e trace=madvise "$py" -S -E -c pass 2>&1 | grep -c 'MADV_POPULATE_WRITE' || true)
  if [ "$calls" = 1 ]; then echo "ok   populate-bss: one MADV_POPULATE_WRITE at start"
  else echo "FAIL populate-bss: $calls MADV_POPULATE_WRITE calls at start (expected 1)"; exit 1; fi
else
  echo "skip populate-bss: no strace to see the madvise call"
fi
if [ "${2:-}" = opt ] || [ "${LAMBDA_PY27_EXPECT_OPT:-}" = 1 ]; then
  args=$("$py" -E -c 'import sysconfig; print(sysconfig.get_config_var("CONFIG_ARGS"))')
  case $args in *--enable-optimizations*--with-lto*|*--with-lto*--enable-optimizations*) echo "ok   built with PGO + LTO" ;;
    *) echo "FAIL the optimised build was configured without PGO + LTO: $args"; exit 1 ;; esac
fi
env -u PYTHONPATH -u PYTHONHOME HOME="$work" "$py" -E -m test.regrtest -q \
  test_urlparse test_cgi test_heapq test_plistlib test_ctypes test_json test_re test_sqlite test_zlib \
  test_bz2 test_hashlib test_operator test_tarfile test_decimal test_unicode test_pyexpat test_xml_etree_c \
  test_py_compile test_datetime test_struct test_string test_format test_int test_long test_dict test_builtin \
  test_descr test_descrtut test_class test_types test_exceptions test_gc test_pickle test_cpickle test_copy \
  test_inspect test_capi test_weakref test_abc test_property test_funcattrs test_isinstance test_memoryview \
  test_typechecks test_structseq test_sys test_float test_exception_variations
