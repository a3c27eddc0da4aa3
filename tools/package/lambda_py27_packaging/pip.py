"""Our Python's own pip: installed once from its ensurepip wheels into the user's cache (never into the
Python prefix, which every build and bundle shares), then run with that folder on PYTHONPATH."""
import glob
import os
import re
import shutil
import subprocess
import tempfile

from . import PackageError

# What Lambda's Python 2.7 (UCS4) loads; pip itself picks by these, the tool only explains its refusals.
ARCH_PLATFORMS = {
    'x86_64': None,                                   # pip's own: manylinux1/2010 (20.3.4: 2014 too), linux
    'arm64': 'manylinux2014_aarch64',
}


def _normalise(name):
    return re.sub(r'[-_.]+', '-', name).lower()


class Pip(object):
    def __init__(self, config):
        self.config = config
        self.home = os.path.join(config.cache, 'pip', _prefix_key(config.python_home))
        self.current = os.path.join(self.home, 'current')

    # ---- the private pip --------------------------------------------------------------------------
    def site(self):
        """The folder holding pip and setuptools, made from ensurepip's wheels the first time."""
        if os.path.isdir(self.current):
            return self.current
        bundled = glob.glob(os.path.join(self.config.python_home, 'lib/python2.7/ensurepip/_bundled/*.whl'))
        if not bundled:
            raise PackageError('%s has no ensurepip wheels: cannot make a pip for it' % self.config.python_home)
        if not os.path.isdir(self.home):
            os.makedirs(self.home)
        work = tempfile.mkdtemp(prefix='.ensurepip-', dir=self.home)
        try:
            log = self._run([self.config.python, '-E', '-s', '-m', 'ensurepip', '--root', work], env_site=None)
            found = glob.glob(os.path.join(work, '*', '*', '*', '*', '*', '*', 'lib', 'python2.7', 'site-packages'))
            found = found or [d for d, _, _ in os.walk(work) if d.endswith('site-packages')]
            if not found or not os.path.isdir(os.path.join(found[0], 'pip')):
                raise PackageError('ensurepip did not install pip: %s' % log.strip().splitlines()[-1:])
            os.rename(found[0], self.current + '.new')
            os.rename(self.current + '.new', self.current)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return self.current

    def version(self):
        out = self._run([self.config.python, '-s', '-m', 'pip', '--version'], env_site=self.site())
        return out.split()[1]

    def upgrade(self, spec, options):
        """Replaces the private pip by `spec` (e.g. pip==20.3.4) installed by the current one."""
        site = self.site()
        new = tempfile.mkdtemp(prefix='.upgrade-', dir=self.home)
        cmd = [self.config.python, '-s', '-m', 'pip', 'install', '--disable-pip-version-check', '--no-compile',
               '--target', new] + list(options) + list(spec)
        code, out = self._call(cmd, env_site=site)
        if code != 0:
            shutil.rmtree(new, ignore_errors=True)
            raise PackageError('upgrading pip failed: %s' % _last_error(out))
        # setuptools (and its metadata, which registers its commands) stays as it was unless SPEC named it.
        for name in sorted(os.listdir(site)):
            if not name.startswith('pip') and name != 'bin' and not os.path.exists(os.path.join(new, name)):
                src = os.path.join(site, name)
                (shutil.copytree if os.path.isdir(src) else shutil.copy2)(src, os.path.join(new, name))
        old = site + '.old'
        shutil.rmtree(old, ignore_errors=True)
        os.rename(site, old)
        os.rename(new, site)
        shutil.rmtree(old, ignore_errors=True)
        return self.version()

    # ---- installing requirements --------------------------------------------------------------------
    def install(self, requirements, target, arch, options, log_path):
        cmd = [self.config.python, '-s', '-m', 'pip', 'install', '--disable-pip-version-check', '--no-compile',
               '--no-warn-script-location', '--target', target]
        platform = ARCH_PLATFORMS[arch]
        if platform:
            cmd += ['--platform', platform, '--only-binary=:all:', '--python-version', '27',
                    '--implementation', 'cp', '--abi', 'cp27mu']
        for r in requirements:
            cmd += ['-r', r]
        cmd += list(options)
        code, out = self._call(cmd, env_site=self.site())
        with open(log_path, 'w') as fh:
            fh.write('$ %s\n%s' % (' '.join(cmd), out))
        if code != 0:
            raise PackageError(self.explain(out, arch, options) + " (pip's log: %s)" % log_path)

    def explain(self, out, arch, options):
        m = re.search(r'No matching distribution found for ([^\s(]+)', out)
        if m:
            name = m.group(1)
            other = _other_wheels(name, options)
            if other:
                return ("requirement '%s' has only wheels for another Python, ABI or platform: %s; Lambda's "
                        "Python 2.7 takes cp27-cp27mu or py2 wheels for %s" % (name, ', '.join(other),
                                                                             _platform_words(arch)))
            if arch == 'arm64':
                return ("requirement '%s' has no binary wheel for arm64 (cp27mu %s or pure Python); an sdist "
                        "would need an arm64 compiler: build its wheel on arm64 and give --find-links"
                        % (name, ARCH_PLATFORMS['arm64']))
            return "requirement '%s' was not found by pip" % name
        m = re.search(r'(\S+\.whl) is not a supported wheel on this platform', out)
        if m:
            return ("%s is not a wheel for Lambda's Python 2.7 (it takes cp27-cp27mu or py2 wheels for %s)"
                    % (os.path.basename(m.group(1)), _platform_words(arch)))
        m = re.search(r'(?:Could not open requirements file|ERROR): (.+)', out)
        if m:
            return 'pip: %s' % m.group(1).strip()
        return 'pip failed: %s' % _last_error(out)

    # ---- running it ---------------------------------------------------------------------------------
    def _env(self, site):
        env = dict(os.environ)
        for k in ('PYTHONHOME', 'PYTHONSTARTUP', 'PIP_TARGET', 'PIP_PREFIX', 'PIP_USER'):
            env.pop(k, None)
        if site:
            env['PYTHONPATH'] = site
        else:
            env.pop('PYTHONPATH', None)
        env['PYTHONNOUSERSITE'] = '1'
        env['PIP_DISABLE_PIP_VERSION_CHECK'] = '1'
        return env

    def _call(self, cmd, env_site):
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=self._env(env_site))
        out = p.communicate()[0]
        return p.returncode, out

    def _run(self, cmd, env_site):
        code, out = self._call(cmd, env_site)
        if code != 0:
            raise PackageError('`%s` failed: %s' % (' '.join(cmd), _last_error(out)))
        return out


def _prefix_key(home):
    return os.path.basename(os.path.normpath(home))


def _last_error(out):
    lines = [l.strip() for l in out.splitlines() if l.strip()]
    errors = [l for l in lines if l.startswith('ERROR') or 'Error' in l]
    return (errors or lines or ['no output'])[-1]


def _platform_words(arch):
    return 'arm64 (manylinux2014_aarch64)' if arch == 'arm64' else 'x86_64 (manylinux1/manylinux2010)'


def _find_links(options):
    dirs = []
    it = iter(options)
    for o in it:
        if o in ('-f', '--find-links'):
            dirs.append(next(it, ''))
        elif o.startswith('--find-links='):
            dirs.append(o.split('=', 1)[1])
    return [d for d in dirs if os.path.isdir(d)]


def _other_wheels(name, options):
    want = _normalise(name.split('==')[0].split('>')[0].split('<')[0])
    found = []
    for d in _find_links(options):
        for f in sorted(os.listdir(d)):
            if f.endswith('.whl') and _normalise(f.split('-')[0]) == want:
                found.append(f)
    return found
