# Deployment bundles: a Lambda layer or a function zip that runs a Python 2.7 bootstrap on Amazon Linux
# (provided.al2023 / provided.al2) whatever the glibc of the build host.
#
#   include(cmake/package.cmake)      # this file alone is enough: it is also its own build-time script
#   lambda_py27_package(
#     TARGET   my-bootstrap           # the bootstrap executable target (required)
#     NAME     my-layer               # -> <OUTPUT_DIR>/my-layer.zip and the unpacked tree <OUTPUT_DIR>/my-layer/
#     [TARGET_NAME tgt]               # the custom target that builds it (default: NAME)
#     [OUTPUT_DIR dir]                # default: ${CMAKE_BINARY_DIR}/dist
#     [FUNCTION_DIR dir]              # a function zip: this folder's contents at the root (unpacked at /var/task)
#     [PREFIX /abs/path]              # where the bundle is unpacked (default: /var/task with FUNCTION_DIR, else /opt)
#     [EXTRA_PACKAGES dir...]         # package folders (e.g. `pip install -t` of boto3), merged into python/sdk/
#     [EXCLUDE_MODULES name...]       # lib-dynload modules left out (default: terminal, Tk, audio, NIS and test ones)
#     [PRUNE glob...]                 # standard-library paths left out (default: tests, idlelib, lib-tk, ...)
#     [EXTRA_LIBRARIES lib...]        # more shared libraries for lib/ (paths, or file names in the system folders)
#     [EXTRA_PROGRAMS target...]      # more executables, in bin/, bundled as the bootstrap is (their loader and
#                                     #  libraries from lib/), e.g. lambda-py27-emulator for an image's local mode
#     [PYTHON_HOME dir]               # the Python 2.7 to ship (default: the one the build embeds)
#     [PYTHON_EXECUTABLE exe]         # its python2.7, for byte-compiling (default: <PYTHON_HOME>/bin/python2.7;
#                                     #  cross builds: LAMBDA_PY27_BUILD_PYTHON, a native 2.7)
#     [PYC_ONLY]                      # ship .pyc without the .py sources (tracebacks lose their source lines)
#     [NO_STRIP]                      # keep symbols of the shipped binaries
#     [MAX_ZIP_BYTES n] [MAX_UNPACKED_BYTES n]   # size budgets: the build fails above them
#     [ALL])                          # build it with the default target
#
# The bundle (described for users in the README, "Deploying"):
#   bootstrap              the ELF program itself. PT_INTERP = <PREFIX>/lib/ld-linux-x86-64.so.2 (the bundled
#                          loader), DT_RPATH = $ORIGIN/lib
#   lib/                   every shared library the bootstrap and the extension modules need, glibc and its
#                          loader included; DT_RPATH $ORIGIN
#   python/lib/python2.7/  the pruned, byte-compiled standard library; lib-dynload/ with DT_RPATH
#                          $ORIGIN/../../../../lib
#   python/sdk/            EXTRA_PACKAGES (the interpreter puts <python home>/sdk after LAMBDA_RUNTIME_DIR)
#
# DT_RPATH, not DT_RUNPATH, on purpose: Lambda sets LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:...:/opt/lib,
# and the loader searches LD_LIBRARY_PATH *before* DT_RUNPATH but *after* DT_RPATH. With a RUNPATH the
# bundled loader would map Amazon Linux's /lib64/libc.so.6 next to itself. An executable's DT_RPATH also
# covers libraries dlopen()ed later by objects that have no DT_RUNPATH (extension modules' dependencies).
#
# Dependencies are found with the loader itself (`ld.so --list`) on the bootstrap and on every extension
# module (dlopen()ed, so invisible to the bootstrap's own list), then the finished tree is checked with the
# *bundled* loader: every object must resolve inside the bundle. Every regular file gets the same
# even-second mtime (a zip keeps 2-second DOS times), so the .pyc files stay valid after unzip.
#
# .so files of EXTRA_PACKAGES and FUNCTION_DIR keep the $ORIGIN entries of their run path (vendored
# libraries), lose the build host's folders, and get the bundle's lib/ appended; their dependencies from
# the host are shipped in lib/ too.
#
# Cross builds (CMAKE_CROSSCOMPILING, e.g. the aarch64 preset): the target loader runs under
# CMAKE_CROSSCOMPILING_EMULATOR (qemu-aarch64-static, invoked directly), nothing else of the target runs.
#
# Tools: patchelf and zip (Debian: apt-get install patchelf zip; without zip, `cmake -E tar` writes the
# archive), strip from the toolchain. Targets get the properties LAMBDA_PY27_BUNDLE_ZIP,
# LAMBDA_PY27_BUNDLE_DIR and LAMBDA_PY27_BUNDLE_PREFIX. The build prints a size report and writes it to
# <zip>.size.txt.
#
# Built-in targets (lambda_py27 as the top-level project): lambda-py27-layer -> dist/lambda-py27-layer.zip
# and lambda-py27-function-zip -> dist/lambda-py27-function.zip (LAMBDA_PY27_BUNDLE_FUNCTION_DIR, default
# examples/hello), both with LAMBDA_PY27_BUNDLE_EXTRA_PACKAGES, both held to 15 MiB zipped / 60 MiB unpacked.

