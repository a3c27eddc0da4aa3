"""OCI images: the runtime at /opt, the function at /var/task, nothing else (FROM scratch), built by podman.

The build context is a Containerfile and one tarball of the image's files (deterministic: sorted,
root-owned, fixed times), which `ADD` unpacks with its modes: /tmp world-writable (the only place the
function writes), everything else read-only to the user the image runs as (any id, as on Lambda).
"""
import os
import stat
import subprocess
import tarfile

from . import PackageError, archive

BASES = {
    'scratch': 'scratch',
    'al2023': 'public.ecr.aws/lambda/provided:al2023',
    'al2': 'public.ecr.aws/lambda/provided:al2',
}
PLATFORMS = {'x86_64': 'linux/amd64', 'arm64': 'linux/arm64'}
LAMBDA_ENV = (
    ('LAMBDA_TASK_ROOT', '/var/task'),
    ('LAMBDA_RUNTIME_DIR', '/var/runtime'),
    ('LD_LIBRARY_PATH', '/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib'),
    ('PATH', '/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin'),
    ('LANG', 'en_US.UTF-8'),
    ('TZ', ':UTC'),
)


def _add_tree(tar, top, inside):
    for rel, is_dir in archive.entries(top):
        path = os.path.join(top, rel)
        info = tarfile.TarInfo(inside + '/' + rel.rstrip('/'))
        info.uid = info.gid = 0
        info.uname = info.gname = 'root'
        info.mtime = archive.EPOCH
        if is_dir:
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)
            continue
        mode = archive.file_mode(path)
        if stat.S_ISLNK(mode):
            info.type = tarfile.SYMTYPE
            info.linkname = os.readlink(path)
            info.mode = 0o777
            tar.addfile(info)
            continue
        info.mode = mode & 0o777
        info.size = os.path.getsize(path)
        with open(path, 'rb') as fh:
            tar.addfile(info, fh)


def _dir(tar, name, mode):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = mode
    info.mtime = archive.EPOCH
    info.uname = info.gname = 'root'
    tar.addfile(info)


def write_context(context, runtime_tree, task_tree, handler, base, arch):
    """Writes Containerfile and rootfs.tar into `context` (a folder `podman build`/`docker build` takes)."""
    if not os.path.isdir(context):
        os.makedirs(context)
    with tarfile.open(os.path.join(context, 'rootfs.tar'), 'w', format=tarfile.GNU_FORMAT) as tar:
        for d in ('opt', 'var', 'var/runtime', 'var/task') if base == 'scratch' else ('opt', 'var/task'):
            _dir(tar, d, 0o755)
        if base == 'scratch':
            _dir(tar, 'tmp', 0o1777)
        _add_tree(tar, runtime_tree, 'opt')
        _add_tree(tar, task_tree, 'var/task')
    lines = ['# Made by lambda-py27-package: the runtime at /opt, the function at /var/task.',
             'FROM %s' % BASES[base], 'ADD rootfs.tar /']
    lines += ['ENV %s="%s"' % kv for kv in LAMBDA_ENV]
    lines += ['WORKDIR /var/task',
              '# Without AWS_LAMBDA_RUNTIME_API (podman run -p 9000:8080 ...) the bootstrap serves itself through',
              '# the bundled emulator on :8080; on Lambda it is the runtime.',
              'ENTRYPOINT ["/opt/bootstrap"]', 'CMD ["%s"]' % handler]
    with open(os.path.join(context, 'Containerfile'), 'w') as fh:
        fh.write('\n'.join(lines) + '\n')
    return os.path.join(context, 'Containerfile')


def podman():
    for d in os.environ.get('PATH', '/usr/bin:/bin').split(':'):
        p = os.path.join(d, 'podman')
        if d and os.access(p, os.X_OK):
            return p
    return None


def build(context, tag, arch):
    exe = podman()
    if not exe:
        raise PackageError('podman is not installed (Debian: apt-get install podman); --image-context DIR '
                           'writes the build context for another engine')
    cmd = [exe, 'build', '-q', '--platform', PLATFORMS[arch], '-t', tag, '-f',
           os.path.join(context, 'Containerfile'), context]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.communicate()[0]
    if p.returncode != 0:
        lines = [l for l in out.splitlines() if l.strip()]
        raise PackageError('podman build failed: %s' % (lines[-1] if lines else 'no output'))
    p = subprocess.Popen([exe, 'image', 'inspect', '--format', '{{.Size}}', tag], stdout=subprocess.PIPE)
    size = p.communicate()[0].strip()
    return int(size) if size.isdigit() else 0
