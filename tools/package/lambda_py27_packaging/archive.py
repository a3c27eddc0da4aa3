"""Byte-compilation, the reproducible zip, its size report and Lambda's limits."""
import os
import py_compile
import stat
import struct
import sys
import zipfile

from . import PackageError

EPOCH = 1577836800                       # 2020-01-01T00:00:00Z, the runtime bundles' time (even seconds)
DOS_TIME = (2020, 1, 1, 0, 0, 0)
UNPACKED_LIMIT = 262144000               # Lambda: function and layers unpacked, 250 MB
DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024   # Lambda: a zip uploaded directly (larger ones go through S3)
# Info-ZIP's extended timestamp (0x5455), modification time only: unzip and Lambda restore the time from
# it whatever their time zone, so each .pyc stays valid for its source.
UT_EXTRA = struct.pack('<HHBl', 0x5455, 5, 1, EPOCH)


def walk(top):
    for d, dirs, files in os.walk(top):
        dirs.sort()
        yield d, sorted(files)


def byte_compile(stage, prefix, skip_tops=()):
    """Compiles every .py as it will be found at `prefix`; returns the files that are not Python 2.7."""
    failed = []
    for d, files in walk(stage):
        rel = os.path.relpath(d, stage)
        if rel.split(os.sep)[0] in skip_tops:
            continue
        for f in files:
            if not f.endswith('.py'):
                continue
            path = os.path.join(d, f)
            os.utime(path, (EPOCH, EPOCH))
            dfile = prefix + '/' + os.path.normpath(os.path.join(rel, f))
            try:
                py_compile.compile(path, cfile=path + 'c', dfile=dfile, doraise=True)
            except py_compile.PyCompileError:  # a Python 3 file a package carries, or the function's error
                failed.append(os.path.normpath(os.path.join(rel, f)))
    return failed


def file_mode(path):
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        return stat.S_IFLNK | 0o777
    with open(path, 'rb') as fh:
        elf = fh.read(4) == b'\x7fELF'
    executable = elf or st.st_mode & stat.S_IXUSR
    return stat.S_IFREG | (0o755 if executable else 0o644)


def entries(stage):
    """(relative path, is_dir) of the tree, sorted as the zip stores them."""
    out = []
    for d, files in walk(stage):
        rel = os.path.relpath(d, stage)
        if rel != '.':
            out.append((rel.replace(os.sep, '/') + '/', True))
        for f in files:
            out.append((os.path.normpath(os.path.join(rel, f)).replace(os.sep, '/'), False))
    return sorted(out)


def _zip_name(rel):
    """A UTF-8 file name as unicode, so that zipfile marks it UTF-8 (flag 0x800) for unzip and Lambda."""
    try:
        return rel.decode('utf-8') if isinstance(rel, bytes) else rel
    except UnicodeDecodeError:
        return rel


def write_zip(stage, out_path):
    """Same tree, same bytes: sorted entries, fixed times, Unix modes, no host owner or time zone."""
    tmp = out_path + '.tmp'
    z = zipfile.ZipFile(tmp, 'w', zipfile.ZIP_DEFLATED, allowZip64=True)
    try:
        for rel, is_dir in entries(stage):
            info = zipfile.ZipInfo(_zip_name(rel), DOS_TIME)
            info.create_system = 3
            info.extra = UT_EXTRA
            path = os.path.join(stage, rel)
            if is_dir:
                info.external_attr = (stat.S_IFDIR | 0o755) << 16 | 0x10
                z.writestr(info, b'')
                continue
            mode = file_mode(path)
            info.external_attr = mode << 16
            if stat.S_ISLNK(mode):
                info.compress_type = zipfile.ZIP_STORED
                z.writestr(info, os.readlink(path))
                continue
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, 'rb') as fh:
                z.writestr(info, fh.read())
    finally:
        z.close()
    os.rename(tmp, out_path)


def sizes(stage):
    """Unpacked bytes and file count of the tree, and its files by size (largest first)."""
    total, files = 0, []
    for d, names in walk(stage):
        for f in names:
            p = os.path.join(d, f)
            if os.path.islink(p):
                continue
            n = os.path.getsize(p)
            total += n
            files.append((n, os.path.relpath(p, stage)))
    files.sort(key=lambda t: (-t[0], t[1]))
    return total, files


def human(n):
    for unit in ('bytes', 'KB', 'MB', 'GB'):
        if n < 1000 or unit == 'GB':
            return ('%d %s' % (n, unit)) if unit == 'bytes' else ('%.1f %s' % (n, unit))
        n /= 1000.0


def check_limit(total, files, layer_bytes):
    if total + layer_bytes <= UNPACKED_LIMIT:
        return
    largest = ', '.join('%s (%s)' % (rel, human(n)) for n, rel in files[:3])
    with_layer = (' with the layer\'s %s' % human(layer_bytes)) if layer_bytes else ''
    raise PackageError('unpacked %s%s, over Lambda\'s limit of %s (250 MB); largest: %s'
                       % (human(total), with_layer, human(UNPACKED_LIMIT), largest))


def python_ok():
    return sys.version_info[:2] == (2, 7) and sys.maxunicode == 0x10FFFF
