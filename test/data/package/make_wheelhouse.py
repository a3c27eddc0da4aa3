"""Builds the package tests' wheelhouse, offline, with the Python 2.7 that runs it:

  purepkg-1.0-py2-none-any.whl                    pure Python
  fastmath-1.0-cp27-cp27mu-manylinux1_x86_64.whl  a C extension, compiled here and packed as a wheel
  fastsum-1.0.tar.gz                              an sdist with a C extension (pip builds it)
  py3only-1.0-cp36-cp36m-manylinux1_x86_64.whl    a wheel for another Python (refused)

usage: python2.7 make_wheelhouse.py OUT_DIR
"""
import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, 'src')
DATE = (2020, 1, 1, 0, 0, 0)


def record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=')
    return '%s,sha256=%s,%d' % (name, digest.decode('ascii'), len(data))


def write_wheel(out_dir, name, version, tag, files, purelib):
    """files: {path in the wheel: bytes}."""
    dist_info = '%s-%s.dist-info' % (name, version)
    files = dict(files)
    files[dist_info + '/METADATA'] = 'Metadata-Version: 2.1\nName: %s\nVersion: %s\n' % (name, version)
    files[dist_info + '/WHEEL'] = ('Wheel-Version: 1.0\nGenerator: lambda-py27-tests\nRoot-Is-Purelib: %s\n'
                                   'Tag: %s\n' % ('true' if purelib else 'false', tag))
    files[dist_info + '/top_level.txt'] = name + '\n'
    record = [record_line(p, d) for p, d in sorted(files.items())] + [dist_info + '/RECORD,,']
    files[dist_info + '/RECORD'] = '\n'.join(record) + '\n'
    path = os.path.join(out_dir, '%s-%s-%s.whl' % (name, version, tag))
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        for p in sorted(files):
            z.writestr(zipfile.ZipInfo(p, DATE), files[p])
    return path


def compile_extension(name, source):
    """The extension module built by distutils with this Python, as a manylinux1 wheel's builder would."""
    work = tempfile.mkdtemp()
    try:
        shutil.copy(source, work)
        with open(os.path.join(work, 'setup.py'), 'w') as fh:
            fh.write('from distutils.core import setup, Extension\n'
                     'setup(name=%r, ext_modules=[Extension(%r, [%r])])\n'
                     % (name, name, os.path.basename(source)))
        subprocess.check_call([sys.executable, '-E', 'setup.py', '-q', 'build_ext', '--build-lib', 'out'],
                              cwd=work)
        with open(os.path.join(work, 'out', name + '.so'), 'rb') as fh:
            return fh.read()
    finally:
        shutil.rmtree(work)


def main(out_dir):
    if not os.path.isdir(out_dir):
        os.makedirs(out_dir)
    with open(os.path.join(SRC, 'purepkg', 'purepkg', '__init__.py'), 'rb') as fh:
        write_wheel(out_dir, 'purepkg', '1.0', 'py2-none-any', {'purepkg/__init__.py': fh.read()}, True)
    fastmath = compile_extension('fastmath', os.path.join(SRC, 'fastmath', 'fastmath.c'))
    write_wheel(out_dir, 'fastmath', '1.0', 'cp27-cp27mu-manylinux1_x86_64', {'fastmath.so': fastmath}, False)
    write_wheel(out_dir, 'py3only', '1.0', 'cp36-cp36m-manylinux1_x86_64', {'py3only.py': 'X = 1\n'}, True)
    with tarfile.open(os.path.join(out_dir, 'fastsum-1.0.tar.gz'), 'w:gz') as t:
        pkg_info = 'Metadata-Version: 1.0\nName: fastsum\nVersion: 1.0\n'
        info = tarfile.TarInfo('fastsum-1.0/PKG-INFO')
        info.size = len(pkg_info)
        t.addfile(info, __import__('StringIO').StringIO(pkg_info))
        for f in ('setup.py', 'fastsum.c'):
            t.add(os.path.join(SRC, 'fastsum', f), 'fastsum-1.0/' + f)


if __name__ == '__main__':
    main(sys.argv[1])
