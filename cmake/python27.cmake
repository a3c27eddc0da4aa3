# Finds Python 2.7 (shared libpython + headers) and builds Boost.Python against it.
#
# Python 2.7 root, first found wins: -DPYTHON27_ROOT, $ENV{PYTHON27_ROOT}, the file
# <source>/.cache/python27-root written by scripts/setup.sh (our own build by default), our own build when
# it is cached (scripts/build-python.sh: the opt flavour, else the quick one), $(pyenv root)/versions/2.7.18.
#
# Cross builds (CMAKE_CROSSCOMPILING, e.g. the aarch64 preset): -DPYTHON27_ROOT, else our own build for
# CMAKE_SYSTEM_PROCESSOR (scripts/build-python.sh --arch aarch64); only its headers and libraries are used,
# and LAMBDA_PY27_BUILD_PYTHON (a native UCS4 Python 2.7: our x86_64 build by default) byte-compiles.

set(PYTHON27_ROOT "${PYTHON27_ROOT}" CACHE PATH "Prefix of the Python 2.7 to embed (shared libpython2.7 + headers)")
set(_lp27_build_python_sh "${PROJECT_SOURCE_DIR}/scripts/build-python.sh")
# Our own build for <arch>, the optimised flavour first; empty when neither is cached.
function(_lp27_cached_build arch out)
  set(${out} "" PARENT_SCOPE)
  if(EXISTS "${_lp27_build_python_sh}")
    foreach(flavour opt quick)
      execute_process(COMMAND bash "${_lp27_build_python_sh}" --arch ${arch} --flavour ${flavour} --if-cached
                      RESULT_VARIABLE rc OUTPUT_VARIABLE root OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(rc EQUAL 0 AND root)
        set(${out} "${root}" PARENT_SCOPE)
        return()
      endif()
    endforeach()
  endif()
endfunction()

if(CMAKE_CROSSCOMPILING)
  if(NOT PYTHON27_ROOT)
    _lp27_cached_build("${CMAKE_SYSTEM_PROCESSOR}" PYTHON27_ROOT)
  endif()
  if(NOT PYTHON27_ROOT)
    message(FATAL_ERROR "lambda_py27: cross-building for ${CMAKE_SYSTEM_PROCESSOR} needs a Python 2.7 built for it: "
                        "run `scripts/build-python.sh --arch ${CMAKE_SYSTEM_PROCESSOR}` or set -DPYTHON27_ROOT.")
  endif()
  _lp27_cached_build(x86_64 _lp27_native)
  set(_lp27_native_python "")
  if(_lp27_native)
    set(_lp27_native_python "${_lp27_native}/bin/python2.7")
  endif()
  set(LAMBDA_PY27_BUILD_PYTHON "${_lp27_native_python}" CACHE FILEPATH
      "A native UCS4 Python 2.7 that byte-compiles the bundle's standard library in cross builds")
elseif(NOT PYTHON27_ROOT AND DEFINED ENV{PYTHON27_ROOT})
  set(PYTHON27_ROOT "$ENV{PYTHON27_ROOT}")
endif()
if(NOT PYTHON27_ROOT AND EXISTS "${PROJECT_SOURCE_DIR}/.cache/python27-root")
  file(STRINGS "${PROJECT_SOURCE_DIR}/.cache/python27-root" PYTHON27_ROOT LIMIT_COUNT 1)
endif()
if(NOT PYTHON27_ROOT)
  _lp27_cached_build(x86_64 PYTHON27_ROOT)
endif()
if(NOT PYTHON27_ROOT)
  find_program(_lp27_pyenv pyenv)
  if(_lp27_pyenv)
    execute_process(COMMAND "${_lp27_pyenv}" root OUTPUT_VARIABLE _lp27_pyenv_root OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(EXISTS "${_lp27_pyenv_root}/versions/2.7.18")
      set(PYTHON27_ROOT "${_lp27_pyenv_root}/versions/2.7.18")
    endif()
  endif()
endif()

# Another root than at the last configure: forget what FindPython2 cached for the previous one.
if(DEFINED _LAMBDA_PY27_PYTHON27_ROOT_USED AND NOT "${_LAMBDA_PY27_PYTHON27_ROOT_USED}" STREQUAL "${PYTHON27_ROOT}")
  message(STATUS "lambda_py27: Python 2.7 root changed to ${PYTHON27_ROOT}: finding Python 2.7 again")
  get_cmake_property(_lp27_cache_vars CACHE_VARIABLES)
  foreach(_lp27_var IN LISTS _lp27_cache_vars)
    if(_lp27_var MATCHES "^_?Python2_")
      unset(${_lp27_var} CACHE)
    endif()
  endforeach()
endif()
set(_LAMBDA_PY27_PYTHON27_ROOT_USED "${PYTHON27_ROOT}" CACHE INTERNAL "")

if(PYTHON27_ROOT)
  set(Python2_ROOT_DIR "${PYTHON27_ROOT}")
  set(Python2_FIND_STRATEGY LOCATION)
endif()
if(CMAKE_CROSSCOMPILING)
  find_package(Python2 2.7 COMPONENTS Development)  # the target's interpreter does not run here
else()
  find_package(Python2 2.7 COMPONENTS Interpreter Development)
endif()
if(NOT Python2_FOUND OR NOT Python2_LIBRARIES)
  message(FATAL_ERROR
    "lambda_py27: no Python 2.7 with a shared libpython2.7 and headers was found.\n"
    "Install one (e.g. `PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install 2.7.18`, or a distribution's "
    "python2.7 + libpython2.7-dev) and point -DPYTHON27_ROOT (or the PYTHON27_ROOT environment variable) "
    "at its prefix, or run\n  bash ${PROJECT_SOURCE_DIR}/scripts/setup.sh\n(which builds our Python 2.7 into "
    "~/.cache/lambda-py27), then configure again. Set LAMBDA_PY27_PYTHON=OFF to build only the C++ runtime.")
endif()
get_filename_component(LAMBDA_PY27_PYTHON_HOME "${Python2_INCLUDE_DIRS}/../.." ABSOLUTE)

# ---- Boost.Python, compiled from Debian's boost1.81 sources against this Python ----------------
set(LAMBDA_PY27_BOOST_PYTHON_SOURCE_DIR "${PROJECT_SOURCE_DIR}/.cache/boost-python/src"
    CACHE PATH "libs/python/src of Boost (scripts/setup.sh fetches it from Debian's boost1.81 source package)")
if(NOT EXISTS "${LAMBDA_PY27_BOOST_PYTHON_SOURCE_DIR}/module.cpp")
  message(FATAL_ERROR
    "lambda_py27: Boost.Python sources not found in ${LAMBDA_PY27_BOOST_PYTHON_SOURCE_DIR}.\n"
    "The Python layer compiles Boost.Python from its sources. Run\n"
    "  bash ${PROJECT_SOURCE_DIR}/scripts/setup.sh\n"
    "(it fetches them into ${PROJECT_SOURCE_DIR}/.cache/boost-python and installs what else the build needs), "
    "then configure again; or set -DLAMBDA_PY27_BOOST_PYTHON_SOURCE_DIR=<boost>/libs/python/src; or "
    "-DLAMBDA_PY27_PYTHON=OFF for the C++ runtime alone.")
endif()
file(GLOB_RECURSE _lp27_bp_sources CONFIGURE_DEPENDS "${LAMBDA_PY27_BOOST_PYTHON_SOURCE_DIR}/*.cpp")
list(FILTER _lp27_bp_sources EXCLUDE REGEX "/numpy/")
add_library(lambda_py27_boost_python STATIC ${_lp27_bp_sources})
add_library(lambda_py27::boost_python ALIAS lambda_py27_boost_python)
set_target_properties(lambda_py27_boost_python PROPERTIES
  OUTPUT_NAME lambda_py27_boost_python27 POSITION_INDEPENDENT_CODE ON EXPORT_NAME boost_python)
target_compile_features(lambda_py27_boost_python PUBLIC cxx_std_17)
target_compile_definitions(lambda_py27_boost_python
  PUBLIC BOOST_PYTHON_STATIC_LIB BOOST_PYTHON_NO_LIB
  PRIVATE BOOST_PYTHON_SOURCE)
target_compile_options(lambda_py27_boost_python PRIVATE -w)
target_link_libraries(lambda_py27_boost_python PUBLIC Boost::headers Python2::Python)
# Third-party code is not instrumented (its pointer arithmetic in class.cpp trips UBSan's pointer-overflow
# check); our targets are, and ASan still checks every allocation through its malloc.
