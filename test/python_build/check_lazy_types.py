# Checks our patch lazy-type-dicts.diff from the inside: the built-in types readied at start have their
# dictionaries filled at the first read, with the same contents and iteration order as when PyType_Ready
# filled them (LAMBDA_PY27_EAGER_TYPES=1 keeps that), and every way of reading a type's dictionary fills
# it first. Run with the build's own python2.7 (-E); each case runs in a fresh child interpreter, since
# what one case reads fills what the next would check. Prints one line per check, exits 1 on a failure.
import os
import re
import shutil
import subprocess
import sys
import tempfile

failures = []


def check(name, cond, detail=""):
    print("%-4s %s%s" % ("ok" if cond else "FAIL", name, (": " + detail) if detail and not cond else ""))
    if not cond:
        failures.append(name)


def child(code, eager=False, args=()):
    env = dict(os.environ)
    env.pop("LAMBDA_PY27_EAGER_TYPES", None)
    if eager:
        env["LAMBDA_PY27_EAGER_TYPES"] = "1"
    p = subprocess.Popen([sys.executable, "-E"] + list(args) + ["-c", code], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.communicate()[0]
    return p.returncode, out


# Every type reachable from object through __subclasses__, filled in name order (or its reverse): its
# dictionary's keys in iteration order, what each value is, its flags, doc, MRO and the references it
# holds on itself (each descriptor refers to its type). Addresses are blanked.
DUMP = r'''
import sys, re
order = "forward"
seen, todo = {}, [object]
while todo:
    t = todo.pop()
    if id(t) in seen:
        continue
    seen[id(t)] = t
    todo.extend(type.__subclasses__(t))
name_of, module_of = type.__dict__["__name__"].__get__, type.__dict__["__module__"].__get__  # read no dict
types = sorted(seen.values(), key=lambda t: (module_of(t), name_of(t), id(t)))
if order == "reverse":
    types.reverse()
addr = re.compile(r" at 0x[0-9a-f]+")
lines = []
for t in types:
    d = t.__dict__
    vals = ["%s=%s:%s" % (k, type(v).__name__, addr.sub("", repr(v))[:80]) for k, v in d.items()]
    lines.append("%s.%s flags=%d doc=%s mro=%s refs=%d\n  %s" % (
        t.__module__, t.__name__, t.__flags__, addr.sub("", repr(t.__doc__))[:40], [b.__name__ for b in t.__mro__],
        sys.getrefcount(t), "\n  ".join(vals)))
lines.sort()
sys.stdout.write("\n".join(lines) + "\n")
'''
# (The method cache's valid-version-tag flag in __flags__ depends on the order of lookups, in any build:
# each order is compared with itself.)
REVERSE = DUMP.replace('order = "forward"', 'order = "reverse"')
rc_e, eager = child(DUMP, eager=True)
rc_l, lazy = child(DUMP)
rc_er, eager_reversed = child(REVERSE, eager=True)
rc_r, lazy_reversed = child(REVERSE)
check("the dump runs (eager, lazy, in both orders)", rc_e == rc_l == rc_er == rc_r == 0, (eager + lazy)[-300:])
types_dumped = eager.count("\n  ") and len(re.findall(r"^\S", eager, re.M))
check("every type's dictionary, flags, doc, MRO and references are the same filled lazily (%d types)" % types_dumped,
      lazy == eager and types_dumped > 100,
      "" if lazy == eager else next(("eager %r / lazy %r" % (a, b) for a, b in
                                     zip(eager.splitlines(), lazy.splitlines()) if a != b), "lengths differ"))
check("the same filled in the reverse order", lazy_reversed == eager_reversed)

# Laziness itself: a type nothing at start reads (BufferError) holds no references from descriptors
# until something reads its dictionary; eagerly it holds them from the start.
PROBE = r'''
import sys
before = sys.getrefcount(BufferError), sys.getrefcount(bytearray)
%s
after = sys.getrefcount(BufferError), sys.getrefcount(bytearray)
print("%%d %%d %%d %%d" %% (before + after))
'''


def probe(trigger, eager=False, args=()):
    rc, out = child(PROBE % trigger, eager=eager, args=args)
    try:
        b1, b2, a1, a2 = [int(x) for x in out.split()[-4:]]
    except ValueError:
        return None, out
    return (b1, b2, a1, a2), out


filled, out = probe("BufferError.__dict__; bytearray.__dict__", eager=True)
check("eager (LAMBDA_PY27_EAGER_TYPES=1): filled from the start", filled is not None and filled[:2] == filled[2:],
      out[-200:])
full = filled[2:] if filled else None
lazy, out = probe("BufferError.__dict__; bytearray.__dict__")
check("lazy: empty at start, filled by reading __dict__ to the eager state",
      lazy is not None and lazy[0] < full[0] and lazy[1] < full[1] and lazy[2:] == full, "%r vs %r" % (lazy, full))

triggers = [
    ("an attribute of the type (__flags__)", "BufferError.__flags__; bytearray.__flags__"),
    ("a method looked up through the MRO", "bytearray(b'x').decode; BufferError('x').args"),
    ("type's member descriptor (__flags__) called directly",
     "m = type.__dict__['__flags__'].__get__; m(BufferError); m(bytearray)"),
    ("type.__dict__['__dict__'] called directly", "g = type.__dict__['__dict__'].__get__; g(BufferError); g(bytearray)"),
    ("object.__getattribute__ on the type (tp_dictoffset)",
     "object.__getattribute__(BufferError, '__init__'); object.__getattribute__(bytearray, 'decode')"),
    ("a subclass", "class B(BufferError): pass\nclass C(bytearray): pass\ndel B, C\nimport gc; gc.collect()"),
    ("gc.get_referents", "import gc; gc.get_referents(BufferError)"),
    ("gc.get_objects", "import gc; gc.get_objects()"),
    ("gc.get_referrers", "import gc; gc.get_referrers(None)"),
    ("an extension module from outside lib-dynload", "import sys; sys.path.insert(0, %r); import _bisect"),
]
tmp = tempfile.mkdtemp()
try:
    import _bisect
    shutil.copy(_bisect.__file__, tmp)
    for name, trigger in triggers:
        if "%r" in trigger:
            trigger = trigger % tmp
        got, out = probe(trigger)
        check("filled by %s" % name, got is not None and got[2:] == full and got[:2] != full, "%r %s" % (got, out[-200:]))
finally:
    shutil.rmtree(tmp)

# What does not fill: the standard library's own extension modules, instances, raising and catching.
# (raised in a function: the exception it holds, as sys.exc_info, is let go when it returns)
got, out = probe("import _heapq, _functools, operator, itertools, time, math\n"
                 "def f():\n    try:\n        raise BufferError('x')\n    except BufferError as e:\n        str(e)\n"
                 "f()\nbytearray(3) + bytearray(b'x')")
check("not filled by lib-dynload modules, raising, catching, instances",
      got is not None and got[2:] == got[:2] and got[:2] != full, "%r %s" % (got, out[-200:]))
got, out = probe("pass", args=("-3",))
check("-3 (Py3k warnings read dictionaries while readying): filled from the start",
      got is not None and got[:2] == full, "%r %s" % (got, out[-200:]))
# The fill's answers are the eager ones through each path.
rc, out = child("print(type.__dict__['__flags__'].__get__(memoryview))\n"
                "print(object.__getattribute__(bytearray, 'decode'))\nprint(BufferError.__flags__)\n"
                "print(sorted(type.__dict__['__dict__'].__get__(memoryview)))")
rc2, out2 = child("print(type.__dict__['__flags__'].__get__(memoryview))\n"
                  "print(object.__getattribute__(bytearray, 'decode'))\nprint(BufferError.__flags__)\n"
                  "print(sorted(type.__dict__['__dict__'].__get__(memoryview)))", eager=True)
check("__flags__ (descriptor and attribute), object.__getattribute__ and __dict__ answer as eagerly", rc == rc2 == 0 and out == out2, out + out2)

# more-lazy-types.diff: the struct sequence types made at start (sys.flags, sys.version_info, sys.float_info,
# sys.long_info) are lazy too; their instances work before the fill (the sizes come from its record), what
# reads the type's dictionary fills it, and every answer is the eager one.
STRUCTSEQ = r'''
import sys
ts = [type(sys.flags), type(sys.version_info), type(sys.float_info), type(sys.long_info)]
before = [sys.getrefcount(t) for t in ts]
ops = [len(sys.flags), sys.version_info[:2], sys.version_info[-1], sys.float_info[0], repr(sys.long_info),
       repr(sys.flags), hash(sys.version_info), sys.flags == sys.flags, tuple(sys.version_info),
       sys.version_info < (3,), list(sys.float_info)]
middle = [sys.getrefcount(t) for t in ts]
ops += [sys.version_info.major, sys.flags.optimize, sys.float_info.max, sys.long_info.bits_per_digit,
        sys.version_info.__reduce__()[1], sorted(type(sys.flags).__dict__.keys())]
after = [sys.getrefcount(t) for t in ts]
print(repr(ops))
print("%s %s %s" % (before == middle, middle == after, [a - b for a, b in zip(after, before)]))
'''
rc_l, out_l = child(STRUCTSEQ)
rc_e, out_e = child(STRUCTSEQ, eager=True)
ops_l, refs_l = (out_l.strip().splitlines() + ["", ""])[:2]
ops_e, refs_e = (out_e.strip().splitlines() + ["", ""])[:2]
check("struct sequences answer as eagerly before and after their types are filled", rc_l == rc_e == 0 and ops_l == ops_e,
      out_l[-300:] + " / " + out_e[-300:])
check("struct sequence types: not filled by using instances, filled by a lookup (eagerly: from the start)",
      refs_l.startswith("True False") and refs_e.startswith("True True"), refs_l + " / " + refs_e)

if failures:
    print("%d check(s) failed: %s" % (len(failures), ", ".join(failures)))
    sys.exit(1)
print("lazy type dictionaries: all checks passed")
