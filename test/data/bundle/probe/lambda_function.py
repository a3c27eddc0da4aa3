# Probe of a deployment bundle: uses the standard library's native parts and the bundled SDK, and
# reports what the test checks (values with known answers, where things were loaded from).
import ctypes
import datetime
import decimal
import hashlib
import json
import os
import socket
import sqlite3
import ssl
import sys
import unicodedata
import zlib

import probe_sdk


def mapped_objects():
    """The shared objects mapped into this process, from /proc/self/maps."""
    paths = set()
    with open('/proc/self/maps') as maps:
        for line in maps:
            fields = line.split()
            if len(fields) >= 6 and '.so' in fields[5]:
                paths.add(fields[5])
    return sorted(paths)


def sockets():
    a, b = socket.socketpair()
    a.sendall(b'ping')
    pair = b.recv(4)
    a.close()
    b.close()
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(('127.0.0.1', 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname(), timeout=5)
    conn, _ = server.accept()
    client.sendall(b'tcp')
    tcp = conn.recv(3)
    for s in (client, conn, server):
        s.close()
    return {'socketpair': pair, 'tcp': tcp,
            'getaddrinfo': socket.getaddrinfo('127.0.0.1', 80, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]}


def database():
    db = sqlite3.connect(':memory:')
    db.execute('create table t (k text primary key, v integer)')
    db.executemany('insert into t values (?, ?)', [(u'a', 1), (u'b', 2), (u'\u00e9', 3)])
    total = db.execute('select sum(v) from t').fetchone()[0]
    accent = db.execute('select v from t where k = ?', (u'\u00e9',)).fetchone()[0]
    db.close()
    return {'sum': total, 'accent': accent, 'version': sqlite3.sqlite_version}


def tls():
    context = ssl.create_default_context()
    return {'openssl': ssl.OPENSSL_VERSION, 'verify_mode': int(context.verify_mode),
            'ca_certs': context.cert_store_stats()['x509_ca'], 'has_sni': ssl.HAS_SNI}


def lambda_handler(event, context):
    libc = ctypes.CDLL('libc.so.6')
    stamp = datetime.datetime(2020, 2, 29, 13, 14, 15, 123000)
    with open('/tmp/probe.txt', 'w') as f:
        f.write('written')
    squeezed = zlib.compress(b'lambda' * 1000, 9)
    return {
        'echo': event,
        'python': sys.version.split()[0],
        'maxunicode': sys.maxunicode,
        'prefix': sys.prefix,
        'executable': sys.executable,
        'cwd': os.getcwd(),
        'sys_path': sys.path,
        'modules_from_pyc': [m.__file__.endswith('.pyc') for m in (json, decimal, ssl, probe_sdk)],
        'json': json.dumps({'b': [1, 2.5, None, True], 'a': u'\u00e9'}, sort_keys=True),
        'datetime': [stamp.isoformat(), datetime.datetime.strptime('2020-02-29', '%Y-%m-%d').strftime('%j')],
        'decimal': str(decimal.Decimal('1.10') + decimal.Decimal('2.20')),
        'decimal_value': decimal.Decimal('3.30'),
        'sha256': hashlib.sha256(b'abc').hexdigest(),
        'md5': hashlib.md5(b'abc').hexdigest(),
        'tls': tls(),
        'sqlite': database(),
        'zlib': [zlib.crc32(b'hello') & 0xffffffff, len(squeezed) < 100, zlib.decompress(squeezed) == b'lambda' * 1000],
        # pythonapi is the C API of the running interpreter (Py_IsInitialized is 1 only there), however the
        # bootstrap links libpython: not an idle second copy.
        'ctypes': [libc.getpid() == os.getpid(), ctypes.sizeof(ctypes.c_void_p), ctypes.CDLL(None).getpid() > 0,
                   ctypes.pythonapi.Py_IsInitialized()],
        'socket': sockets(),
        'unicodedata': [unicodedata.name(u'\u00e9'), unicodedata.normalize('NFD', u'\u00e9') == u'e\u0301',
                        unicodedata.unidata_version],
        'urandom': len(os.urandom(16)),
        'tmp': open('/tmp/probe.txt').read(),
        'sdk': probe_sdk.describe(),
        'mapped': mapped_objects(),
        'argv': sys.argv,
        'handler_env': os.environ.get('_HANDLER'),
        'remaining_ms_positive': context.get_remaining_time_in_millis() > 0,
        # What the legacy interpreter start left for user code (site's builtins, the encoding, PYTHONPATH).
        'site': [type(exit).__name__, repr(exit), sys.flags.no_site, sys.getdefaultencoding(),
                 hasattr(sys, 'setdefaultencoding'), os.environ.get('PYTHONPATH'), str(u'\xe9') == '\xc3\xa9'],
    }
