"""The command line: lambda-py27-package [OPTIONS] FUNCTION_DIR -o OUT.zip (see --help)."""
import argparse
import os
import shutil
import sys
import tempfile
import time
import zipfile

from . import PackageError, archive, elfcheck, image, stage
from .config import ARCHES, Config
from .pip import Pip

# Where the runtime finds a layer's packages (sys.path, when PYTHONPATH is unset).
PACKAGES_IN_LAYER = 'python/lib/python2.7/site-packages'

DESCRIPTION = """\
Packages a Python 2.7 Lambda function: its folder (less the excluded paths), the packages of its
requirements installed by our Python 2.7's own pip, every .py byte-compiled for where Lambda unpacks it,
in a reproducible zip (the same inputs give the same bytes).

  lambda-py27-package FUNCTION_DIR -o function.zip                 for use with the runtime layer
  lambda-py27-package --with-runtime FUNCTION_DIR -o function.zip  self-contained: bootstrap, runtime, code
  lambda-py27-package --layer -o layer.zip                         the runtime layer itself
  lambda-py27-package --packages-layer -r requirements.txt -o deps.zip   a layer of packages (boto3...)
  lambda-py27-package --image TAG [--handler H] FUNCTION_DIR        an OCI image built with podman
  lambda-py27-package --upgrade-pip 'pip==20.3.4'                  the private pip (19.2.3 from ensurepip)
"""

EPILOG = """\
FUNCTION_DIR/requirements.txt is used when no -r is given. Dependencies land at the zip's root (the task
root, first on sys.path). Default excludes (--no-default-excludes drops them): %s.
Exit status: 0 done, 1 an error (one line on stderr), 2 bad usage.
""" % ', '.join(stage.DEFAULT_EXCLUDES)


