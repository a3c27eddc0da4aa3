"""What the build tells the tool: a JSON file written by CMake (LAMBDA_PY27_PACKAGE_CONFIG)."""
import json
import os
import subprocess

from . import PackageError

ARCHES = ('x86_64', 'arm64')


class Config(object):
    def __init__(self, path):
        try:
            with open(path) as fh:
                data = json.load(fh)
        except (IOError, ValueError) as e:
            raise PackageError('cannot read the tool configuration %s: %s' % (path, e))
        self.python = data['python']                    # our python2.7 (runs pip, byte-compiles)
        self.python_home = data['python_home']
        self.cmake = data.get('cmake') or ''             # to build a missing runtime zip
        self.binary_dir = data.get('binary_dir') or ''
        self.dists = data['dists']                       # arch -> {"layer": zip, "runtime": zip, "targets": [...]}
        self.cache = os.environ.get('LAMBDA_PY27_CACHE_HOME') or os.path.join(
            os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'), 'lambda-py27')

    def artifact(self, arch, kind):
        """The runtime's zip of `kind` ('layer' at /opt, 'runtime' at /var/task) for `arch`, built if missing."""
        dist = self.dists.get(arch)
        if not dist:
            raise PackageError('no %s runtime is configured in this build' % arch)
        path = dist[kind]
        if not os.path.isfile(path):
            target = dist['targets'][kind]
            if arch == 'x86_64' and self.cmake and self.binary_dir:
                cmd = [self.cmake, '--build', self.binary_dir, '--target', target]
                if subprocess.call(cmd, stdout=open(os.devnull, 'w')) != 0 or not os.path.isfile(path):
                    raise PackageError('building the runtime (%s) failed: run `%s` to see why'
                                       % (target, ' '.join(cmd)))
            else:
                raise PackageError('%s is missing: build it first (%s)' % (path, dist.get('hint', target)))
        return path