if(CMAKE_SCRIPT_MODE_FILE AND DEFINED LAMBDA_PY27_PACKAGE_ARGS)
  # ===== build-time part: `cmake -DLAMBDA_PY27_PACKAGE_ARGS=<args file> -P package.cmake` ==========
  cmake_minimum_required(VERSION 3.21)
  include("${LAMBDA_PY27_PACKAGE_ARGS}")

  # glibc's libraries: always shipped (a module built elsewhere may need any of them), never modified.
  set(_glibc_names libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 libutil.so.1 libresolv.so.2
                   libanl.so.1 libnss_files.so.2 libnss_dns.so.2)

  function(_lp27_run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      string(REPLACE ";" " " cmd "${ARGN}")
      message(FATAL_ERROR "lambda_py27_package(${P_NAME}): `${cmd}` failed (${rc}):\n${out}${err}")
    endif()
    set(_lp27_out "${out}" PARENT_SCOPE)
  endfunction()

  function(_lp27_is_elf file out)
    set(${out} FALSE PARENT_SCOPE)
    if(NOT IS_SYMLINK "${file}" AND NOT IS_DIRECTORY "${file}")
      file(READ "${file}" magic LIMIT 4 HEX)
      if(magic STREQUAL "7f454c46")
        set(${out} TRUE PARENT_SCOPE)
      endif()
    endif()
  endfunction()

  # `<loader> --list <object>` parsed into "name|path" pairs (path empty when not found).
  function(_lp27_list_deps loader object out)
    execute_process(COMMAND ${P_LIST_ENV} ${P_EMULATOR} "${loader}" ${P_LIST_OPTIONS} --list "${object}"
                    RESULT_VARIABLE rc OUTPUT_VARIABLE text ERROR_VARIABLE err)
    if(text MATCHES "statically linked")
      set(${out} "" PARENT_SCOPE)
      return()
    endif()
    if(NOT rc EQUAL 0 AND NOT text MATCHES "=>")
      message(FATAL_ERROR "lambda_py27_package(${P_NAME}): `${loader} --list ${object}` failed:\n${text}${err}")
    endif()
    string(REPLACE "\n" ";" lines "${text}")
    set(pairs "")
    foreach(line IN LISTS lines)
      string(STRIP "${line}" line)
      if(line MATCHES "^([^ ]+) => not found")
        list(APPEND pairs "${CMAKE_MATCH_1}|")
      elseif(line MATCHES "^([^ ]+) => ([^ ]+) \\(0x")
        list(APPEND pairs "${CMAKE_MATCH_1}|${CMAKE_MATCH_2}")
      elseif(line MATCHES "^(/[^ ]+) \\(0x")  # the loader itself
        get_filename_component(n "${CMAKE_MATCH_1}" NAME)
        list(APPEND pairs "${n}|${CMAKE_MATCH_1}")
      endif()  # linux-vdso.so.1 and blank lines
    endforeach()
    set(${out} "${pairs}" PARENT_SCOPE)
  endfunction()

  function(_lp27_under path dir out)
    string(FIND "${path}" "${dir}/" at)
    if(at EQUAL 0)
      set(${out} TRUE PARENT_SCOPE)
    else()
      set(${out} FALSE PARENT_SCOPE)
    endif()
  endfunction()

  function(_lp27_glob_elves dir out)
    set(found "")
    if(IS_DIRECTORY "${dir}")
      file(GLOB_RECURSE candidates LIST_DIRECTORIES false "${dir}/*.so" "${dir}/*.so.*")
      foreach(f IN LISTS candidates)
        _lp27_is_elf("${f}" elf)
        if(elf)
          list(APPEND found "${f}")
        endif()
      endforeach()
    endif()
    set(${out} "${found}" PARENT_SCOPE)
  endfunction()

  set(stage "${P_STAGE}")
  get_filename_component(stage_parent "${stage}" DIRECTORY)
  set(stdlib "${stage}/python/lib/python2.7")
  set(dynload "${stdlib}/lib-dynload")
  set(home "${P_PYTHON_HOME}")
  set(interp_host "")
  _lp27_run("${P_PATCHELF}" --print-interpreter "${P_BOOTSTRAP}")
  string(STRIP "${_lp27_out}" interp_host)
  get_filename_component(loader_name "${interp_host}" NAME)

  if(NOT home)  # find libpython the way the loader does
    _lp27_list_deps("${interp_host}" "${P_BOOTSTRAP}" pairs)
    foreach(p IN LISTS pairs)
      if(p MATCHES "^libpython2\\.7\\.so[^|]*\\|(.+)$")
        get_filename_component(home "${CMAKE_MATCH_1}" DIRECTORY)
        get_filename_component(home "${home}/.." ABSOLUTE)
      endif()
    endforeach()
  endif()
  if(NOT EXISTS "${home}/lib/python2.7/os.py")
    message(FATAL_ERROR "lambda_py27_package(${P_NAME}): no Python 2.7 standard library in '${home}' "
                        "(give PYTHON_HOME)")
  endif()
  set(python "${P_PYTHON_EXECUTABLE}")
  if(NOT python)
    set(python "${home}/bin/python2.7")
  endif()

  # ---- 1. the tree: function, bootstrap, standard library, extension modules, SDK packages --------
  file(REMOVE_RECURSE "${stage}" "${P_ZIP}")
  file(MAKE_DIRECTORY "${stage}/lib" "${dynload}")
  if(P_FUNCTION_DIR)
    foreach(reserved bootstrap lib/${loader_name} python/lib/python2.7)
      if(EXISTS "${P_FUNCTION_DIR}/${reserved}")
        message(FATAL_ERROR "lambda_py27_package(${P_NAME}): FUNCTION_DIR ${P_FUNCTION_DIR} has '${reserved}', "
                            "which the runtime occupies")
      endif()
    endforeach()
    file(COPY "${P_FUNCTION_DIR}/" DESTINATION "${stage}"
         PATTERN "*.pyc" EXCLUDE PATTERN "*.pyo" EXCLUDE PATTERN "__pycache__" EXCLUDE PATTERN ".git" EXCLUDE)
  endif()
  file(COPY_FILE "${P_BOOTSTRAP}" "${stage}/bootstrap")
  # Which Python the bundle carries (our builds record flavour, patches and configure line): shipped as
  # python/BUILD-INFO.txt and named in the size report.
  set(python_build "unknown (no BUILD-INFO.txt in ${home})")
  if(EXISTS "${home}/BUILD-INFO.txt")
    file(MAKE_DIRECTORY "${stage}/python")
    file(COPY_FILE "${home}/BUILD-INFO.txt" "${stage}/python/BUILD-INFO.txt")
    file(STRINGS "${home}/BUILD-INFO.txt" info_lines LIMIT_COUNT 2)
    list(GET info_lines -1 python_build)
  endif()
  set(programs "")
  foreach(prog IN LISTS P_EXTRA_PROGRAMS)
    get_filename_component(n "${prog}" NAME)
    file(MAKE_DIRECTORY "${stage}/bin")
    file(COPY_FILE "${prog}" "${stage}/bin/${n}")
    list(APPEND programs "${stage}/bin/${n}")
  endforeach()

  set(prune_args "")
  foreach(g IN LISTS P_PRUNE)
    # file(COPY)'s REGEX sees the whole source path: anchor each glob at the library's root.
    set(rx "${g}")
    foreach(c \\ . + ^ $ "(" ")" "{" "}" | "[" "]")
      string(REPLACE "${c}" "\\${c}" rx "${rx}")
    endforeach()
    string(REPLACE "**/" "@ANY@" rx "${rx}")
    string(REPLACE "*" "[^/]*" rx "${rx}")
    string(REPLACE "?" "[^/]" rx "${rx}")
    string(REPLACE "@ANY@" "(.*/)?" rx "${rx}")
    list(APPEND prune_args REGEX "/lib/python2\\.7/${rx}$" EXCLUDE)
  endforeach()
  file(COPY "${home}/lib/python2.7" DESTINATION "${stage}/python/lib"
       PATTERN "*.pyc" EXCLUDE PATTERN "*.pyo" EXCLUDE PATTERN "__pycache__" EXCLUDE
       REGEX "/lib/python2\\.7/lib-dynload$" EXCLUDE
       REGEX "/lib/python2\\.7/site-packages/.+" EXCLUDE
       ${prune_args})

  file(GLOB modules "${home}/lib/python2.7/lib-dynload/*.so")
  set(shipped_modules "")
  foreach(m IN LISTS modules)
    get_filename_component(n "${m}" NAME_WE)
    if(NOT n IN_LIST P_EXCLUDE_MODULES)
      file(COPY_FILE "${m}" "${dynload}/${n}.so")
      list(APPEND shipped_modules "${dynload}/${n}.so")
    endif()
  endforeach()

  foreach(d IN LISTS P_EXTRA_PACKAGES)
    if(NOT IS_DIRECTORY "${d}")
      message(FATAL_ERROR "lambda_py27_package(${P_NAME}): EXTRA_PACKAGES folder '${d}' does not exist")
    endif()
    file(COPY "${d}/" DESTINATION "${stage}/python/sdk"
         PATTERN "*.pyc" EXCLUDE PATTERN "*.pyo" EXCLUDE PATTERN "__pycache__" EXCLUDE)
  endforeach()
  _lp27_glob_elves("${stage}/python/sdk" sdk_elves)
  set(function_elves "")
  if(P_FUNCTION_DIR)
    _lp27_glob_elves("${stage}" all_elves)
    foreach(f IN LISTS all_elves)
      _lp27_under("${f}" "${stage}/lib" in_lib)
      _lp27_under("${f}" "${stage}/python" in_python)
      if(NOT in_lib AND NOT in_python)
        list(APPEND function_elves "${f}")
      endif()
    endforeach()
  endif()

  # ---- 2. shared libraries, found by the loader on everything that will be loaded ---------------
  set(lib_names "")
  set(lib_sources "")
  macro(_lp27_add_lib name path)
    if(NOT "${name}" IN_LIST lib_names)
      list(APPEND lib_names "${name}")
      list(APPEND lib_sources "${path}")
    endif()
  endmacro()
  set(extra_libs "")  # host paths
  set(extra_names "")
  foreach(l IN LISTS P_EXTRA_LIBRARIES)
    if(NOT IS_ABSOLUTE "${l}")
      find_file(found_${l} NAMES "${l}" "${l}.so" NO_CACHE NO_DEFAULT_PATH PATHS
                /lib/${P_MULTIARCH} /usr/lib/${P_MULTIARCH} /usr/local/lib /usr/lib /lib /usr/lib64 /lib64)
      if(NOT found_${l})
        message(FATAL_ERROR "lambda_py27_package(${P_NAME}): EXTRA_LIBRARIES: '${l}' not found (give a path)")
      endif()
      set(l "${found_${l}}")
    endif()
    _lp27_run("${P_PATCHELF}" --print-soname "${l}")  # what DT_NEEDED entries name it by
    string(STRIP "${_lp27_out}" n)
    if(NOT n)
      get_filename_component(n "${l}" NAME)
    endif()
    _lp27_add_lib("${n}" "${l}")
    list(APPEND extra_libs "${l}")
    list(APPEND extra_names "${n}")
  endforeach()
  set(roots "${stage}/bootstrap" ${programs} ${shipped_modules} ${sdk_elves} ${function_elves})
  foreach(obj IN LISTS roots extra_libs)
    # The copies in the tree still carry the build host's run paths, so they resolve as on the host.
    _lp27_list_deps("${interp_host}" "${obj}" pairs)
    foreach(p IN LISTS pairs)
      string(REPLACE "|" ";" p "${p}")
      list(GET p 0 name)
      list(LENGTH p len)
      set(path "")
      if(len GREATER 1)
        list(GET p 1 path)
      endif()
      if(NOT path)
        file(RELATIVE_PATH rel "${stage}" "${obj}")
        message(FATAL_ERROR "lambda_py27_package(${P_NAME}): ${rel} needs ${name}, which the loader cannot find "
                            "on this host (install it, or drop the module with EXCLUDE_MODULES)")
      endif()
      # A package's own vendored libraries (auditwheel's .libs folders) stay where its run path expects them.
      set(vendored FALSE)
      foreach(d IN LISTS stage P_FUNCTION_DIR P_EXTRA_PACKAGES)
        _lp27_under("${path}" "${d}" inside)
        if(inside)
          set(vendored TRUE)
        endif()
      endforeach()
      if(NOT vendored)
        _lp27_add_lib("${name}" "${path}")
      endif()
    endforeach()
  endforeach()
  # glibc, complete, from the folder the loader took libc.so.6 from.
  list(FIND lib_names "libc.so.6" i)
  if(i LESS 0)
    message(FATAL_ERROR "lambda_py27_package(${P_NAME}): the bootstrap does not link libc.so.6 dynamically")
  endif()
  list(GET lib_sources ${i} libc_host)
  get_filename_component(glibc_dir "${libc_host}" DIRECTORY)
  foreach(n IN LISTS _glibc_names)
    if(EXISTS "${glibc_dir}/${n}")
      _lp27_add_lib("${n}" "${glibc_dir}/${n}")
    endif()
  endforeach()
  set(system_libs "${loader_name}" ${_glibc_names})  # shipped byte for byte
  set(patched_libs "")
  foreach(name path IN ZIP_LISTS lib_names lib_sources)
    file(REAL_PATH "${path}" real)
    file(COPY_FILE "${real}" "${stage}/lib/${name}")
    if(NOT name IN_LIST system_libs)
      list(APPEND patched_libs "${stage}/lib/${name}")
    endif()
  endforeach()
  if(NOT EXISTS "${stage}/lib/${loader_name}")
    message(FATAL_ERROR "lambda_py27_package(${P_NAME}): the loader ${interp_host} was not found by --list")
  endif()

  # ---- 3. strip, then point every run path into the bundle ---------------------------------------
  set(own_binaries "${stage}/bootstrap" ${programs} ${shipped_modules} ${patched_libs})
  if(P_STRIP)
    _lp27_run("${P_STRIP}" --strip-unneeded ${own_binaries})
  endif()
  _lp27_run("${P_PATCHELF}" --set-interpreter "${P_PREFIX}/lib/${loader_name}"
            --force-rpath --set-rpath "\$ORIGIN/lib" "${stage}/bootstrap")
  foreach(prog IN LISTS programs)
    _lp27_run("${P_PATCHELF}" --set-interpreter "${P_PREFIX}/lib/${loader_name}"
              --force-rpath --set-rpath "\$ORIGIN/../lib" "${prog}")
  endforeach()
  foreach(l IN LISTS patched_libs)
    _lp27_run("${P_PATCHELF}" --force-rpath --set-rpath "\$ORIGIN" "${l}")
  endforeach()
  foreach(m IN LISTS shipped_modules)
    _lp27_run("${P_PATCHELF}" --force-rpath --set-rpath "\$ORIGIN/../../../../lib" "${m}")
  endforeach()
  # Packages' and the function's own modules keep the $ORIGIN part of their run path (vendored libraries,
  # auditwheel's .libs), lose the build host's folders and get the bundle's lib/ after it.
  foreach(m IN LISTS sdk_elves function_elves)
    get_filename_component(mdir "${m}" DIRECTORY)
    file(RELATIVE_PATH rel "${mdir}" "${stage}/lib")
    _lp27_run("${P_PATCHELF}" --print-rpath "${m}")
    string(STRIP "${_lp27_out}" old)
    string(REPLACE ":" ";" old "${old}")
    list(FILTER old INCLUDE REGEX "^\\$({ORIGIN}|ORIGIN)")
    list(APPEND old "\$ORIGIN/${rel}")
    list(REMOVE_DUPLICATES old)
    string(REPLACE ";" ":" new "${old}")
    _lp27_run("${P_PATCHELF}" --force-rpath --set-rpath "${new}" "${m}")
  endforeach()

  # ---- 4. proof: the bundled loader, with no help from the host, finds everything inside the tree -
  foreach(n IN LISTS extra_names)
    list(APPEND roots "${stage}/lib/${n}")
  endforeach()
  set(P_LIST_ENV "${CMAKE_COMMAND}" -E env --unset=LD_LIBRARY_PATH --unset=LD_PRELOAD)
  set(P_LIST_OPTIONS --inhibit-cache)
  foreach(obj IN LISTS roots)
    _lp27_list_deps("${stage}/lib/${loader_name}" "${obj}" pairs)
    foreach(p IN LISTS pairs)
      string(REPLACE "|" ";" p "${p}")
      list(LENGTH p len)
      list(GET p 0 name)
      set(path "")
      if(len GREATER 1)
        list(GET p 1 path)
      endif()
      _lp27_under("${path}" "${stage}" inside)
      # The loader names itself by the interpreter path the program asks for.
      if(NOT inside AND NOT (name STREQUAL loader_name AND path STREQUAL "${P_PREFIX}/lib/${loader_name}"))
        file(RELATIVE_PATH rel "${stage}" "${obj}")
        message(FATAL_ERROR "lambda_py27_package(${P_NAME}): in the bundle, ${rel} resolves ${name} to "
                            "'${path}', outside the bundle")
      endif()
    endforeach()
  endforeach()

  # ---- 5. byte-compile, permissions, timestamps, the file list (one Python run) -------------------
  set(compile_py [=[
import compileall, os, stat, sys
stage, prefix, epoch, pyc_only, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == '1', sys.argv[5]
if sys.version_info[:2] != (2, 7) or sys.maxunicode != 0x10FFFF:
    sys.exit('lambda_py27_package: %s is not a UCS4 Python 2.7 (cp27mu, as the legacy runtime)' % sys.executable)

def walk(top):
    for d, dirs, files in os.walk(top):
        dirs.sort()
        yield d, sorted(files)

# Sources get the fixed time the .pyc files record; a zip keeps it (even seconds survive DOS times).
trees = [t for t in ('python/lib/python2.7', 'python/sdk') if os.path.isdir(os.path.join(stage, t))]
for rel in trees:
    for d, files in walk(os.path.join(stage, rel)):
        for f in files:
            if f.endswith('.py'):
                os.utime(os.path.join(d, f), (epoch, epoch))
for rel in trees:
    top = os.path.join(stage, rel)
    if not compileall.compile_dir(top, maxlevels=1000, ddir=prefix + '/' + rel, force=True, quiet=1):
        if rel == 'python/lib/python2.7':
            sys.exit('lambda_py27_package: the standard library does not compile')
        print('lambda_py27_package: some files of %s are not Python 2.7; they are shipped as source' % rel)
    if pyc_only:
        for d, files in walk(top):
            for f in files:
                if f.endswith('.py') and os.path.exists(os.path.join(d, f + 'c')):
                    os.remove(os.path.join(d, f))

# Lambda runs the function as a user that owns nothing: everything readable, programs executable.
entries, files_only, sizes = [], [], {}
for d, files in walk(stage):
    rel = os.path.relpath(d, stage)
    os.chmod(d, 0o755)
    if rel != '.':
        entries.append(rel + '/')
    for f in files:
        p = os.path.join(d, f)
        r = os.path.normpath(os.path.join(rel, f))
        entries.append(r)
        files_only.append(r)
        if os.path.islink(p):
            continue
        with open(p, 'rb') as fh:
            elf = fh.read(4) == b'\x7fELF'
        os.chmod(p, 0o755 if elf or os.stat(p).st_mode & stat.S_IXUSR else 0o644)
        os.utime(p, (epoch, epoch))
        size = os.path.getsize(p)
        for part in ('', 'lib/', 'python/lib/python2.7/', 'python/lib/python2.7/lib-dynload/', 'python/sdk/'):
            if r.startswith(part):
                sizes[part] = sizes.get(part, 0) + size
for d, _ in walk(stage):
    os.utime(d, (epoch, epoch))
with open(out + '.list', 'w') as fh:
    fh.write('\n'.join(entries) + '\n')
with open(out + '.files', 'w') as fh:
    fh.write('\n'.join(files_only) + '\n')
with open(out + '.sizes', 'w') as fh:
    fh.write('unpacked_bytes=%d\nfiles=%d\n' % (sizes.get('', 0), len(files_only)))
    for part in sorted(k for k in sizes if k):
        fh.write('%s=%d\n' % (part, sizes[part]))
]=])
  set(work "${stage_parent}/${P_NAME}")
  file(WRITE "${work}.compile.py" "${compile_py}")
  _lp27_run("${CMAKE_COMMAND}" -E env --unset=PYTHONHOME --unset=PYTHONPATH
            "${python}" -E -S "${work}.compile.py" "${stage}" "${P_PREFIX}" "${P_EPOCH}" "${P_PYC_ONLY}" "${work}")
  if(_lp27_out)
    message(STATUS "${_lp27_out}")
  endif()

  # ---- 6. the archive: sorted, fixed times, Unix modes ------------------------------------------
  set(tmp_zip "${P_ZIP}.tmp.zip")
  file(REMOVE "${tmp_zip}")
  if(P_ZIP_TOOL)
    execute_process(COMMAND "${CMAKE_COMMAND}" -E env TZ=UTC "${P_ZIP_TOOL}" -q -9 -@ "${tmp_zip}"
                    WORKING_DIRECTORY "${stage}" INPUT_FILE "${work}.list"
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  else()
    execute_process(COMMAND "${CMAKE_COMMAND}" -E env TZ=UTC
                    "${CMAKE_COMMAND}" -E tar cf "${tmp_zip}" --format=zip "--files-from=${work}.files"
                    WORKING_DIRECTORY "${stage}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  endif()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "lambda_py27_package(${P_NAME}): writing the zip failed: ${out}${err}")
  endif()
  file(RENAME "${tmp_zip}" "${P_ZIP}")

  # ---- 7. size report ---------------------------------------------------------------------------
  file(SIZE "${P_ZIP}" zip_bytes)
  file(STRINGS "${work}.sizes" size_lines)
  set(parts "")
  foreach(line IN LISTS size_lines)
    if(line MATCHES "^([^=]+)=([0-9]+)$")
      set(key "${CMAKE_MATCH_1}")
      set(value "${CMAKE_MATCH_2}")
      set(size_${key} "${value}")
      if(key MATCHES "/$")
        string(APPEND parts "\n     ${key} ${value} bytes")
      endif()
    endif()
  endforeach()
  set(unpacked "${size_unpacked_bytes}")
  list(SORT lib_names)
  string(REPLACE ";" " " libs_text "${lib_names}")
  message(STATUS "lambda_py27_package: ${P_ZIP}\n"
                 "   zip: ${zip_bytes} bytes; unpacked: ${unpacked} bytes in ${size_files} files (at ${P_PREFIX})"
                 "${parts}\n   lib/: ${libs_text}\n   python: ${python_build}")
  file(WRITE "${P_ZIP}.size.txt" "zip_bytes=${zip_bytes}\npython=${python_build}\n")
  file(READ "${work}.sizes" sizes_text)
  file(APPEND "${P_ZIP}.size.txt" "${sizes_text}prefix=${P_PREFIX}\n")
  file(REMOVE "${work}.compile.py" "${work}.list" "${work}.files" "${work}.sizes")
  if(P_MAX_ZIP_BYTES AND zip_bytes GREATER P_MAX_ZIP_BYTES)
    message(FATAL_ERROR "lambda_py27_package(${P_NAME}): the zip has ${zip_bytes} bytes, over the budget "
                        "of ${P_MAX_ZIP_BYTES}")
  endif()
  if(P_MAX_UNPACKED_BYTES AND unpacked GREATER P_MAX_UNPACKED_BYTES)
    message(FATAL_ERROR "lambda_py27_package(${P_NAME}): unpacked ${unpacked} bytes, over the budget "
                        "of ${P_MAX_UNPACKED_BYTES}")
  endif()
  return()
endif()

# ===== configure-time part ==========================================================================
include_guard(GLOBAL)
cmake_policy(VERSION 3.21)  # this file's own policy scope (include() pushes one)

set(LAMBDA_PY27_PACKAGE_SCRIPT "${CMAKE_CURRENT_LIST_FILE}" CACHE INTERNAL "")

function(lambda_py27_package)
  cmake_parse_arguments(PARSE_ARGV 0 arg "ALL;PYC_ONLY;NO_STRIP"
    "TARGET;NAME;TARGET_NAME;OUTPUT_DIR;FUNCTION_DIR;PREFIX;PYTHON_HOME;PYTHON_EXECUTABLE;MAX_ZIP_BYTES;MAX_UNPACKED_BYTES"
    "EXTRA_PACKAGES;EXCLUDE_MODULES;PRUNE;EXTRA_LIBRARIES;EXTRA_PROGRAMS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "lambda_py27_package: unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_TARGET OR NOT TARGET "${arg_TARGET}")
    message(FATAL_ERROR "lambda_py27_package: TARGET must name the bootstrap executable target (got '${arg_TARGET}')")
  endif()
  if(NOT arg_NAME)
    message(FATAL_ERROR "lambda_py27_package: NAME is required (the zip is <OUTPUT_DIR>/<NAME>.zip)")
  endif()
  if(NOT CMAKE_SYSTEM_NAME STREQUAL "Linux")
    message(FATAL_ERROR "lambda_py27_package: bundles are built on Linux")
  endif()
  if(NOT arg_TARGET_NAME)
    set(arg_TARGET_NAME "${arg_NAME}")
  endif()
  if(NOT arg_OUTPUT_DIR)
    set(arg_OUTPUT_DIR "${CMAKE_BINARY_DIR}/dist")
  endif()
  get_filename_component(arg_OUTPUT_DIR "${arg_OUTPUT_DIR}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  if(NOT arg_PREFIX)
    if(arg_FUNCTION_DIR)
      set(arg_PREFIX "/var/task")
    else()
      set(arg_PREFIX "/opt")
    endif()
  endif()
  if(NOT IS_ABSOLUTE "${arg_PREFIX}")
    message(FATAL_ERROR "lambda_py27_package: PREFIX must be absolute (got '${arg_PREFIX}')")
  endif()
  # Defaults (an empty EXCLUDE_MODULES or PRUNE keeps everything). Extension modules left out: terminal
  # (readline is GPL; curses), Tk, audio devices, NIS, CPython's own tests. Standard-library paths (globs
  # relative to lib/python2.7) a Lambda function does not need: tests, IDLE, Tk, pip's installer, the static
  # library and Makefile (config/), help() texts, packages whose extension module is not shipped.
  if(NOT DEFINED arg_EXCLUDE_MODULES AND NOT "EXCLUDE_MODULES" IN_LIST arg_KEYWORDS_MISSING_VALUES)
    set(arg_EXCLUDE_MODULES
      readline _curses _curses_panel _tkinter linuxaudiodev ossaudiodev nis _testcapi _ctypes_test)
  endif()
  if(NOT DEFINED arg_PRUNE AND NOT "PRUNE" IN_LIST arg_KEYWORDS_MISSING_VALUES)
    set(arg_PRUNE
      test "**/test" "**/tests" idlelib lib-tk ensurepip config pydoc_data curses bsddb msilib
      "distutils/command/*.exe" "*.egg-info" "__phello__.foo.py")
  endif()
  if(NOT arg_PYTHON_HOME AND DEFINED LAMBDA_PY27_PYTHON_HOME)
    set(arg_PYTHON_HOME "${LAMBDA_PY27_PYTHON_HOME}")  # set by cmake/python27.cmake in-tree
  endif()
  # Absolute folders, no trailing slash.
  set(folders "")
  foreach(d IN LISTS arg_FUNCTION_DIR arg_EXTRA_PACKAGES)
    get_filename_component(d "${d}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(NOT IS_DIRECTORY "${d}")
      message(FATAL_ERROR "lambda_py27_package(${arg_NAME}): '${d}' is not a folder")
    endif()
    list(APPEND folders "${d}")
  endforeach()
  set(extra_packages "")
  foreach(d IN LISTS arg_EXTRA_PACKAGES)
    get_filename_component(d "${d}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND extra_packages "${d}")
  endforeach()
  if(arg_FUNCTION_DIR)
    get_filename_component(arg_FUNCTION_DIR "${arg_FUNCTION_DIR}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  endif()

  find_program(LAMBDA_PY27_PATCHELF patchelf)
  if(NOT LAMBDA_PY27_PATCHELF)
    message(FATAL_ERROR "lambda_py27_package: patchelf is required (Debian: apt-get install patchelf)")
  endif()
  find_program(LAMBDA_PY27_ZIP zip)
  set(strip_tool "")
  if(NOT arg_NO_STRIP)
    set(strip_tool "${CMAKE_STRIP}")
    if(NOT strip_tool)
      find_program(LAMBDA_PY27_STRIP strip)
      set(strip_tool "${LAMBDA_PY27_STRIP}")
    endif()
  endif()
  # Cross builds (e.g. cmake/toolchains/aarch64-linux-gnu.cmake): the target's loader lists dependencies
  # under CMAKE_CROSSCOMPILING_EMULATOR (qemu-aarch64-static), and a native Python 2.7 byte-compiles
  # (.pyc files do not depend on the architecture): LAMBDA_PY27_BUILD_PYTHON, set by cmake/python27.cmake.
  set(emulator "")
  set(multiarch "${CMAKE_LIBRARY_ARCHITECTURE}")
  if(NOT multiarch)
    set(multiarch "x86_64-linux-gnu")
  endif()
  if(CMAKE_CROSSCOMPILING)
    if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
      message(FATAL_ERROR "lambda_py27_package: a cross build needs CMAKE_CROSSCOMPILING_EMULATOR (e.g. "
                          "qemu-aarch64-static) to run the target's loader")
    endif()
    set(emulator "${CMAKE_CROSSCOMPILING_EMULATOR}")
    if(NOT arg_PYTHON_EXECUTABLE)
      if(NOT LAMBDA_PY27_BUILD_PYTHON)
        message(FATAL_ERROR "lambda_py27_package: a cross build needs PYTHON_EXECUTABLE (or LAMBDA_PY27_BUILD_PYTHON): "
                            "a native UCS4 Python 2.7 to byte-compile the standard library")
      endif()
      set(arg_PYTHON_EXECUTABLE "${LAMBDA_PY27_BUILD_PYTHON}")
    endif()
  endif()
  set(pyc_only 0)
  if(arg_PYC_ONLY)
    set(pyc_only 1)
  endif()

  set(work "${CMAKE_CURRENT_BINARY_DIR}/lambda_py27_package")
  set(zip "${arg_OUTPUT_DIR}/${arg_NAME}.zip")
  set(stage "${arg_OUTPUT_DIR}/${arg_NAME}")
  get_property(multi GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
  if(multi)
    set(args_file "${work}/${arg_NAME}-$<CONFIG>.cmake")
  else()
    set(args_file "${work}/${arg_NAME}.cmake")
  endif()
  set(content "")
  foreach(pair
      "NAME;${arg_NAME}" "BOOTSTRAP;$<TARGET_FILE:${arg_TARGET}>" "STAGE;${stage}" "ZIP;${zip}"
      "PREFIX;${arg_PREFIX}" "PYTHON_HOME;${arg_PYTHON_HOME}" "PYTHON_EXECUTABLE;${arg_PYTHON_EXECUTABLE}"
      "FUNCTION_DIR;${arg_FUNCTION_DIR}" "PYC_ONLY;${pyc_only}" "STRIP;${strip_tool}"
      "PATCHELF;${LAMBDA_PY27_PATCHELF}" "ZIP_TOOL;${LAMBDA_PY27_ZIP}" "EPOCH;1577836800"
      "EMULATOR;${emulator}" "MULTIARCH;${multiarch}"
      "MAX_ZIP_BYTES;${arg_MAX_ZIP_BYTES}" "MAX_UNPACKED_BYTES;${arg_MAX_UNPACKED_BYTES}")
    list(POP_FRONT pair key)
    string(APPEND content "set(P_${key} [==[${pair}]==])\n")
  endforeach()
  set(extra_programs "")
  foreach(t IN LISTS arg_EXTRA_PROGRAMS)
    list(APPEND extra_programs "$<TARGET_FILE:${t}>")
  endforeach()
  foreach(key EXTRA_PACKAGES EXCLUDE_MODULES PRUNE EXTRA_LIBRARIES EXTRA_PROGRAMS)
    if(key STREQUAL "EXTRA_PACKAGES")
      set(v "${extra_packages}")
    elseif(key STREQUAL "EXTRA_PROGRAMS")
      set(v "${extra_programs}")
    else()
      set(v "${arg_${key}}")
    endif()
    string(APPEND content "set(P_${key} [==[${v}]==])\n")
  endforeach()
  string(APPEND content "set(P_LIST_ENV \"\")\nset(P_LIST_OPTIONS \"\")\n")
  file(GENERATE OUTPUT "${args_file}" CONTENT "${content}")

  # Rebuilt when the bootstrap, this file or a shipped folder's file changes.
  set(inputs "")
  foreach(d IN LISTS folders)
    file(GLOB_RECURSE f LIST_DIRECTORIES false CONFIGURE_DEPENDS "${d}/*")
    list(APPEND inputs ${f})
  endforeach()
  list(FILTER inputs EXCLUDE REGEX "\\.py[co]$")
  add_custom_command(
    OUTPUT "${zip}"
    COMMAND "${CMAKE_COMMAND}" "-DLAMBDA_PY27_PACKAGE_ARGS=${args_file}" -P "${LAMBDA_PY27_PACKAGE_SCRIPT}"
    DEPENDS "${arg_TARGET}" "$<TARGET_FILE:${arg_TARGET}>" ${arg_EXTRA_PROGRAMS} ${extra_programs}
            "${LAMBDA_PY27_PACKAGE_SCRIPT}" "${args_file}" ${inputs}
    COMMENT "Bundling ${arg_NAME}.zip (${arg_PREFIX})"
    VERBATIM)
  set(all "")
  if(arg_ALL)
    set(all ALL)
  endif()
  add_custom_target("${arg_TARGET_NAME}" ${all} DEPENDS "${zip}")
  set_target_properties("${arg_TARGET_NAME}" PROPERTIES
    LAMBDA_PY27_BUNDLE_ZIP "${zip}" LAMBDA_PY27_BUNDLE_DIR "${stage}" LAMBDA_PY27_BUNDLE_PREFIX "${arg_PREFIX}"
    ADDITIONAL_CLEAN_FILES "${stage};${zip}.size.txt")
endfunction()

# ===== the project's own bundles: build/<preset>/dist/lambda-py27-{layer,function}.zip ================
find_program(LAMBDA_PY27_PATCHELF patchelf)
if(PROJECT_IS_TOP_LEVEL AND PROJECT_NAME STREQUAL "lambda_py27" AND TARGET lambda-py27-bootstrap
   AND CMAKE_SYSTEM_NAME STREQUAL "Linux" AND NOT LAMBDA_PY27_PATCHELF)
  message(STATUS "lambda_py27: no patchelf, so no lambda-py27-layer / lambda-py27-function-zip targets "
                 "(Debian: apt-get install patchelf zip)")
elseif(PROJECT_IS_TOP_LEVEL AND PROJECT_NAME STREQUAL "lambda_py27" AND TARGET lambda-py27-bootstrap
       AND CMAKE_SYSTEM_NAME STREQUAL "Linux")
  set(LAMBDA_PY27_BUNDLE_FUNCTION_DIR "${PROJECT_SOURCE_DIR}/examples/hello"
      CACHE PATH "The function folder of the lambda-py27-function-zip target")
  set(LAMBDA_PY27_BUNDLE_EXTRA_PACKAGES "" CACHE STRING
      "Package folders (e.g. a `pip install -t` of boto3) shipped in the built-in bundles' python/sdk/")
  # The bootstrap may carry its own C++ runtime (LAMBDA_PY27_STATIC_CXX_RUNTIME); the bundles still ship
  # libstdc++ and libgcc_s for the C++ extension modules a function brings (as when the bootstrap needed them).
  set(_lp27_cxx_libs "")
  if(LAMBDA_PY27_STATIC_CXX_RUNTIME AND NOT LAMBDA_PY27_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    set(_lp27_cxx_libs EXTRA_LIBRARIES libstdc++.so.6 libgcc_s.so.1)
  endif()
  foreach(_lp27_kind layer function)
    set(_lp27_fn "")
    set(_lp27_tgt lambda-py27-layer)
    if(_lp27_kind STREQUAL "function")
      set(_lp27_fn FUNCTION_DIR "${LAMBDA_PY27_BUNDLE_FUNCTION_DIR}")
      set(_lp27_tgt lambda-py27-function-zip)
    endif()
    lambda_py27_package(TARGET lambda-py27-bootstrap NAME lambda-py27-${_lp27_kind} TARGET_NAME ${_lp27_tgt}
      OUTPUT_DIR "${PROJECT_BINARY_DIR}/dist" ${_lp27_fn} EXTRA_PACKAGES ${LAMBDA_PY27_BUNDLE_EXTRA_PACKAGES}
      ${_lp27_cxx_libs} MAX_ZIP_BYTES 15728640 MAX_UNPACKED_BYTES 62914560)
  endforeach()
  # The layer plus the emulator (bin/lambda-py27-emulator, bundled alike): what lambda-py27-package --image
  # puts at /opt. Without AWS_LAMBDA_RUNTIME_API the image's bootstrap serves itself through it (local mode).
  if(TARGET lambda-py27-emulator)
    lambda_py27_package(TARGET lambda-py27-bootstrap NAME lambda-py27-image-runtime TARGET_NAME lambda-py27-image-runtime
      OUTPUT_DIR "${PROJECT_BINARY_DIR}/dist" EXTRA_PACKAGES ${LAMBDA_PY27_BUNDLE_EXTRA_PACKAGES}
      EXTRA_PROGRAMS lambda-py27-emulator ${_lp27_cxx_libs} MAX_ZIP_BYTES 15728640 MAX_UNPACKED_BYTES 62914560)
  endif()
  # The runtime laid out for /var/task, without a function: lambda-py27-package --with-runtime adds one.
  lambda_py27_package(TARGET lambda-py27-bootstrap NAME lambda-py27-runtime TARGET_NAME lambda-py27-runtime
    OUTPUT_DIR "${PROJECT_BINARY_DIR}/dist" PREFIX /var/task EXTRA_PACKAGES ${LAMBDA_PY27_BUNDLE_EXTRA_PACKAGES}
    ${_lp27_cxx_libs} MAX_ZIP_BYTES 15728640 MAX_UNPACKED_BYTES 62914560)
  if(CMAKE_CROSSCOMPILING AND IS_DIRECTORY "${PROJECT_SOURCE_DIR}/test/data/bundle/sdk_pkg")
    # What a cross build's layer is proven with (test/bundle, Bundle.Arm64...): the same layer with the
    # bundle tests' stand-in SDK package, as the native bundle tests build theirs (the preset aarch64 builds it).
    lambda_py27_package(TARGET lambda-py27-bootstrap NAME bundle-test-layer TARGET_NAME lambda-py27-test-layer
      OUTPUT_DIR "${PROJECT_BINARY_DIR}/test-dist" EXTRA_PACKAGES "${PROJECT_SOURCE_DIR}/test/data/bundle/sdk_pkg"
      ${_lp27_cxx_libs} MAX_ZIP_BYTES 15728640 MAX_UNPACKED_BYTES 62914560)
  endif()
endif()
