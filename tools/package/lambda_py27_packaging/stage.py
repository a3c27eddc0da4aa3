"""The tree that becomes the zip: the function folder (less what it excludes), the runtime, dependencies."""
import fnmatch
import os
import shutil
import zipfile

from . import PackageError

# What a function folder holds that Lambda never needs. A pattern without '/' matches any file or folder
# of that name at any depth; one with '/' matches the path from the function folder's root.
DEFAULT_EXCLUDES = (
    '.git', '.hg', '.svn', '.tox', '.venv', 'venv', '.idea', '.vscode', '.DS_Store',
    '__pycache__', '.pytest_cache', '.mypy_cache', '*.pyc', '*.pyo', '*.egg-info',
    'tests', 'test',
)

# Paths the runtime of a self-contained zip occupies.
RESERVED = ('bootstrap', 'lib', 'python')


def excluded(rel, patterns):
    name = os.path.basename(rel)
    for p in patterns:
        p = p.rstrip('/')
        if '/' in p:
            if fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(rel, p + '/*'):
                return True
        elif fnmatch.fnmatchcase(name, p):
            return True
    return False


def copy_function(src, dst, patterns):
    """Copies the function folder into dst, skipping excluded paths; returns the relative files copied."""
    if not os.path.isdir(src):
        raise PackageError('%s is not a folder' % src)
    copied = []
    for d, dirs, files in os.walk(src):
        rel_d = os.path.relpath(d, src)
        rel_d = '' if rel_d == '.' else rel_d
        dirs[:] = sorted(x for x in dirs if not excluded(os.path.join(rel_d, x), patterns))
        for f in sorted(files):
            rel = os.path.join(rel_d, f)
            if excluded(rel, patterns):
                continue
            target = os.path.join(dst, rel)
            if not os.path.isdir(os.path.dirname(target)):
                os.makedirs(os.path.dirname(target))
            shutil.copy2(os.path.join(src, rel), target)
            copied.append(rel)
    return copied


def check_reserved(function_files, runtime_names):
    for rel in function_files:
        top = rel.split(os.sep)[0]
        if top in runtime_names:
            raise PackageError("the function has '%s', where the self-contained zip holds the runtime's '%s'"
                               % (rel, top))


def merge(src, dst, owner):
    """Moves every file of src into dst; a path dst already has is an error naming both owners."""
    for d, dirs, files in os.walk(src):
        rel_d = os.path.relpath(d, src)
        for f in files:
            rel = os.path.normpath(os.path.join(rel_d, f))
            target = os.path.join(dst, rel)
            if os.path.lexists(target):
                raise PackageError("'%s' is both in the function and in %s" % (rel, owner))
            if not os.path.isdir(os.path.dirname(target)):
                os.makedirs(os.path.dirname(target))
            shutil.move(os.path.join(d, f), target)


def unzip(zip_path, dst, only=''):
    """Extracts a runtime zip (the entries under `only`) keeping Unix modes and symbolic links."""
    with zipfile.ZipFile(zip_path) as z:
        for info in z.infolist():
            if not info.filename.startswith(only):
                continue
            target = os.path.join(dst, info.filename)
            mode = (info.external_attr >> 16) & 0o170777
            if info.filename.endswith('/'):
                if not os.path.isdir(target):
                    os.makedirs(target)
                continue
            if not os.path.isdir(os.path.dirname(target)):
                os.makedirs(os.path.dirname(target))
            if mode & 0o170000 == 0o120000:
                os.symlink(z.read(info), target)
                continue
            with open(target, 'wb') as out:
                shutil.copyfileobj(z.open(info), out)
            if mode & 0o777:
                os.chmod(target, mode & 0o777)
