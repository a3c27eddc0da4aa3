"""Every native module the function brings is resolved by the runtime's own loader and libraries.

On Lambda the bootstrap has mapped libpython2.7 (and glibc) before any extension module is imported, and
LD_LIBRARY_PATH names /var/task/lib and /opt/lib; the check reproduces that with the bundled loader's
--library-path. A library the host has but the runtime lacks (a C extension built here against, say,
libyaml) is copied into the function's lib/; anything else is an error naming the module and the library.
"""
import os
import re
import shutil
import subprocess

from . import PackageError

GLIBC = ('libc.so.6', 'libm.so.6', 'libpthread.so.0', 'libdl.so.2', 'librt.so.1', 'libutil.so.1',
         'libresolv.so.2', 'ld-linux-x86-64.so.2')
HOST_LOADER = '/lib64/ld-linux-x86-64.so.2'


def is_elf(path):
    if os.path.islink(path) or not os.path.isfile(path):
        return False
    with open(path, 'rb') as fh:
        return fh.read(4) == b'\x7fELF'


def native_modules(stage, skip_tops):
    found = []
    for d, dirs, files in os.walk(stage):
        rel_d = os.path.relpath(d, stage)
        if rel_d == '.':
            dirs[:] = [x for x in dirs if x not in skip_tops]
        for f in files:
            p = os.path.join(d, f)
            if (f.endswith('.so') or '.so.' in f) and is_elf(p):
                found.append(p)
    return sorted(found)


def _list(loader, library_path, obj):
    env = dict((k, v) for k, v in os.environ.items() if k not in ('LD_LIBRARY_PATH', 'LD_PRELOAD'))
    p = subprocess.Popen([loader, '--inhibit-cache', '--library-path', library_path, '--list', obj],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    out = p.communicate()[0]
    if 'statically linked' in out:
        return {}
    deps = {}
    for line in out.splitlines():
        m = re.match(r'\s*(\S+) => not found', line)
        if m:
            deps[m.group(1)] = None
            continue
        m = re.match(r'\s*(\S+) => (\S+) \(0x', line)
        if m:
            deps[m.group(1)] = m.group(2)
    if p.returncode != 0 and not deps:
        raise PackageError('%s cannot be loaded: %s' % (obj, out.strip().splitlines()[-1:] or 'no output'))
    return deps


def check(stage, runtime_lib, skip_tops=()):
    """Checks (and completes) the function's native modules against runtime_lib; returns copied libraries."""
    loader = os.path.join(runtime_lib, 'ld-linux-x86-64.so.2')
    if not os.path.exists(loader):
        raise PackageError('the runtime at %s has no loader' % runtime_lib)
    own_lib = os.path.join(stage, 'lib')
    copied = []
    modules = native_modules(stage, skip_tops)
    for _ in range(8):  # a copied library may need another one
        missing = {}
        for m in modules + [os.path.join(own_lib, c) for c in copied]:
            for name, path in _list(loader, runtime_lib + ':' + own_lib, m).items():
                if path is None:
                    missing.setdefault(name, m)
        if not missing:
            return copied
        host = {}
        for name, module in sorted(missing.items()):
            path = _list(HOST_LOADER, '/nonexistent', module).get(name) if os.path.exists(HOST_LOADER) else None
            if not path or name in GLIBC:
                raise PackageError('%s needs %s, which neither the runtime nor this machine has'
                                   % (os.path.relpath(module, stage), name))
            host[name] = path
        if not os.path.isdir(own_lib):
            os.makedirs(own_lib)
        for name, path in sorted(host.items()):
            shutil.copy2(os.path.realpath(path), os.path.join(own_lib, name))
            os.chmod(os.path.join(own_lib, name), 0o755)
            copied.append(name)
    raise PackageError('the libraries of the native modules do not resolve: %s' % ', '.join(copied))
