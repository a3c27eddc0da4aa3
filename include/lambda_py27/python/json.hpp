// The hot-path JSON <-> Python converter for events and results, byte-for-byte equal to Python 2.7's
// json module (json.loads on a byte str; json.dumps with the standard-library defaults plus the legacy
// runtime's Decimal rule).
#pragma once

#include <Python.h>

#include <string>
#include <string_view>

namespace lambda_py27::python {

/// Decodes `text` exactly as Python 2.7's `json.loads(text)` (with `text` a byte str) does: objects are
/// `dict`, arrays `list`, strings `unicode`, integers `int` (or `long` when they do not fit a C long),
/// numbers with a fraction or an exponent `float`, true/false/null `True`/`False`/`None`; dicts are built
/// by inserting the members in document order (so their iteration order is Python's; a duplicate key
/// keeps its last value).
///
/// The common case is decoded in C++ (Boost.JSON's SAX parser, no recursion). Whenever that parser
/// rejects the input, or the nesting is deeper than the fast path takes (500 levels, fewer when the
/// recursion limit leaves less room), Python's own `json.loads` runs on the original bytes, so the result
/// and the exception are Python's: `NaN` / `Infinity` / `-Infinity`, lone `\uD800` surrogate escapes,
/// UTF-8 encoded surrogates, and every error (`ValueError("No JSON object could be decoded")`,
/// `ValueError("Expecting , delimiter: line 1 column 4 (char 3)")`, `ValueError("Extra data: ...")`,
/// `UnicodeDecodeError`, `RuntimeError("maximum recursion depth exceeded ...")`, ...).
///
/// The GIL must be held. Returns a new reference, or nullptr with the exception set.
PyObject* json_loads(std::string_view text);

/// Appends the encoding of `obj` that `json.dumps(obj)` (all defaults: ensure_ascii, allow_nan,
/// separators ", " and ": ", no sort, circular check) produces, except that a `decimal.Decimal` (or a
/// subclass) is written as a bare JSON number with `str(d)`'s text (`1.10`, `3`, `1E+2`, `NaN`).
///
/// The rules are those of Python 2.7.18's C encoder (_json.c), including its quirks: a float (or float
/// subclass) is written with float.__repr__ of its value; an int/long subclass with its own __str__;
/// str/unicode subclasses with their raw characters; dict keys that are bool are written "True"/"False"
/// (as the C encoder does), None "null", int/long via str(), float via repr; tuples and lists are
/// arrays (a list/tuple subclass is iterated with iter()); a dict subclass is walked with iter() and
/// __getitem__ (so an OrderedDict keeps its order); exact dicts in PyDict_Next order, which is dict
/// iteration order.
///
/// The GIL must be held. Returns false with the exception json.dumps raises set:
/// `TypeError("<repr> is not JSON serializable")`, `TypeError("keys must be a string")`,
/// `ValueError("Circular reference detected")`, `UnicodeDecodeError` for a byte str that is not UTF-8,
/// `RuntimeError("maximum recursion depth exceeded ...")` at the nesting depth where json.dumps called
/// from C would raise it (and with its message), or whatever a user __str__/__iter__/__getitem__ raises.
/// `out` is then left with unspecified (partial) content.
bool json_dumps(PyObject* obj, std::string& out);

}  // namespace lambda_py27::python
