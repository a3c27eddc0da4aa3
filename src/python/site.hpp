// What Python's `site` module leaves behind for user code, without importing it at start-up (importing
// `site` costs a third of a bare interpreter's start: `os`, `posixpath`, `stat`, ...). Internal.
#pragma once

namespace lambda_py27::python::detail {

/// As `site.main()` leaves an interpreter, for what user code can see: the builtins `exit`, `quit`
/// (`site.Quitter`), `help` (`site._Helper`, importing pydoc when called), `copyright`, `credits`,
/// `license` (`site._Printer`, reading the licence file when first shown), `sys.flags.no_site == 0`, and
/// a module `site` in sys.modules that runs the real `site.py` the first time one of its functions or
/// variables is read, undoing what `site.main()` would change again (sys.path, those builtins, the
/// removal of `sys.setdefaultencoding`, a second sitecustomize import), so a later `import site` is
/// harmless, as it was when `site` had run at start. `stdlib_dir` is the folder of the standard library
/// (where site.py and LICENSE.txt are). Right after Py_Initialize, GIL held; throws std::runtime_error.
void install_site_state(const char* stdlib_dir);

/// `site.main()`'s last step: `import sitecustomize`, then (unless the user site is disabled, as site
/// decides it) `import usercustomize`, from the sys.path as it stands. An ImportError is ignored; another
/// exception prints `'import <name>' failed; use -v for traceback` (the traceback with -v) and start-up
/// goes on; SystemExit ends the process with its status, as Python's own start-up does. A name that a
/// search with stat() alone rules out is not imported at all (site_customize.cpp: the same outcome as
/// Python's search, which ends in the ImportError, at a fraction of its system calls). GIL held.
void import_site_customizations();

}  // namespace lambda_py27::python::detail
