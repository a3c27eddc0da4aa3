# Finds Python 2.7 (shared libpython + headers) and builds Boost.Python against it.
#
# Python 2.7 root, first found wins: -DPYTHON27_ROOT, $ENV{PYTHON27_ROOT}, the file
# <source>/.cache/python27-root written by scripts/setup.sh, $(pyenv root)/versions/2.7.18.

set(PYTHON27_ROOT "${PYTHON27_ROOT}" CACHE PATH "Prefix of the Python 2.7 to embed (shared libpython2.7 + headers)")
if(NOT PYTHON27_ROOT AND DEFINED ENV{PYTHON27_ROOT})
  set(PYTHON27_ROOT "$ENV{PYTHON27_ROOT}")
endif()
if(NOT PYTHON27_ROOT AND EXISTS "${PROJECT_SOURCE_DIR}/.cache/python27-root")
  file(STRINGS "${PROJECT_SOURCE_DIR}/.cache/python27-root" PYTHON27_ROOT LIMIT_COUNT 1)
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

if(PYTHON27_ROOT)
  set(Python2_ROOT_DIR "${PYTHON27_ROOT}")
  set(Python2_FIND_STRATEGY LOCATION)
endif()
find_package(Python2 2.7 COMPONENTS Interpreter Development)
if(NOT Python2_FOUND OR NOT Python2_LIBRARIES)
  message(FATAL_ERROR
    "lambda_py27: no Python 2.7 with a shared libpython2.7 and headers was found.\n"
    "Install one (e.g. `PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install 2.7.18`, or a distribution's "
    "python2.7 + libpython2.7-dev) and point -DPYTHON27_ROOT (or the PYTHON27_ROOT environment variable) "
    "at its prefix, or run scripts/setup.sh. Set LAMBDA_PY27_PYTHON=OFF to build only the C++ runtime.")
endif()
get_filename_component(LAMBDA_PY27_PYTHON_HOME "${Python2_INCLUDE_DIRS}/../.." ABSOLUTE)

# ---- Boost.Python, compiled from Debian's boost1.81 sources against this Python ----------------
set(LAMBDA_PY27_BOOST_PYTHON_SOURCE_DIR "${PROJECT_SOURCE_DIR}/.cache/boost-python/src"
    CACHE PATH "libs/python/src of Boost (scripts/setup.sh fetches it from Debian's boost1.81 source package)")
if(NOT EXISTS "${LAMBDA_PY27_BOOST_PYTHON_SOURCE_DIR}/module.cpp")
  message(FATAL_ERROR
    "lambda_py27: Boost.Python sources not found in ${LAMBDA_PY27_BOOST_PYTHON_SOURCE_DIR}.\n"
    "Run scripts/setup.sh, or set LAMBDA_PY27_BOOST_PYTHON_SOURCE_DIR to Boost's libs/python/src.")
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