def parse(argv):
    p = argparse.ArgumentParser(prog='lambda-py27-package', description=DESCRIPTION, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('function_dir', nargs='?', metavar='FUNCTION_DIR')
    p.add_argument('-o', '--output', metavar='OUT.zip')
    mode = p.add_mutually_exclusive_group()
    mode.add_argument('--with-runtime', action='store_true', help='include the bootstrap and the runtime')
    mode.add_argument('--layer', action='store_true', help='write the runtime layer (no FUNCTION_DIR)')
    mode.add_argument('--packages-layer', action='store_true',
                      help='the requirements alone, as a layer: python/lib/python2.7/site-packages/ at /opt')
    mode.add_argument('--upgrade-pip', nargs='+', metavar='SPEC',
                      help="replace the private pip by SPEC, e.g. 'pip==20.3.4' (needs an index or --find-links)")
    p.add_argument('--image', metavar='TAG', help='build an OCI image with podman instead of a zip')
    p.add_argument('--image-context', metavar='DIR',
                   help='write the image build context (Containerfile + rootfs.tar) to DIR; alone: no build')
    p.add_argument('--handler', metavar='MODULE.FUNCTION', help="the image's CMD (default: "
                   "lambda_function.lambda_handler when FUNCTION_DIR has lambda_function.py)")
    p.add_argument('--base', choices=sorted(image.BASES), default='scratch',
                   help='the image to build on (default scratch: nothing but the runtime and the function)')
    p.add_argument('-r', '--requirements', action='append', default=[], metavar='FILE',
                   help='requirements installed into the zip (repeatable)')
    p.add_argument('--pip-option', action='append', default=[], metavar='OPT',
                   help='passed to pip, repeatable: --no-index, --find-links=DIR, --index-url=URL, ...')
    p.add_argument('--arch', choices=ARCHES, default='x86_64', help='arm64: binary wheels only (default x86_64)')
    p.add_argument('--exclude', action='append', default=[], metavar='GLOB', help='left out (repeatable)')
    p.add_argument('--no-default-excludes', action='store_true')
    p.add_argument('-q', '--quiet', action='store_true', help='no size report')
    args = p.parse_args(argv)
    if args.upgrade_pip:
        return args
    if args.image or args.image_context:
        if args.layer or args.packages_layer or args.with_runtime or args.output:
            p.error('--image takes FUNCTION_DIR alone (no -o, --layer, --packages-layer, --with-runtime)')
        if not args.function_dir:
            p.error('FUNCTION_DIR is required')
        return args
    if not args.output:
        p.error('-o OUT.zip is required')
    if (args.layer or args.packages_layer) and args.function_dir:
        p.error('--layer and --packages-layer take no FUNCTION_DIR')
    if args.packages_layer and not args.requirements:
        p.error('--packages-layer needs -r FILE')
    if not args.layer and not args.packages_layer and not args.function_dir:
        p.error('FUNCTION_DIR is required')
    return args


def say(args, text):
    if not args.quiet:
        sys.stdout.write(text + '\n')


def carried_python(zip_path):
    """The second line of the runtime's python/BUILD-INFO.txt: arch, flavour (quick or opt), recipe."""
    with zipfile.ZipFile(zip_path) as z:
        try:
            lines = z.read('python/BUILD-INFO.txt').splitlines()
        except KeyError:
            return 'not recorded'
    return ' '.join(lines[1].split()) if len(lines) > 1 else 'not recorded'


def say_python(args, zip_path):
    """The report's python line; a warning on stderr when the runtime carries the quick (unoptimised) Python."""
    carried = carried_python(zip_path)
    say(args, '   python: %s' % carried)
    if 'flavour: quick' in carried:
        sys.stderr.write('lambda-py27-package: warning: this runtime carries the quick Python 2.7 (no PGO/LTO: '
                         'fine for tests, slower handlers); deploy the opt one, built by `cmake --preset release` '
                         '(and `--preset aarch64` for arm64)\n')


def layer_bytes(zip_path):
    with zipfile.ZipFile(zip_path) as z:
        return sum(i.file_size for i in z.infolist())


def runtime_lib(layer_zip, work):
    """The layer's lib/: beside its zip when the build left the tree there, else extracted."""
    tree = os.path.join(os.path.splitext(layer_zip)[0], 'lib')
    if os.path.isfile(os.path.join(tree, 'ld-linux-x86-64.so.2')):
        return tree
    out = os.path.join(work, 'layer')
    stage.unzip(layer_zip, out, only='lib/')
    return os.path.join(out, 'lib')


def function_tree(args, config, work, runtime_lib_dir=None):
    """The task root in work/root: the function less its excludes, its requirements, native modules checked
    against the runtime's libraries (runtime_lib_dir, else the layer's; a self-contained zip: its own) and
    everything byte-compiled for /var/task. Returns a summary for the report."""
    fn_dir = os.path.abspath(args.function_dir)
    if not os.path.isdir(fn_dir):
        raise PackageError('%s is not a folder' % args.function_dir)
    requirements = [os.path.abspath(r) for r in args.requirements]
    if not requirements and os.path.isfile(os.path.join(fn_dir, 'requirements.txt')):
        requirements = [os.path.join(fn_dir, 'requirements.txt')]
    for r in requirements:
        if not os.path.isfile(r):
            raise PackageError('requirements file %s does not exist' % r)
    patterns = ([] if args.no_default_excludes else list(stage.DEFAULT_EXCLUDES)) + args.exclude

    root = os.path.join(work, 'root')
    os.makedirs(root)
    runtime_tops = ()
    if args.with_runtime:
        stage.unzip(config.artifact(args.arch, 'runtime'), root)
        runtime_tops = tuple(sorted(os.listdir(root)))
        runtime_lib_dir = os.path.join(root, 'lib')
    function = os.path.join(work, 'function')
    os.makedirs(function)
    copied = stage.copy_function(fn_dir, function, patterns)
    stage.check_reserved(copied, runtime_tops)
    stage.merge(function, root, 'the runtime')
    if requirements:
        deps = os.path.join(work, 'deps')
        log = os.path.join(tempfile.gettempdir(), 'lambda-py27-package.pip.log')
        Pip(config).install(requirements, deps, args.arch, args.pip_option, log)
        if os.path.isdir(deps):
            stage.merge(deps, root, 'the requirements')
    copied_libs = []
    if args.arch == 'x86_64':
        if runtime_lib_dir is None:
            runtime_lib_dir = runtime_lib(config.artifact(args.arch, 'layer'), work)
        copied_libs = elfcheck.check(root, runtime_lib_dir, skip_tops=runtime_tops)
    for rel in archive.byte_compile(root, '/var/task', skip_tops=runtime_tops):
        sys.stderr.write('lambda-py27-package: warning: %s is not Python 2.7; shipped as source\n' % rel)
    return {'root': root, 'files': len(copied), 'requirements': requirements, 'copied_libs': copied_libs}


def report_function(args, summary):
    say(args, '   function: %d files%s%s' % (summary['files'], '; requirements: ' + ', '.join(
        _shown(r) for r in summary['requirements']) if summary['requirements'] else '',
        '; host libraries copied to lib/: ' + ', '.join(summary['copied_libs']) if summary['copied_libs'] else ''))


def layer_for_size(args, config):
    """The layer the function zip will run with (its size counts against Lambda's limit), or None."""
    if args.with_runtime:
        return None
    try:
        return config.artifact(args.arch, 'layer')
    except PackageError as e:
        if args.arch == 'x86_64':  # x86_64's is built on demand: a failure is real
            raise
        # The arm64 layer is the cross build's: the zip is complete without it, only its size is unchecked.
        sys.stderr.write('lambda-py27-package: note: %s; the 250 MB check covers the function alone\n' % e)
        return None


def package_function(args, config, work):
    started = time.time()
    layer_zip = layer_for_size(args, config)
    lib = runtime_lib(layer_zip, work) if layer_zip and args.arch == 'x86_64' else None
    summary = function_tree(args, config, work, lib)
    root = summary['root']
    total, files = archive.sizes(root)
    extra = layer_bytes(layer_zip) if layer_zip else 0
    archive.check_limit(total, files, extra)
    out = os.path.abspath(args.output)
    if not os.path.isdir(os.path.dirname(out)):
        os.makedirs(os.path.dirname(out))
    archive.write_zip(root, out)

    zipped = os.path.getsize(out)
    say(args, 'lambda-py27-package: %s' % out)
    say(args, '   zip: %s; unpacked: %s in %d files (at /var/task)' % (archive.human(zipped), archive.human(total),
                                                                       len(files)))
    report_function(args, summary)
    if layer_zip:
        say(args, '   with the layer (%s unpacked): %s of Lambda\'s 250 MB' % (archive.human(extra),
                                                                          archive.human(total + extra)))
    if args.with_runtime:
        say_python(args, config.artifact(args.arch, 'runtime'))
    say(args, '   arch: %s; byte-compiled by %s; %.1f s' % (args.arch, os.path.basename(config.python_home),
                                                              time.time() - started))
    if zipped > archive.DIRECT_UPLOAD_LIMIT:
        say(args, '   note: over 50 MB zipped: upload it through S3 (--code S3Bucket=...,S3Key=...)')


def default_handler(fn_dir):
    if os.path.isfile(os.path.join(fn_dir, 'lambda_function.py')):
        return 'lambda_function.lambda_handler'
    raise PackageError('give --handler MODULE.FUNCTION (there is no lambda_function.py to default to)')


def package_image(args, config, work):
    started = time.time()
    handler = args.handler or default_handler(os.path.abspath(args.function_dir))
    runtime = os.path.join(work, 'opt')
    stage.unzip(config.artifact(args.arch, 'image'), runtime)
    summary = function_tree(args, config, work, os.path.join(runtime, 'lib'))
    context = os.path.abspath(args.image_context) if args.image_context else os.path.join(work, 'context')
    image.write_context(context, runtime, summary['root'], handler, args.base, args.arch)
    if not args.image:
        say(args, 'lambda-py27-package: %s (Containerfile + rootfs.tar; handler %s)' % (context, handler))
        return
    size = image.build(context, args.image, args.arch)
    say(args, 'lambda-py27-package: image %s (%s, %s; handler %s)' % (args.image, image.BASES[args.base],
                                                                     args.arch, handler))
    if size:
        say(args, '   size: %s' % archive.human(size))
    say_python(args, config.artifact(args.arch, 'image'))
    report_function(args, summary)
    say(args, '   %.1f s' % (time.time() - started))


def _shown(path):
    rel = os.path.relpath(path)
    return path if rel.startswith('..') else rel


def package_packages_layer(args, config, work):
    """The requirements in a layer of their own, where the runtime looks for layers' packages."""
    started = time.time()
    root = os.path.join(work, 'root')
    deps = os.path.join(work, 'deps')
    Pip(config).install([os.path.abspath(r) for r in args.requirements], deps, args.arch, args.pip_option,
                        os.path.join(tempfile.gettempdir(), 'lambda-py27-package.pip.log'))
    os.makedirs(os.path.join(root, 'python', 'lib', 'python2.7'))
    os.rename(deps, os.path.join(root, PACKAGES_IN_LAYER))
    if args.arch == 'x86_64':
        elfcheck.check(root, runtime_lib(config.artifact(args.arch, 'layer'), work))
    for rel in archive.byte_compile(root, '/opt'):
        sys.stderr.write('lambda-py27-package: warning: %s is not Python 2.7; shipped as source\n' % rel)
    total, files = archive.sizes(root)
    archive.check_limit(total, files, 0)
    out = os.path.abspath(args.output)
    if not os.path.isdir(os.path.dirname(out)):
        os.makedirs(os.path.dirname(out))
    archive.write_zip(root, out)
    say(args, 'lambda-py27-package: %s (packages layer, at /opt/%s)' % (out, PACKAGES_IN_LAYER))
    say(args, '   zip: %s; unpacked: %s in %d files; arch: %s; %.1f s' % (
        archive.human(os.path.getsize(out)), archive.human(total), len(files), args.arch, time.time() - started))


def package_layer(args, config):
    src = config.artifact(args.arch, 'layer')
    out = os.path.abspath(args.output)
    if not os.path.isdir(os.path.dirname(out)):
        os.makedirs(os.path.dirname(out))
    shutil.copyfile(src, out + '.tmp')
    os.rename(out + '.tmp', out)
    say(args, 'lambda-py27-package: %s (layer, at /opt)\n   zip: %s; unpacked: %s; arch: %s; from %s'
        % (out, archive.human(os.path.getsize(out)), archive.human(layer_bytes(out)), args.arch, src))
    say_python(args, out)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    work = None
    try:
        if not archive.python_ok():
            raise PackageError('%s is not a UCS4 Python 2.7 (cp27mu)' % sys.executable)
        config = Config(os.environ.get('LAMBDA_PY27_PACKAGE_CONFIG', ''))
        if args.upgrade_pip:
            say(args, 'lambda-py27-package: pip %s' % Pip(config).upgrade(args.upgrade_pip, args.pip_option))
            return 0
        if args.layer:
            package_layer(args, config)
            return 0
        work = tempfile.mkdtemp(prefix='lambda-py27-package.')
        if args.image or args.image_context:
            package_image(args, config, work)
        elif args.packages_layer:
            package_packages_layer(args, config, work)
        else:
            package_function(args, config, work)
        return 0
    except PackageError as e:
        sys.stderr.write('lambda-py27-package: error: %s\n' % e)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        if work:
            shutil.rmtree(work, ignore_errors=True)
